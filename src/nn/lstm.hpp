#pragma once
// A masked LSTM over a batch of sequences, returning the final hidden state. Padding (id 0) leaves
// both the cell and the hidden state unchanged, unlike the reference's Keras LSTM, which runs over
// trailing padding. Gates in TFLite's order i, f, g (cell input), o:
// c' = f * c + i * g, h' = o * tanh(c').
#include <cstdint>
#include <vector>

#include "nn/matrix.hpp"

namespace pocketrec::nn {

struct LstmWeights {
  const Matrix& input;      // [E, 4H]: i, f, g, o blocks
  const Matrix& recurrent;  // [H, 4H]
  const Matrix& bias;       // [1, 4H]
};

struct LstmState {
  int batch = 0, length = 0, units = 0;
  Matrix input_gates;          // [B*L, 4H]
  std::vector<Matrix> hidden;  // L + 1 states [B, H]
  std::vector<Matrix> cell;    // L + 1 states [B, H]
  std::vector<Matrix> gates;   // per step [B, 4H], after their activations
};

void lstm_forward(const LstmWeights& weights, const float* x, const int32_t* ids, int batch,
                  int length, LstmState& state, float* out);
// dout: [B, H] for the final state; dsteps (may be null): [B*L, H] for the state after every
// step, as causal training uses it.
void lstm_backward(const LstmWeights& weights, const float* x, const int32_t* ids,
                   const LstmState& state, const float* dout, const float* dsteps, float* dx,
                   Gradient& input_grad, Gradient& recurrent_grad, Gradient& bias_grad);

}  // namespace pocketrec::nn
