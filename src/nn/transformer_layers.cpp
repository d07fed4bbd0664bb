#include "nn/transformer_layers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <unsupported/Eigen/SpecialFunctions>

namespace pocketrec::nn {
namespace {

using StridedMap = Eigen::Map<RowMajor, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMajor, 0, Eigen::OuterStride<>>;

uint64_t dropout_hash(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

void layer_norm_forward(const Matrix& gamma, const Matrix& beta, const float* x, int rows, int dim,
                        LayerNormState& state, float* y) {
  if (state.normalized.rows != rows || state.normalized.cols != dim)
    state.normalized.reshape(rows, dim);
  state.rstd.resize(rows);
  for (int r = 0; r < rows; ++r) {
    const float* in = x + static_cast<size_t>(r) * dim;
    float mean = 0;
    for (int i = 0; i < dim; ++i) mean += in[i];
    mean /= static_cast<float>(dim);
    float var = 0;
    for (int i = 0; i < dim; ++i) var += (in[i] - mean) * (in[i] - mean);
    var /= static_cast<float>(dim);
    const float rstd = 1.0f / std::sqrt(var + kLayerNormEpsilon);
    state.rstd[r] = rstd;
    float* normalized = state.normalized.row(r);
    float* out = y + static_cast<size_t>(r) * dim;
    for (int i = 0; i < dim; ++i) {
      normalized[i] = (in[i] - mean) * rstd;
      out[i] = normalized[i] * gamma.data[i] + beta.data[i];
    }
  }
}

void layer_norm_backward(const Matrix& gamma, const LayerNormState& state, const float* dy,
                         float* dx, bool accumulate, Gradient& gamma_grad, Gradient& beta_grad) {
  const int rows = state.normalized.rows, dim = state.normalized.cols;
  float* dgamma = gamma_grad.values.data.data();
  float* dbeta = beta_grad.values.data.data();
  std::vector<float> dnorm(dim);
  for (int r = 0; r < rows; ++r) {
    const float* g = dy + static_cast<size_t>(r) * dim;
    const float* normalized = state.normalized.row(r);
    float mean_d = 0, mean_dn = 0;
    for (int i = 0; i < dim; ++i) {
      dgamma[i] += g[i] * normalized[i];
      dbeta[i] += g[i];
      dnorm[i] = g[i] * gamma.data[i];
      mean_d += dnorm[i];
      mean_dn += dnorm[i] * normalized[i];
    }
    mean_d /= static_cast<float>(dim);
    mean_dn /= static_cast<float>(dim);
    float* out = dx + static_cast<size_t>(r) * dim;
    const float rstd = state.rstd[r];
    for (int i = 0; i < dim; ++i) {
      float d = rstd * (dnorm[i] - mean_d - normalized[i] * mean_dn);
      out[i] = accumulate ? out[i] + d : d;
    }
  }
}

// Eigen's float erf and exp are vectorized rational approximations within a few ulp of libm's;
// the scalar erff was a tenth of attention training time (perf over one ml-1m-sasrec epoch).
void gelu_forward(const float* x, float* y, size_t count) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  const auto n = static_cast<Eigen::Index>(count);
  Eigen::Map<const Eigen::ArrayXf> in(x, n);
  Eigen::Map<Eigen::ArrayXf>(y, n) = 0.5f * in * (1.0f + (in * kInvSqrt2).erf());
}

void gelu_backward(const float* x, const float* dy, float* dx, size_t count) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  constexpr float kInvSqrt2Pi = 0.39894228040143268f;
  constexpr size_t kChunk = 256;
  alignas(64) float cdf[kChunk], pdf[kChunk];
  for (size_t first = 0; first < count; first += kChunk) {
    const auto n = static_cast<Eigen::Index>(std::min(kChunk, count - first));
    Eigen::Map<const Eigen::ArrayXf> in(x + first, n);
    Eigen::Map<Eigen::ArrayXf> c(cdf, n), p(pdf, n);
    c = 0.5f * (1.0f + (in * kInvSqrt2).erf());
    p = kInvSqrt2Pi * (-0.5f * in.square()).exp();
    Eigen::Map<Eigen::ArrayXf>(dx + first, n) =
        Eigen::Map<const Eigen::ArrayXf>(dy + first, n) * (c + in * p);
  }
}

// SplitMix64's stream from a mixed seed: one mix per value once the seed's mix is hoisted out
// of the dropout loops.
float dropout_uniform(uint64_t seed, uint64_t index) {
  return static_cast<float>(dropout_hash(dropout_hash(seed) + index * 0x9E3779B97F4A7C15ull) >>
                            40) *
         0x1.0p-24f;
}

void dropout_forward(float* x, size_t count, float rate, uint64_t seed, uint64_t first_index,
                     DropoutMask& mask) {
  dropout_forward_runs(x, count, {DropoutRun{0, count, first_index}}, rate, seed, mask);
}

void dropout_forward_runs(float* x, size_t total, const std::vector<DropoutRun>& runs, float rate,
                          uint64_t seed, DropoutMask& mask) {
  mask.active = rate > 0;
  if (!mask.active) return;
  mask.scale = 1.0f / (1.0f - rate);
  mask.keep.resize(total);
  for (const auto& run : runs) {
    uint8_t* keep = mask.keep.data() + run.first_value;
    float* values = x + run.first_value;
    for (size_t i = 0; i < run.count; ++i) {
      keep[i] = dropout_uniform(seed, run.first_index + i) >= rate;
      values[i] = keep[i] ? values[i] * mask.scale : 0.0f;
    }
  }
}

void dropout_backward(const DropoutMask& mask, float* dx, size_t count) {
  if (!mask.active) return;
  for (size_t i = 0; i < count; ++i) dx[i] = mask.keep[i] ? dx[i] * mask.scale : 0.0f;
}

PackedRows unpacked_rows(int batch, int length) {
  PackedRows layout;
  layout.start.assign(batch, 0);
  layout.row0.resize(batch);
  for (int b = 0; b < batch; ++b) layout.row0[b] = static_cast<size_t>(b) * length;
  layout.rows = static_cast<size_t>(batch) * length;
  return layout;
}

namespace {

// Softmax over row[0, i] (position `first` + j for column j), masked entries excluded; the
// columns after i are zeroed. m: the mask from position `first` on; holes: m has zeros in [0, n).
void causal_softmax_row(float* row, int i, int n, const int32_t* m, bool holes) {
  if (!holes) {
    Eigen::Map<Eigen::ArrayXf> seen(row, i + 1);
    seen = (seen - seen.maxCoeff()).exp();
    seen *= 1.0f / seen.sum();  // column 0 is unmasked, so the sum is at least its term
  } else {
    float top = -std::numeric_limits<float>::infinity();
    for (int j = 0; j <= i; ++j) {
      if (m[j] != 0) top = std::max(top, row[j]);
    }
    float sum = 0;
    for (int j = 0; j <= i; ++j) {
      row[j] = m[j] != 0 ? std::exp(row[j] - top) : 0.0f;
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j <= i; ++j) row[j] *= inv;
  }
  std::fill(row + i + 1, row + n, 0.0f);
}

}  // namespace

void causal_attention_forward(const float* qkv, const int32_t* mask, const AttentionShape& shape,
                              float dropout_rate, uint64_t seed, uint64_t first_sequence,
                              AttentionState& state, float* out) {
  causal_attention_forward(qkv, mask, shape, unpacked_rows(shape.batch, shape.length), dropout_rate,
                           seed, first_sequence, state, out);
}

void causal_attention_forward(const float* qkv, const int32_t* mask, const AttentionShape& shape,
                              const PackedRows& layout, float dropout_rate, uint64_t seed,
                              uint64_t first_sequence, AttentionState& state, float* out) {
  const int L = shape.length, d = shape.dim, H = shape.heads, dh = shape.head_dim();
  const int stride = 3 * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  state.shape = shape;
  state.layout = layout;
  state.first_valid.assign(shape.batch, L);
  state.offsets.assign(static_cast<size_t>(shape.batch) * H, 0);
  size_t total = 0;
  for (int b = 0; b < shape.batch; ++b) {
    const int32_t* m = mask + static_cast<size_t>(b) * L;
    int first = layout.start[b];
    while (first < L && m[first] == 0) ++first;
    state.first_valid[b] = first;
    const size_t n = static_cast<size_t>(L - first);
    for (int h = 0; h < H; ++h) {
      state.offsets[static_cast<size_t>(b) * H + h] = total;
      total += n * n;
    }
  }
  state.probs.resize(total);
  const bool dropout = dropout_rate > 0;
  state.prob_dropout.active = dropout;
  if (dropout) {
    state.prob_dropout.scale = 1.0f / (1.0f - dropout_rate);
    state.prob_dropout.keep.resize(total);
  }
  for (int b = 0; b < shape.batch; ++b) {
    const int first = state.first_valid[b];
    const int n = L - first;
    // Positions before the first unmasked one have nothing to attend to.
    std::fill(out + layout.row0[b] * d, out + layout.row0[b] * d + (first - layout.start[b]) * d,
              0.0f);
    if (n == 0) continue;
    const int32_t* m = mask + static_cast<size_t>(b) * L + first;
    const bool holes = std::find(m, m + n, 0) != m + n;
    const size_t row0 = layout.row(b, first);
    const float* base = qkv + row0 * stride;
    for (int h = 0; h < H; ++h) {
      ConstStridedMap q(base + h * dh, n, dh, Eigen::OuterStride<>(stride));
      ConstStridedMap k(base + d + h * dh, n, dh, Eigen::OuterStride<>(stride));
      ConstStridedMap v(base + 2 * d + h * dh, n, dh, Eigen::OuterStride<>(stride));
      const size_t offset = state.offsets[static_cast<size_t>(b) * H + h];
      float* p = state.probs.data() + offset;
      MatMap scores(p, n, n);
      scores.noalias() = (q * k.transpose()) * scale;
      for (int i = 0; i < n; ++i)
        causal_softmax_row(p + static_cast<size_t>(i) * n, i, n, m, holes);
      const float* weights = p;
      if (dropout) {
        state.weights.resize(static_cast<size_t>(L) * L);
        float* dropped = state.weights.data();
        uint8_t* keep = state.prob_dropout.keep.data() + offset;
        const uint64_t stream =
            ((first_sequence + static_cast<uint64_t>(b)) * H + h) * static_cast<uint64_t>(L) * L;
        // Above the diagonal the weights are zero whatever the mask: no draws there.
        for (int i = 0; i < n; ++i) {
          const size_t row = static_cast<size_t>(i) * n;
          for (int j = 0; j <= i; ++j) {
            keep[row + j] =
                dropout_uniform(seed, stream + static_cast<uint64_t>(i) * L + j) >= dropout_rate;
            dropped[row + j] = keep[row + j] ? p[row + j] * state.prob_dropout.scale : 0.0f;
          }
          std::fill(keep + row + i + 1, keep + row + n, uint8_t{0});
          std::fill(dropped + row + i + 1, dropped + row + n, 0.0f);
        }
        weights = dropped;
      }
      StridedMap o(out + row0 * d + h * dh, n, dh, Eigen::OuterStride<>(d));
      o.noalias() = map(weights, n, n) * v;
    }
  }
}

void causal_attention_backward(const float* qkv, const AttentionState& state, const float* dout,
                               float* dqkv) {
  const auto& shape = state.shape;
  const auto& layout = state.layout;
  const int L = shape.length, d = shape.dim, H = shape.heads, dh = shape.head_dim();
  const int stride = 3 * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  state.weights.resize(static_cast<size_t>(L) * L);
  state.weight_grads.resize(static_cast<size_t>(L) * L);
  for (int b = 0; b < shape.batch; ++b) {
    const int first = state.first_valid[b];
    const int n = L - first;
    std::fill(dqkv + layout.row0[b] * stride,
              dqkv + layout.row0[b] * stride + (first - layout.start[b]) * stride, 0.0f);
    if (n == 0) continue;
    const size_t row0 = layout.row(b, first);
    const float* base = qkv + row0 * stride;
    float* dbase = dqkv + row0 * stride;
    for (int h = 0; h < H; ++h) {
      ConstStridedMap q(base + h * dh, n, dh, Eigen::OuterStride<>(stride));
      ConstStridedMap k(base + d + h * dh, n, dh, Eigen::OuterStride<>(stride));
      ConstStridedMap v(base + 2 * d + h * dh, n, dh, Eigen::OuterStride<>(stride));
      StridedMap dq(dbase + h * dh, n, dh, Eigen::OuterStride<>(stride));
      StridedMap dk(dbase + d + h * dh, n, dh, Eigen::OuterStride<>(stride));
      StridedMap dv(dbase + 2 * d + h * dh, n, dh, Eigen::OuterStride<>(stride));
      ConstStridedMap dO(dout + row0 * d + h * dh, n, dh, Eigen::OuterStride<>(d));
      const size_t offset = state.offsets[static_cast<size_t>(b) * H + h];
      MatMap weights(state.weights.data(), n, n);
      MatMap dweights(state.weight_grads.data(), n, n);
      weights = ConstMatMap(state.probs.data() + offset, n, n);
      const uint8_t* keep =
          state.prob_dropout.active ? state.prob_dropout.keep.data() + offset : nullptr;
      const size_t cells = static_cast<size_t>(n) * n;
      if (keep) {
        for (size_t i = 0; i < cells; ++i) {
          weights.data()[i] = keep[i] ? weights.data()[i] * state.prob_dropout.scale : 0.0f;
        }
      }
      dv.noalias() = weights.transpose() * dO;
      dweights.noalias() = dO * v.transpose();
      if (keep) {
        for (size_t i = 0; i < cells; ++i) {
          dweights.data()[i] = keep[i] ? dweights.data()[i] * state.prob_dropout.scale : 0.0f;
        }
      }
      // Softmax backward, row by row: dS = P (dP - <dP, P>); masked entries have P = 0.
      for (int i = 0; i < n; ++i) {
        const float* prow = state.probs.data() + offset + static_cast<size_t>(i) * n;
        float* drow = dweights.data() + static_cast<size_t>(i) * n;
        float dot = 0;
        for (int j = 0; j <= i; ++j) dot += drow[j] * prow[j];
        for (int j = 0; j < n; ++j) drow[j] = j <= i ? prow[j] * (drow[j] - dot) * scale : 0.0f;
      }
      dq.noalias() = dweights * k;
      dk.noalias() = dweights.transpose() * q;
    }
  }
}

}  // namespace pocketrec::nn
