#pragma once
// The dual encoder: a context encoder (embedding -> masked mean -> Dense+ReLU layers -> projection)
// turns a history into a user vector; a label table gives one vector (and bias) per item; the
// score of item j is dot(user, label_j) + bias_j.
//
// The parameters are shared and read-only during a batch; everything a forward/backward pass
// writes lives in a per-thread Workspace and Gradients, so threads never share mutable state.
#include <cstdint>
#include <string>
#include <vector>

#include "model/model_config.hpp"
#include "nn/conv1d.hpp"
#include "nn/gru.hpp"
#include "nn/lstm.hpp"
#include "nn/matrix.hpp"

namespace pocketrec {

struct Parameter {
  std::string name;
  nn::Matrix value;
  bool sparse_rows = false;  // embedding tables: gradients touch few rows
};

using Gradients = std::vector<nn::Gradient>;

struct EncoderWorkspace {
  nn::Matrix embedded;             // [B*L, E]
  std::vector<nn::Matrix> layers;  // outputs: pooled, hidden..., projection
  std::vector<nn::Matrix> grads;   // gradients w.r.t. each entry of `layers`
  nn::Matrix embedded_grad;
  nn::Matrix final_state;   // recurrent encoders in every-step mode
  bool every_step = false;  // user() has one row per (sequence, step), row b * L + t
  nn::GruState gru;
  nn::LstmState lstm;
  std::vector<nn::Conv1dState> conv;
  std::vector<nn::Matrix> conv_out, conv_grad;  // per layer, after ReLU, [B*Lout, F]
  std::vector<std::vector<uint8_t>> conv_mask;  // per layer input, then the last output
  std::vector<int> max_winner;
  int batch = 0;
  const nn::Matrix& user() const { return layers.back(); }
  nn::Matrix& user_grad() { return grads.back(); }
};

class DualEncoder {
 public:
  explicit DualEncoder(ModelConfig config);

  void initialize(uint64_t seed);
  const ModelConfig& config() const { return config_; }
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  Gradients make_gradients() const;
  size_t parameter_count() const;

  // contexts: [batch, L] item indices already range-checked (0 = padding).
  void encode(const int32_t* contexts, int batch, EncoderWorkspace& ws) const;
  // Causal mode for recurrent encoders: the user vector after every step of every context,
  // [batch * L, D], so one pass predicts the next item at each position.
  void encode_steps(const int32_t* contexts, int batch, EncoderWorkspace& ws) const;
  // Backpropagates ws.user_grad() into `grads` (either mode).
  void encode_backward(const int32_t* contexts, EncoderWorkspace& ws, Gradients& grads) const;

  const nn::Matrix& label_table() const { return params_[label_index_].value; }
  const nn::Matrix* label_bias() const {
    return label_bias_index_ >= 0 ? &params_[label_bias_index_].value : nullptr;
  }
  int label_index() const { return label_index_; }

  // The Dense layers after pooling (hidden..., projection), in order, as stored and applied.
  struct DenseLayer {
    std::string name;
    const nn::Matrix* weight;  // [in, out]
    const nn::Matrix* bias;    // [1, out]
    bool relu;
  };
  std::vector<DenseLayer> dense_layers() const;
  int label_bias_index() const { return label_bias_index_; }

 private:
  ModelConfig config_;
  std::vector<Parameter> params_;
  int context_index_ = 0;
  // The recurrent encoder's input, recurrent and bias tensors.
  nn::GruWeights gru_weights() const;
  nn::LstmWeights lstm_weights() const;
  void run_encoder(const int32_t* contexts, int batch, bool every_step, EncoderWorkspace& ws) const;
  void conv_forward(const int32_t* contexts, int batch, EncoderWorkspace& ws) const;
  void conv_backward(EncoderWorkspace& ws, Gradients& grads) const;

  bool dense_relu(size_t layer) const;  // ReLU after dense layer `layer`?

  int conv_index_ = -1;           // first conv weight; bias follows each weight
  int rnn_index_ = -1;            // GRU/LSTM input weights; recurrent and bias follow
  std::vector<int> dense_index_;  // weight index per dense layer (bias follows it)
  int label_index_ = 0;
  int label_bias_index_ = -1;
};

}  // namespace pocketrec
