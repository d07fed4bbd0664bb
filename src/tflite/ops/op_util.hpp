#pragma once
// Helpers shared by the operator files: options access, constant integer inputs, fused
// activations and NumPy broadcasting.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "tflite/ops/kernel.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl {

// The operator's options table of type T, or null (absent or a different union member): callers
// then use TFLite's zero defaults, as the official runtime does.
template <typename T>
const T* options_as(const OpContext& ctx) {
  if (!ctx.options) return nullptr;
  return ctx.options->builtin_options_as<T>();
}

// The values of a constant int32/int64 tensor (axes, shapes, k). Allocates: prepare() only.
std::vector<int64_t> constant_ints(const OpContext& ctx, const Tensor& t, const char* what);
// Element i of a constant int32/int64 tensor that prepare() already checked; for eval().
inline int64_t constant_at(const Tensor& t, int64_t i) {
  return t.type == DType::kInt32 ? t.as<int32_t>()[i] : t.as<int64_t>()[i];
}

// Normalises a possibly negative axis against `rank`.
int normalize_axis(const OpContext& ctx, int64_t axis, int rank);

enum class Activation { kNone, kRelu, kReluN1To1, kRelu6 };
// The supported fused activations, or nothing for the others.
std::optional<Activation> activation_of(tflite::ActivationFunctionType type);
Activation fused_activation(const OpContext& ctx, tflite::ActivationFunctionType type);
inline float activate(Activation a, float x) {
  switch (a) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return std::max(x, 0.0f);
    case Activation::kReluN1To1:
      return std::clamp(x, -1.0f, 1.0f);
    case Activation::kRelu6:
      return std::clamp(x, 0.0f, 6.0f);
  }
  return x;
}
void activate_all(Activation a, float* x, int64_t n);
// x[i] = activate(a, x[i] + bias[i]) (bias null: + 0.0f, which turns -0 into +0), as
// FULLY_CONNECTED finishes its outputs.
void add_bias_activate(float* x, const float* bias, int64_t n, Activation a);

// Eight floats as one vector value (GCC/Clang vector extension: one AVX register, or two SSE
// ones), so the dot products below compile to vector multiplies and adds on every target.
using Float8 = float __attribute__((vector_size(32)));
inline Float8 load8(const float* p) {
  Float8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline float sum_lanes(Float8 acc) {
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// Dot product with eight independent partial sums (one vector), so the add latency chain is split
// (a strictly sequential float sum cannot be vectorised).
inline float dot(const float* a, const float* b, int64_t n) {
  Float8 acc = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc += load8(a + i) * load8(b + i);
  float total = sum_lanes(acc);
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

// NumPy broadcasting of two or three shapes.
Shape broadcast_shape(const OpContext& ctx, const Shape& a, const Shape& b);

// Per-dimension element strides of an input of shape `in` read as the broadcast shape `out` (0
// along broadcast dimensions).
void broadcast_strides(const Shape& in, const Shape& out, std::array<int64_t, kMaxRank>& strides);

// out[i] = f(a[i'], b[i'']) with broadcasting; T is the input type, U the output type.
template <typename T, typename U, typename F>
void broadcast_binary(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const T* x = a.as<T>();
  const T* y = b.as<T>();
  U* z = out.as<U>();
  const int64_t n = out.elements();
  if (a.shape == out.shape && b.shape == out.shape) {
    for (int64_t i = 0; i < n; ++i) z[i] = f(x[i], y[i]);
  } else if (a.shape == out.shape && b.elements() == 1) {
    const T v = y[0];
    for (int64_t i = 0; i < n; ++i) z[i] = f(x[i], v);
  } else if (b.shape == out.shape && a.elements() == 1) {
    const T v = x[0];
    for (int64_t i = 0; i < n; ++i) z[i] = f(v, y[i]);
  } else {
    // An odometer over the output keeps both input offsets in step: no division per element.
    const int rank = out.shape.rank;
    std::array<int64_t, kMaxRank> sa{}, sb{};
    broadcast_strides(a.shape, out.shape, sa);
    broadcast_strides(b.shape, out.shape, sb);
    std::array<int32_t, kMaxRank> coord{};
    int64_t oa = 0, ob = 0;
    const int32_t inner = rank ? out.shape[rank - 1] : 1;
    const int64_t ia = rank ? sa[rank - 1] : 0, ib = rank ? sb[rank - 1] : 0;
    for (int64_t i = 0; i < n; i += inner) {
      // The common inner shapes as plain loops the compiler vectorises: both operands contiguous,
      // or one of them broadcast along the innermost dimension ([.., n] * [.., 1]).
      if (ia == 1 && ib == 1) {
        for (int32_t j = 0; j < inner; ++j) z[i + j] = f(x[oa + j], y[ob + j]);
      } else if (ia == 1 && ib == 0) {
        const T v = y[ob];
        for (int32_t j = 0; j < inner; ++j) z[i + j] = f(x[oa + j], v);
      } else if (ia == 0 && ib == 1) {
        const T v = x[oa];
        for (int32_t j = 0; j < inner; ++j) z[i + j] = f(v, y[ob + j]);
      } else {
        for (int32_t j = 0; j < inner; ++j) z[i + j] = f(x[oa + j * ia], y[ob + j * ib]);
      }
      for (int d = rank - 2; d >= 0; --d) {
        oa += sa[d];
        ob += sb[d];
        if (++coord[d] < out.shape[d]) break;
        oa -= sa[d] * coord[d];
        ob -= sb[d] * coord[d];
        coord[d] = 0;
      }
    }
  }
}

}  // namespace pocketrec::tfl
