#include "runtime/score_table.hpp"

#include <cmath>

#include "core/error.hpp"
#include "runtime/score_kernels.hpp"

namespace pocketrec::runtime {
namespace {

constexpr int kChunkBlocks = 4;  // 64 scores between kernel and heap: small enough to skip often

void check_finite(std::span<const float> values, const std::string& origin, const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw Error(origin + ": the " + what + " holds a non-finite value (" +
                  std::to_string(values[i]) + ") at " + std::to_string(i));
    }
  }
}

}  // namespace

ScoreTable ScoreTable::from_float(std::span<const float> table, int rows, int dim,
                                  std::span<const float> bias, const std::string& origin) {
  check_finite(table, origin, "label table");
  check_finite(bias, origin, "label bias");
  ScoreTable t;
  t.rows_ = rows;
  t.dim_ = dim;
  t.blocks_ = (rows + kBlockRows - 1) / kBlockRows;
  t.f32_.assign(static_cast<size_t>(t.blocks_) * dim * kBlockRows, 0.0f);
  t.bias_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, 0.0f);
  for (int r = 0; r < rows; ++r) {
    const size_t block = r / kBlockRows, lane = r % kBlockRows;
    for (int k = 0; k < dim; ++k) {
      t.f32_[(block * dim + k) * kBlockRows + lane] = table[static_cast<size_t>(r) * dim + k];
    }
    if (!bias.empty()) t.bias_[r] = bias[r];
  }
  return t;
}

ScoreTable ScoreTable::from_int8(std::span<const int8_t> table, std::span<const float> row_scales,
                                 int rows, int dim, std::span<const float> bias,
                                 const std::string& origin) {
  check_finite(row_scales, origin, "label scales");
  if (dim > kMaxQuantizedDim) {
    throw Error(origin + ": int8 tables support at most " + std::to_string(kMaxQuantizedDim) +
                " dimensions, this one has " + std::to_string(dim));
  }
  check_finite(bias, origin, "label bias");
  ScoreTable t;
  t.rows_ = rows;
  t.dim_ = dim;
  t.quantized_ = true;
  t.blocks_ = (rows + kBlockRows - 1) / kBlockRows;
  t.pairs_ = (dim + 1) / 2;
  t.i8_.assign(static_cast<size_t>(t.blocks_) * t.pairs_ * 2 * kBlockRows, 0);
  t.scale_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, 0.0f);
  t.bias_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, 0.0f);
  for (int r = 0; r < rows; ++r) {
    const size_t block = r / kBlockRows, lane = r % kBlockRows;
    for (int k = 0; k < dim; ++k) {
      t.i8_[t.int8_at(block, k, lane)] = table[static_cast<size_t>(r) * dim + k];
    }
    t.scale_[r] = row_scales.size() == 1 ? row_scales[0] : row_scales[r];
    if (!bias.empty()) t.bias_[r] = bias[r];
  }
  return t;
}

size_t ScoreTable::bytes() const {
  return f32_.size() * sizeof(float) + i8_.size() + (scale_.size() + bias_.size()) * sizeof(float);
}

float ScoreTable::score(const float* user, uint32_t row) const {
  const size_t block = row / kBlockRows, lane = row % kBlockRows;
  float s = 0.0f;
  for (int k = 0; k < dim_; ++k) {
    s += user[k] * (quantized_ ? static_cast<float>(i8_[int8_at(block, k, lane)])
                               : f32_[(block * dim_ + k) * kBlockRows + lane]);
  }
  return quantized_ ? s * scale_[row] + bias_[row] : s + bias_[row];
}

void ScoreTable::row(uint32_t row, float* out) const {
  const size_t block = row / kBlockRows, lane = row % kBlockRows;
  for (int k = 0; k < dim_; ++k) {
    out[k] = quantized_ ? static_cast<float>(i8_[int8_at(block, k, lane)]) * scale_[row]
                        : f32_[(block * dim_ + k) * kBlockRows + lane];
  }
}

float ScoreTable::quantize_user(const float* user, int32_t* pairs) const {
  float max_abs = 0.0f;
  for (int k = 0; k < dim_; ++k) max_abs = std::max(max_abs, std::fabs(user[k]));
  const float scale = max_abs > 0.0f ? max_abs / 32767.0f : 1.0f;
  for (int p = 0; p < pairs_; ++p) {
    auto q = [&](int k) -> uint32_t {
      if (k >= dim_) return 0;
      return static_cast<uint16_t>(static_cast<int16_t>(std::lround(user[k] / scale)));
    };
    pairs[p] = static_cast<int32_t>(q(2 * p) | (q(2 * p + 1) << 16));
  }
  return scale;
}

float ScoreTable::score_chunk(const float* user, const int32_t* pairs, float user_scale,
                              const float* bias, int first, int count, float* out) const {
  return quantized_ ? score_blocks_i8(i8_.data(), scale_.data(), bias, pairs, user_scale, pairs_,
                                      first, count, out)
                    : score_blocks_f32(f32_.data(), bias, user, dim_, first, count, out);
}

void ScoreTable::top_k(const float* user, std::span<const uint8_t> skip, TopK& top) const {
  std::vector<float> masked = bias_;
  for (size_t r = 0; r < skip.size(); ++r) {
    if (skip[r]) masked[r] = -INFINITY;
  }
  top_k_masked(user, masked.data(), top);
}

void ScoreTable::top_k_masked(const float* user, const float* masked_bias, TopK& top) const {
  alignas(64) float chunk[kChunkBlocks * kBlockRows];
  int32_t pairs[kMaxQuantizedDim / 2];
  const float user_scale = quantized_ ? quantize_user(user, pairs) : 1.0f;
  for (int first = 0; first < blocks_; first += kChunkBlocks) {
    const int count = std::min(kChunkBlocks, blocks_ - first);
    const float best = score_chunk(user, pairs, user_scale, masked_bias, first, count, chunk);
    float threshold = top.threshold();
    if (!(best > threshold)) continue;  // nothing in this chunk can enter
    const int base = first * kBlockRows;
    const int n = std::min(count * kBlockRows, rows_ - base);
    // Branch-free candidate list first: few rows pass once the heap is warm.
    int candidates[kChunkBlocks * kBlockRows];
    int found = 0;
    for (int i = 0; i < n; ++i) {
      candidates[found] = i;
      found += chunk[i] > threshold;
    }
    for (int c = 0; c < found; ++c) {
      const int i = candidates[c];
      if (!(chunk[i] > threshold)) continue;
      top.push(static_cast<uint32_t>(base + i), chunk[i]);
      threshold = top.threshold();
    }
  }
}

void ScoreTable::score_all(const float* user, float* out) const {
  alignas(64) float chunk[kChunkBlocks * kBlockRows];
  int32_t pairs[kMaxQuantizedDim / 2];
  const float user_scale = quantized_ ? quantize_user(user, pairs) : 1.0f;
  for (int first = 0; first < blocks_; first += kChunkBlocks) {
    const int count = std::min(kChunkBlocks, blocks_ - first);
    score_chunk(user, pairs, user_scale, bias_.data(), first, count, chunk);
    const int base = first * kBlockRows;
    const int n = std::min(count * kBlockRows, rows_ - base);
    std::copy(chunk, chunk + n, out + base);
  }
}

}  // namespace pocketrec::runtime
