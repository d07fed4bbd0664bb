#pragma once
// One activity group's context encoder: a sequence [B*L, W] with a mask [B*L] (0 = padding) in,
// a vector per sequence out. BOW is the masked mean; CNN stacks Conv1D+ReLU layers (kernel =
// stride) and takes the max over unmasked time; GRU/LSTM are masked recurrences (final state, or
// the state after every step for causal training).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <optional>

#include "model/attention_encoder.hpp"
#include "model/parameter.hpp"
#include "nn/conv1d.hpp"
#include "nn/gru.hpp"
#include "nn/lstm.hpp"

namespace pocketrec {

struct ModelConfig;

struct SequenceWorkspace {
  nn::GruState gru;
  nn::LstmState lstm;
  std::vector<nn::Conv1dState> conv;
  std::vector<nn::Matrix> conv_out, conv_grad;  // per layer, after ReLU, [B*Lout, F]
  std::vector<std::vector<uint8_t>> conv_mask;  // per layer input, then the last output
  std::vector<int> max_winner;
  AttentionWorkspace attention;
  DropoutContext dropout;  // set by the trainer; inference leaves training off
  int batch = 0;
};

class SequenceEncoder {
 public:
  // Appends its parameters to `params`, named with `prefix` ("" keeps the historical names).
  SequenceEncoder(EncoderKind kind, int length, int width, const ModelConfig& config,
                  const std::string& prefix, std::vector<Parameter>& params);

  EncoderKind kind() const { return kind_; }
  bool recurrent() const { return is_recurrent(kind_); }
  // Encoders with an output after every position, for causal (every-step) training.
  bool every_step() const { return recurrent() || kind_ == EncoderKind::kAttention; }
  int length() const { return length_; }
  int width() const { return width_; }
  int output_dim() const { return output_dim_; }

  void initialize(std::vector<Parameter>& params, std::mt19937_64& rng) const;
  // out: [B, output_dim]. Recurrent encoders also keep every step's state in ws.gru/ws.lstm.
  void forward(const std::vector<Parameter>& params, const float* input, const int32_t* mask,
               int batch, SequenceWorkspace& ws, float* out) const;
  // out_grad: [B, output_dim]; step_grads (recurrent only, may be null): [B*L, output_dim].
  // Adds to the parameter gradients and writes input_grad [B*L, W].
  void backward(const std::vector<Parameter>& params, const float* input, const int32_t* mask,
                SequenceWorkspace& ws, const float* out_grad, const float* step_grads,
                float* input_grad, Gradients& grads) const;
  // The state after step t (1-based) of sequence b, for causal training's every-step head.
  const float* step_state(const SequenceWorkspace& ws, int t, int b) const;

 private:
  EncoderKind kind_;
  int length_, width_, output_dim_;
  int kernel_ = 0;
  std::vector<int> filters_;  // CNN: per layer
  int units_ = 0;             // GRU/LSTM
  std::optional<AttentionEncoder> attention_;
  int first_param_ = -1;  // conv weights (bias after each), or rnn input/recurrent/bias

  nn::GruWeights gru_weights(const std::vector<Parameter>& params) const;
  nn::LstmWeights lstm_weights(const std::vector<Parameter>& params) const;
};

}  // namespace pocketrec
