#pragma once
// The layers a self-attention encoder adds: layer normalization, GELU, dropout and the causal
// multi-head attention core. Explicit forward and backward passes over row-major [rows, dim]
// buffers, each checked against finite differences in tests/nn/attention_test.cpp.
#include <cstdint>
#include <vector>

#include "nn/matrix.hpp"

namespace pocketrec::nn {

constexpr float kLayerNormEpsilon = 1e-5f;

struct LayerNormState {
  Matrix normalized;        // (x - mean) * rstd, [rows, dim]
  std::vector<float> rstd;  // per row
};

// y = (x - mean) / sqrt(var + eps) * gamma + beta over each row (biased variance, as TFLite's
// MEAN / SQUARED_DIFFERENCE / RSQRT graph computes it). y may alias nothing.
void layer_norm_forward(const Matrix& gamma, const Matrix& beta, const float* x, int rows, int dim,
                        LayerNormState& state, float* y);
// dx = (or +=, with accumulate) the gradient w.r.t. x; gamma/beta gradients are added.
void layer_norm_backward(const Matrix& gamma, const LayerNormState& state, const float* dy,
                         float* dx, bool accumulate, Gradient& gamma_grad, Gradient& beta_grad);

// GELU with the error function (TFLite's GELU with approximate = false).
void gelu_forward(const float* x, float* y, size_t count);
// dx = dy * gelu'(x).
void gelu_backward(const float* x, const float* dy, float* dx, size_t count);

// Inverted dropout with masks drawn from a counter-based hash of (seed, index), so a mask depends
// only on the seed and the value's place in the whole batch, never on threads or call order.
struct DropoutMask {
  std::vector<uint8_t> keep;
  float scale = 1.0f;  // 1 / (1 - rate)
  bool active = false;
};
// Applies dropout to x in place (rate 0 or !training: no-op, mask inactive).
// Value i draws with index first_index + i.
void dropout_forward(float* x, size_t count, float rate, uint64_t seed, uint64_t first_index,
                     DropoutMask& mask);
// A stretch of a buffer whose values draw indices first_index, first_index + 1, ...: packed rows
// keep the indices they would have in the padded layout, so masks do not depend on packing.
struct DropoutRun {
  size_t first_value = 0;
  size_t count = 0;
  uint64_t first_index = 0;
};
// Dropout over x[0, total) where the runs cover every value once.
void dropout_forward_runs(float* x, size_t total, const std::vector<DropoutRun>& runs, float rate,
                          uint64_t seed, DropoutMask& mask);
// dx *= mask * scale in place.
void dropout_backward(const DropoutMask& mask, float* dx, size_t count);
// A uniform float in [0, 1) from (seed, index): splitmix64 of their mix.
float dropout_uniform(uint64_t seed, uint64_t index);

struct AttentionShape {
  int batch = 0, length = 0, dim = 0, heads = 1;
  int head_dim() const { return dim / heads; }
};

// Rows of [B*L] sequences stored without their leading padding: sequence b keeps positions
// [start[b], L) in rows row0[b], row0[b] + 1, ... Row-wise layers then skip padding entirely.
struct PackedRows {
  std::vector<int> start;
  std::vector<size_t> row0;
  size_t rows = 0;
  size_t row(int b, int t) const { return row0[b] + static_cast<size_t>(t - start[b]); }
};
// The padded layout as PackedRows: every sequence keeps all L positions.
PackedRows unpacked_rows(int batch, int length);

struct AttentionState {
  AttentionShape shape;
  PackedRows layout;
  std::vector<int> first_valid;  // per sequence: its first unmasked position (length if none)
  FloatBuffer probs;             // per (sequence, head): [n, n] softmax rows, n = length - first
  DropoutMask prob_dropout;      // over `probs`, same layout
  std::vector<size_t> offsets;   // per (sequence, head): where its block starts in `probs`
  // Scratch kept between calls: fresh [L, L] buffers per sequence cost page faults, not flops.
  mutable FloatBuffer weights, weight_grads;  // [L * L] each
};

// Causal self-attention: position t of sequence b attends to the unmasked positions s <= t of
// the same sequence; positions before the first unmasked one output zeros. qkv: [rows, 3*dim]
// (queries, keys, values side by side, heads contiguous within each), mask: [B*L] (0 = padding),
// out: [rows, dim], rows laid out by `layout` (padding positions before layout.start[b] must be
// masked). Dropout on the attention weights when rate > 0; sequence b draws its masks as
// sequence first_sequence + b of the batch.
void causal_attention_forward(const float* qkv, const int32_t* mask, const AttentionShape& shape,
                              const PackedRows& layout, float dropout_rate, uint64_t seed,
                              uint64_t first_sequence, AttentionState& state, float* out);
// The padded layout: qkv [B*L, 3*dim], out [B*L, dim].
void causal_attention_forward(const float* qkv, const int32_t* mask, const AttentionShape& shape,
                              float dropout_rate, uint64_t seed, uint64_t first_sequence,
                              AttentionState& state, float* out);
// dqkv: [rows, 3*dim] in the forward pass's layout, overwritten.
void causal_attention_backward(const float* qkv, const AttentionState& state, const float* dout,
                               float* dqkv);

}  // namespace pocketrec::nn
