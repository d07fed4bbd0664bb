#pragma once
// The self-attention context encoder (SASRec family, pre-LayerNorm): item inputs scaled by
// sqrt(width) plus learned position embeddings, then blocks of causal multi-head self-attention
// and a position-wise feed-forward layer, each inside a residual connection, then a final
// LayerNorm. Every position's output is its user vector for the next item; the newest position's
// output encodes the whole history. Padding is never attended to, so it never changes an output
// at an unpadded position.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/choices.hpp"
#include "model/parameter.hpp"
#include "nn/transformer_layers.hpp"

namespace pocketrec {

struct AttentionSettings {
  int blocks = 2;
  int heads = 1;
  int ffn_dim = 0;  // 0 = the model width
  Activation activation = Activation::kGelu;
  float embedding_dropout = 0;
  float attention_dropout = 0;
  float residual_dropout = 0;
};

struct AttentionBlockState {
  nn::Matrix input;  // the block's input x, [rows, W]
  nn::LayerNormState ln1, ln2;
  nn::Matrix z1, qkv, context, hidden, z2, ffn_pre, ffn_act;
  nn::AttentionState attention;
  nn::DropoutMask attention_out_drop, ffn_out_drop;
};

// Training state for dropout: masks depend on (seed, the sequence's place in the batch) only.
struct DropoutContext {
  bool training = false;
  uint64_t seed = 0;
  uint64_t first_sequence = 0;
};

// Rows hold only unpadded positions (plus the newest position of an all-padding history):
// nn::PackedRows maps (sequence, position) to a row. Short histories at long L are mostly
// padding, which no output depends on.
struct AttentionWorkspace {
  nn::PackedRows layout;
  std::vector<nn::DropoutRun> dropout_runs;  // per sequence: its rows' values and mask indices
  std::vector<float> zeros;                  // [W]: the output at a padding position
  std::vector<AttentionBlockState> blocks;
  nn::DropoutMask embedding_drop;
  nn::Matrix last;    // the last block's output, before the final LayerNorm
  nn::Matrix output;  // [rows, W]: every stored position's output
  nn::LayerNormState final_ln;
  nn::Matrix grad, grad2, ffn_grad, qkv_grad, context_grad;  // backward scratch
  int batch = 0;
};

class AttentionEncoder {
 public:
  // Appends its parameters to `params`, named "<prefix>attention/...".
  AttentionEncoder(int length, int width, const AttentionSettings& settings,
                   const std::string& prefix, std::vector<Parameter>& params);
  static constexpr int kParamsPerBlock = 12;

  void initialize(std::vector<Parameter>& params, std::mt19937_64& rng) const;
  // input: [B*L, W] embedded positions, mask: [B*L]; out (may be null): [B, W], the newest
  // position's output.
  void forward(const std::vector<Parameter>& params, const float* input, const int32_t* mask,
               int batch, const DropoutContext& dropout, AttentionWorkspace& ws, float* out) const;
  // out_grad [B, W] reaches the newest position, step_grads (may be null) [B*L, W] every position.
  void backward(const std::vector<Parameter>& params, AttentionWorkspace& ws, const float* out_grad,
                const float* step_grads, float* input_grad, Gradients& grads) const;
  const float* position_output(const AttentionWorkspace& ws, int t, int b) const {
    if (t < ws.layout.start[b]) return ws.zeros.data();
    return ws.output.row(static_cast<int>(ws.layout.row(b, t)));
  }

 private:
  int length_, width_, ffn_dim_;
  AttentionSettings settings_;
  int first_param_ = -1;  // position table, then kParamsPerBlock per block, then final gamma/beta

  int block_param(int block, int k) const { return first_param_ + 1 + block * kParamsPerBlock + k; }
  int final_param() const { return first_param_ + 1 + settings_.blocks * kParamsPerBlock; }
  void pack_rows(const int32_t* mask, int batch, uint64_t first_sequence,
                 AttentionWorkspace& ws) const;
  void block_forward(const std::vector<Parameter>& params, int block, const int32_t* mask,
                     int batch, const DropoutContext& dropout, const AttentionWorkspace& ws,
                     AttentionBlockState& state, float* x) const;
  void block_backward(const std::vector<Parameter>& params, int block, AttentionBlockState& state,
                      AttentionWorkspace& ws, float* dx, Gradients& grads) const;
};

}  // namespace pocketrec
