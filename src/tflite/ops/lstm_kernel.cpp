#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tflite/ops/lstm_kernel.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "tflite/ops/activations-inl.h"
#include "tflite/ops/lstm_kernel.hpp"
#include "tflite/ops/scaled_rows-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using D = hn::ScalableTag<float>;

template <class V>
HWY_INLINE V CellActivation(D d, V v, LstmCellActivation activation) {
  switch (activation) {
    case LstmCellActivation::kTanh:
      return TanhOf(d, v);
    case LstmCellActivation::kRelu:
      return hn::Max(v, hn::Zero(d));
    case LstmCellActivation::kNone:
      break;
  }
  return v;
}

// One vector of units: gates i, f, g, o (before activation) and the cell state in; the new cell
// state and h out.
template <class V>
HWY_INLINE void UpdateUnits(D d, V i, V f, V g, V o, const LstmWeights& w, float* HWY_RESTRICT c,
                            float* HWY_RESTRICT h) {
  i = SigmoidOf(d, i);
  f = SigmoidOf(d, f);
  g = CellActivation(d, g, w.activation);
  o = SigmoidOf(d, o);
  auto cell = hn::MulAdd(f, hn::LoadU(d, c), hn::Mul(i, g));
  if (w.cell_clip > 0.0f) {
    cell = hn::Min(hn::Max(cell, hn::Set(d, -w.cell_clip)), hn::Set(d, w.cell_clip));
  }
  hn::StoreU(cell, d, c);
  hn::StoreU(hn::Mul(CellActivation(d, cell, w.activation), o), d, h);
}

HWY_INLINE void UpdateCells(const LstmWeights& w, const float* HWY_RESTRICT gates,
                            float* HWY_RESTRICT h, float* HWY_RESTRICT c) {
  const D d;
  const size_t n = hn::Lanes(d);
  const size_t cells = static_cast<size_t>(w.n_cell);
  size_t u = 0;
  for (; u + n <= cells; u += n) {
    UpdateUnits(d, hn::LoadU(d, gates + u), hn::LoadU(d, gates + cells + u),
                hn::LoadU(d, gates + 2 * cells + u), hn::LoadU(d, gates + 3 * cells + u), w, c + u,
                h + u);
  }
  if (u < cells) {  // the last units through zero-padded vectors: no access past the arrays
    HWY_ALIGN float part[6][hn::MaxLanes(d)] = {};
    const size_t rest = cells - u;
    for (int g = 0; g < 4; ++g) std::copy_n(gates + g * cells + u, rest, part[g]);
    std::copy_n(c + u, rest, part[4]);
    UpdateUnits(d, hn::Load(d, part[0]), hn::Load(d, part[1]), hn::Load(d, part[2]),
                hn::Load(d, part[3]), w, part[4], part[5]);
    std::copy_n(part[4], rest, c + u);
    std::copy_n(part[5], rest, h + u);
  }
}

// The recurrent terms: as AddScaledRows, but where the gates are at most four vectors (16 units
// on AVX-512) each vector's sum is two chains, the even and the odd units', added at the end.
// One chain per vector left the step waiting on n_cell dependent multiply-adds, and the next
// step needs all of them.
HWY_INLINE void AddRecurrentRows(const float* start, const float* HWY_RESTRICT h, int32_t count,
                                 const float* HWY_RESTRICT rows, size_t width, float* out) {
  const D d;
  const size_t n = hn::Lanes(d);
  if (width != 4 * n || count < 2) {
    AddScaledRows(start, h, count, rows, width, out);
    return;
  }
  auto a0 = hn::LoadU(d, start), a1 = hn::LoadU(d, start + n);
  auto a2 = hn::LoadU(d, start + 2 * n), a3 = hn::LoadU(d, start + 3 * n);
  auto b0 = hn::Zero(d), b1 = hn::Zero(d), b2 = hn::Zero(d), b3 = hn::Zero(d);
  int32_t k = 0;
  for (; k + 2 <= count; k += 2) {
    const auto s = hn::Set(d, h[k]), t = hn::Set(d, h[k + 1]);
    const float* r = rows + static_cast<size_t>(k) * width;
    const float* q = r + width;
    a0 = hn::MulAdd(s, hn::LoadU(d, r), a0);
    a1 = hn::MulAdd(s, hn::LoadU(d, r + n), a1);
    a2 = hn::MulAdd(s, hn::LoadU(d, r + 2 * n), a2);
    a3 = hn::MulAdd(s, hn::LoadU(d, r + 3 * n), a3);
    b0 = hn::MulAdd(t, hn::LoadU(d, q), b0);
    b1 = hn::MulAdd(t, hn::LoadU(d, q + n), b1);
    b2 = hn::MulAdd(t, hn::LoadU(d, q + 2 * n), b2);
    b3 = hn::MulAdd(t, hn::LoadU(d, q + 3 * n), b3);
  }
  if (k < count) {
    const auto s = hn::Set(d, h[k]);
    const float* r = rows + static_cast<size_t>(k) * width;
    a0 = hn::MulAdd(s, hn::LoadU(d, r), a0);
    a1 = hn::MulAdd(s, hn::LoadU(d, r + n), a1);
    a2 = hn::MulAdd(s, hn::LoadU(d, r + 2 * n), a2);
    a3 = hn::MulAdd(s, hn::LoadU(d, r + 3 * n), a3);
  }
  hn::StoreU(hn::Add(a0, b0), d, out);
  hn::StoreU(hn::Add(a1, b1), d, out + n);
  hn::StoreU(hn::Add(a2, b2), d, out + 2 * n);
  hn::StoreU(hn::Add(a3, b3), d, out + 3 * n);
}

