#pragma once
// A masked GRU over a batch of sequences, returning the final hidden state. Positions whose id is
// 0 (padding) leave the state unchanged, so a history encodes the same wherever its padding sits.
// Gates follow the usual convention: r = s(x Wr + h Ur + br), z = s(x Wz + h Uz + bz),
// n = tanh(x Wn + bn + r * (h Un)), h' = (1 - z) * n + z * h.
#include <cstdint>
#include <vector>

#include "nn/matrix.hpp"

namespace pocketrec::nn {

struct GruWeights {
  const Matrix& input;      // [E, 3H]: r, z, n blocks
  const Matrix& recurrent;  // [H, 3H]
  const Matrix& bias;       // [1, 3H]
};

// What the forward pass keeps for the backward pass; reused across batches.
struct GruState {
  int batch = 0, length = 0, units = 0;
  Matrix input_gates;          // [B*L, 3H]: x W + b
  std::vector<Matrix> hidden;  // L + 1 states [B, H], hidden[0] = 0
  std::vector<Matrix> reset, update, candidate, recurrent_candidate;  // per step [B, H]
};

// x: [B*L, E] (row b*L + t), ids: [B, L] for the mask; writes the final state to out [B, H].
void gru_forward(const GruWeights& weights, const float* x, const int32_t* ids, int batch,
                 int length, GruState& state, float* out);
// dout: [B, H] for the final state; dsteps (may be null): [B*L, H] for the state after every
// step, as causal training uses it. Adds to the weight gradients and writes dx [B*L, E].
void gru_backward(const GruWeights& weights, const float* x, const int32_t* ids,
                  const GruState& state, const float* dout, const float* dsteps, float* dx,
                  Gradient& input_grad, Gradient& recurrent_grad, Gradient& bias_grad);

}  // namespace pocketrec::nn
