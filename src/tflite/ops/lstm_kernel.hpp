#pragma once
// The float LSTM recurrence behind UNIDIRECTIONAL_SEQUENCE_LSTM, one sequence at a time, in one
// vectorised call per sequence (Highway, best instruction set picked at run time): per step the
// gates' input and recurrent terms, the activations and the cell update, with the same sigmoid
// and tanh as LOGISTIC and TANH.
#include <cstddef>
#include <cstdint>

namespace pocketrec::tfl {

enum class LstmCellActivation { kNone, kRelu, kTanh };

struct LstmWeights {
  // Gates i, f, c, o side by side: [n_input][4 * n_cell], [n_cell][4 * n_cell] and [4 * n_cell],
  // so each input or state value scales one contiguous row of gate weights.
  const float* input_t = nullptr;
  const float* recurrent_t = nullptr;
  const float* bias = nullptr;
  int32_t n_input = 0, n_cell = 0;
  LstmCellActivation activation = LstmCellActivation::kTanh;
  float cell_clip = 0.0f;  // 0: none
};

// Steps the state (h, c: n_cell values each) through `steps` inputs x + t * x_stride, writing each
// step's h to y + t * y_stride. `scratch` holds lstm_scratch_floats(w) floats.
void lstm_sequence(const LstmWeights& w, const float* x, int64_t x_stride, int32_t steps, float* h,
                   float* c, float* y, int64_t y_stride, float* scratch);
size_t lstm_scratch_floats(const LstmWeights& w);
// One input's terms, bias + x W for the four gates (4 * n_cell floats), as lstm_sequence computes
// them for each step: the same bits.
void lstm_input_terms(const LstmWeights& w, const float* x, float* out);
// lstm_sequence with each step's input terms given (terms[t], lstm_input_terms of its input):
// the same bits, without the input products (an encoder keeps every item's terms).
void lstm_sequence_from_terms(const LstmWeights& w, const float* const* terms, int32_t steps,
                              float* h, float* c, float* y, int64_t y_stride, float* scratch);

// Transposes Keras/TFLite gate matrices (gate g: [n_cell][cols], row-major) to [cols][4 * n_cell].
void pack_lstm_gates(const float* const gates[4], int32_t n_cell, int32_t cols, float* out);

}  // namespace pocketrec::tfl
