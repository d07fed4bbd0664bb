#pragma once
// Elementwise activations over arrays, vectorised with Highway (best instruction set picked at run
// time): what LOGISTIC, TANH and the LSTM's gates spend their time on. Within 2e-7 relative of the
// exact values (activations-inl.h), far below the 1e-5 the starter models' golden outputs allow.
// In place is fine.
#include <cstddef>
#include <cstdint>

namespace pocketrec::tfl {

void sigmoid_array(const float* x, float* y, size_t n);  // 1 / (1 + e^-x)
void tanh_array(const float* x, float* y, size_t n);

// out[j] = start[j] + sum over k < count of v[k] * rows[k * width + j], for j < width, each sum
// in k order: a matrix-vector product with the matrix stored transposed (one row per input value),
// vectorised across j. out may be start.
void add_scaled_rows(const float* start, const float* v, int32_t count, const float* rows,
                     size_t width, float* out);
// For each of `positions` convolution outputs p (out + p * width, accumulated in place), whose
// window starts at input position ix0[p] of x [w][cin]: the taps kx < kw inside [0, w), each
// input channel in order, add x[(ix0[p] + kx) * cin + c] * rows[(kx * cin + c) * width + j]. Each
// output gets the bits of add_scaled_rows over the same terms; the positions' chains overlap.
void add_scaled_taps(const float* x, const int32_t* ix0, int32_t positions, int32_t kw, int32_t w,
                     int32_t cin, const float* rows, size_t width, float* out);

}  // namespace pocketrec::tfl
