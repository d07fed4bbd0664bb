#pragma once
// The arithmetic of the attention operators (SOFTMAX, BATCH_MATMUL's weighted rows, GELU,
// RSQRT) as functions, so the runtime's fused attention encoder repeats the interpreter's bits
// by calling the very code the kernels run.
#include <cmath>
#include <cstdint>

namespace pocketrec::tfl {

// y = softmax(beta * x) over n values: the maximum, exp(beta * (x - max)) summed in order, then
// each scaled by 1 / sum. Arguments below -110 give exactly 0 (as expf would, without its slow
// underflow path), so entries masked with -1e9 add exactly nothing.
void softmax_row(const float* x, float* y, int64_t n, float beta);

// out[j] += w[p] * rows[p * stride + j] for p < count in order, j < m; zero weights are skipped
// (they add exactly zero to finite values).
void weighted_rows_add(const float* w, int64_t count, const float* rows, int64_t stride, int64_t m,
                       float* out);

// y = GELU(x) over n values: x * Phi(x) with the error function, or TFLite's tanh approximation.
// Out of line, so every caller gets the kernel's own rounding (the tanh form has a multiply-add
// a compiler may fuse).
void gelu(const float* x, float* y, int64_t n, bool approximate);

inline float rsqrt(float x) {
  return 1.0f / std::sqrt(x);
}

}  // namespace pocketrec::tfl