// One step: the gates from the step's input terms and h, then the new c and h, h copied to y.
HWY_INLINE void Step(const LstmWeights& w, const float* terms, float* HWY_RESTRICT h,
                     float* HWY_RESTRICT c, float* HWY_RESTRICT y, float* HWY_RESTRICT gates) {
  AddRecurrentRows(terms, h, w.n_cell, w.recurrent_t, 4 * static_cast<size_t>(w.n_cell), gates);
  UpdateCells(w, gates, h, c);
  std::copy_n(h, w.n_cell, y);
}

void LstmSequence(const LstmWeights& w, const float* HWY_RESTRICT x, int64_t x_stride,
                  int32_t steps, float* HWY_RESTRICT h, float* HWY_RESTRICT c,
                  float* HWY_RESTRICT y, int64_t y_stride, float* HWY_RESTRICT scratch) {
  const size_t width = 4 * static_cast<size_t>(w.n_cell);
  float* gates = scratch;
  float* ahead = scratch + width;
  if (steps <= 0) return;
  // Step t's recurrent terms wait for h; step t + 1's input terms, before them in program order,
  // do not and fill the wait.
  AddScaledRows(w.bias, x, w.n_input, w.input_t, width, ahead);
  for (int32_t t = 0; t < steps; ++t) {
    if (t + 1 < steps) {
      AddScaledRows(w.bias, x + (t + 1) * x_stride, w.n_input, w.input_t, width,
                    ahead + ((t + 1) & 1) * width);
    }
    Step(w, ahead + (t & 1) * width, h, c, y + t * y_stride, gates);
  }
}

void LstmInputTerms(const LstmWeights& w, const float* HWY_RESTRICT x, float* HWY_RESTRICT out) {
  AddScaledRows(w.bias, x, w.n_input, w.input_t, 4 * static_cast<size_t>(w.n_cell), out);
}

void LstmSequenceFromTerms(const LstmWeights& w, const float* const* terms, int32_t steps,
                           float* HWY_RESTRICT h, float* HWY_RESTRICT c, float* HWY_RESTRICT y,
                           int64_t y_stride, float* HWY_RESTRICT scratch) {
  for (int32_t t = 0; t < steps; ++t) Step(w, terms[t], h, c, y + t * y_stride, scratch);
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::tfl {

HWY_EXPORT(LstmSequence);
HWY_EXPORT(LstmInputTerms);
HWY_EXPORT(LstmSequenceFromTerms);

void lstm_sequence(const LstmWeights& w, const float* x, int64_t x_stride, int32_t steps, float* h,
                   float* c, float* y, int64_t y_stride, float* scratch) {
  HWY_DYNAMIC_DISPATCH(LstmSequence)(w, x, x_stride, steps, h, c, y, y_stride, scratch);
}

void lstm_input_terms(const LstmWeights& w, const float* x, float* out) {
  HWY_DYNAMIC_DISPATCH(LstmInputTerms)(w, x, out);
}

void lstm_sequence_from_terms(const LstmWeights& w, const float* const* terms, int32_t steps,
                              float* h, float* c, float* y, int64_t y_stride, float* scratch) {
  HWY_DYNAMIC_DISPATCH(LstmSequenceFromTerms)(w, terms, steps, h, c, y, y_stride, scratch);
}

size_t lstm_scratch_floats(const LstmWeights& w) {
  return 3 * 4 * static_cast<size_t>(w.n_cell);  // the gates, and two steps' input terms
}

void pack_lstm_gates(const float* const gates[4], int32_t n_cell, int32_t cols, float* out) {
  const int64_t width = 4 * static_cast<int64_t>(n_cell);
  for (int g = 0; g < 4; ++g) {
    for (int32_t u = 0; u < n_cell; ++u) {
      for (int32_t k = 0; k < cols; ++k) {
        out[k * width + g * n_cell + u] = gates[g][static_cast<int64_t>(u) * cols + k];
      }
    }
  }
}

}  // namespace pocketrec::tfl
#endif
