#include "nn/matrix.hpp"

#include <algorithm>
#include <cstring>

namespace pocketrec::nn {

void Gradient::clear() {
  if (!sparse_rows) {
    std::fill(values.data.begin(), values.data.end(), 0.0f);
    return;
  }
  for (uint32_t r : rows) {
    std::memset(values.row(static_cast<int>(r)), 0, sizeof(float) * values.cols);
    marked[r] = 0;
  }
  rows.clear();
}

void Gradient::add(const Gradient& other) {
  if (!sparse_rows) {
    values.map() += other.values.map();
    return;
  }
  for (uint32_t r : other.rows) {
    mark(r);
    float* dst = values.row(static_cast<int>(r));
    const float* src = other.values.row(static_cast<int>(r));
    for (int c = 0; c < values.cols; ++c) dst[c] += src[c];
  }
}

double Gradient::squared_norm() const {
  double total = 0;
  if (!sparse_rows) {
    for (float v : values.data) total += static_cast<double>(v) * v;
    return total;
  }
  for (uint32_t r : rows) {
    const float* src = values.row(static_cast<int>(r));
    for (int c = 0; c < values.cols; ++c) total += static_cast<double>(src[c]) * src[c];
  }
  return total;
}

void Gradient::scale(float factor) {
  if (!sparse_rows) {
    for (float& v : values.data) v *= factor;
    return;
  }
  for (uint32_t r : rows) {
    float* dst = values.row(static_cast<int>(r));
    for (int c = 0; c < values.cols; ++c) dst[c] *= factor;
  }
}

}  // namespace pocketrec::nn
