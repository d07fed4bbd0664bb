#pragma once
// Elementwise activations over arrays, vectorised with Highway (best instruction set picked at run
// time): what LOGISTIC, TANH and the LSTM's gates spend their time on. Errors of a few ULP
// (Highway's contrib math), far below the 1e-5 the starter models' golden outputs allow. In place
// is fine.
#include <cstddef>

namespace pocketrec::tfl {

void sigmoid_array(const float* x, float* y, size_t n);  // 1 / (1 + e^-x)
void tanh_array(const float* x, float* y, size_t n);

}  // namespace pocketrec::tfl
