#include "runtime/score_table.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "runtime/rounding.hpp"
#include "runtime/score_kernels.hpp"

namespace pocketrec::runtime {
namespace {

// The int8 kernel's byte form of the user (Int8User::low_bytes, high_bytes). Only the kernel reads
// it, so queries the prefilter answers skip it.
void split_into_bytes(Int8User& user, int quads) {
  for (int j = 0; j < quads; ++j) {
    uint32_t low = 0, high = 0;
    for (int k = 0; k < 4; ++k) {
      const auto value = static_cast<uint16_t>(user.values[j * 4 + k]);
      low |= static_cast<uint32_t>(value & 0xff) << (8 * k);
      high |= static_cast<uint32_t>(((value >> 8) + 128) & 0xff) << (8 * k);
    }
    user.low_bytes[j] = low;
    user.high_bytes[j] = high;
  }
}

void check_finite(std::span<const float> values, const std::string& origin, const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw Error(origin + ": the " + what + " holds a non-finite value (" +
                  std::to_string(values[i]) + ") at " + std::to_string(i));
    }
  }
}

// Beyond this the scores leave L2 and a second pass over them costs more than it saves.
constexpr int kTwoPassMaxRows = 1 << 16;
// The 4-bit filter pays once an int8 table (its rows, scales and biases) outgrows the cache one
// core gets: at 131,072 x 32 (5 MB) scoring every row took 129-131 us against 176-195 us with the
// filter, at 262,144 x 32 (10 MB) the two tied, at 524,288 x 32 the filter took 560-581 us
// against 753-1,094 us (BM_TopKLarge; a bare 8 MiB read runs from L3 here, 16 MiB from DRAM).
constexpr size_t kCoarseMinTableBytes = size_t{8} << 20;

bool use_prefilter(int rows, int dim) {
  return rows <= kTwoPassMaxRows && dim <= kMaxPrefilterDim;
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
  // Padding rows score -inf: never returned, and never the maximum a chunk reports (the two-pass
  // top-K takes chunk maxima as lower bounds of real scores).
  t.bias_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, -INFINITY);
  for (int r = 0; r < rows; ++r) {
    const size_t block = r / kBlockRows, lane = r % kBlockRows;
    for (int k = 0; k < dim; ++k) {
      t.f32_[(block * dim + k) * kBlockRows + lane] = table[static_cast<size_t>(r) * dim + k];
    }
    t.bias_[r] = bias.empty() ? 0.0f : bias[r];
  }
  if (use_prefilter(rows, dim) && prefilter_vectorized()) {
    t.prefilter_ = Prefilter::from_float(table, rows, dim, bias);
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
  t.quads_ = (dim + 3) / 4;
  t.i8_.assign(static_cast<size_t>(t.blocks_) * t.quads_ * 4 * kBlockRows, 0);
  t.row_sums_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, 0);
  t.scale_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, 0.0f);
  // Padding rows score -inf: never returned, and never the maximum a chunk reports (the two-pass
  // top-K takes chunk maxima as lower bounds of real scores).
  t.bias_.assign(static_cast<size_t>(t.blocks_) * kBlockRows, -INFINITY);
  for (int r = 0; r < rows; ++r) {
    const size_t block = r / kBlockRows, lane = r % kBlockRows;
    for (int k = 0; k < dim; ++k) {
      const int8_t value = table[static_cast<size_t>(r) * dim + k];
      t.i8_[t.int8_at(block, k, lane)] = value;
      t.row_sums_[r] += value;
    }
    t.scale_[r] = row_scales.size() == 1 ? row_scales[0] : row_scales[r];
    t.bias_[r] = bias.empty() ? 0.0f : bias[r];
  }
  // Tables in cache score every row faster than the 4-bit pass, and the scalar version of that
  // pass is slower than the int8 kernel.
  const size_t table_bytes = static_cast<size_t>(rows) * (dim + 2 * sizeof(float));
  if (rows > kTwoPassMaxRows && table_bytes >= kCoarseMinTableBytes && coarse_filter_vectorized()) {
    t.coarse_ = CoarseFilter::from_int8(table, row_scales, rows, dim, bias);
  }
  // The prefilter only where its pass runs on VNNI (8-bit user levels, one vpdpbusd per quad):
  // there the synthetic 3,953 x 32 int8 top-K takes 1.8-2.1 us instead of 2.9 us; with AVX2's
  // byte multiply-adds it loses to the int8 kernel on a real int8 export
  // (`bench --synthetic-items 3953 --dim 32 --int8`).
  if (prefilter_vnni() && use_prefilter(rows, dim)) {
    t.prefilter_ = Prefilter::from_int8(table, row_scales, rows, dim, bias);
  }
  return t;
}

std::vector<int8_t> ScoreTable::int8_rows() const {
  std::vector<int8_t> table(static_cast<size_t>(rows_) * dim_);
  for (int r = 0; r < rows_; ++r) {
    for (int k = 0; k < dim_; ++k) {
      table[static_cast<size_t>(r) * dim_ + k] = i8_[int8_at(r / kBlockRows, k, r % kBlockRows)];
    }
  }
  return table;
}

void ScoreTable::force_coarse_filter() {
  if (!quantized_) return;
  coarse_ = CoarseFilter::from_int8(int8_rows(), std::span(scale_).first(rows_), rows_, dim_,
                                    std::span(bias_).first(rows_));
}

void ScoreTable::force_prefilter() {
  if (!use_prefilter(rows_, dim_)) return;
  if (quantized_) {
    prefilter_ = Prefilter::from_int8(int8_rows(), std::span(scale_).first(rows_), rows_, dim_,
                                      std::span(bias_).first(rows_));
    return;
  }
  std::vector<float> table(static_cast<size_t>(rows_) * dim_);
  for (int r = 0; r < rows_; ++r)
    row(static_cast<uint32_t>(r), table.data() + static_cast<size_t>(r) * dim_);
  prefilter_ = Prefilter::from_float(table, rows_, dim_, std::span(bias_).first(rows_));
}

size_t ScoreTable::bytes() const {
  return f32_.size() * sizeof(float) + i8_.size() + row_sums_.size() * sizeof(int32_t) +
         (scale_.size() + bias_.size()) * sizeof(float) + prefilter_.bytes() + coarse_.bytes();
}

size_t ScoreTable::filter_bytes() const {
  return prefilter_.bytes() + coarse_.bytes();
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

void ScoreTable::quantize_user(const float* user, Int8User& out) const {
  float max_abs = 0.0f;
  for (int k = 0; k < dim_; ++k) max_abs = std::max(max_abs, std::fabs(user[k]));
  out.scale = max_abs > 0.0f ? max_abs / 32767.0f : 1.0f;
  for (int k = 0; k < quads_ * 4; ++k) {
    out.values[k] =
        k < dim_ ? static_cast<int16_t>(round_half_away(user[k] / out.scale)) : int16_t{0};
  }
}

float ScoreTable::score_chunk(const float* user, const Int8User& quantized, const float* bias,
                              int first, int count, float* out) const {
  return quantized_ ? score_blocks_i8(int8_scoring(bias, quantized), first, count, out)
                    : score_blocks_f32(f32_.data(), bias, user, dim_, first, count, out);
}

void ScoreTable::top_k(const float* user, std::span<const uint8_t> skip, TopK& top,
                       TopKScratch* scratch) const {
  std::vector<float> masked(bias_.begin(), bias_.end());
  for (size_t r = 0; r < skip.size(); ++r) {
    if (skip[r]) masked[r] = -INFINITY;
  }
  top_k_masked(user, masked.data(), top, scratch);
}

TopKScratch ScoreTable::make_scratch() const {
  TopKScratch scratch;
  if (!coarse_.empty()) scratch.coarse_bounds.resize(coarse_.blocks());
  if (rows_ > kTwoPassMaxRows) return scratch;
  const int chunks = (blocks_ + kChunkBlocks - 1) / kChunkBlocks;
  scratch.scores.resize(static_cast<size_t>(chunks) * kChunkBlocks * kBlockRows);
  scratch.chunk_max.resize(chunks);
  scratch.spare.resize(chunks + 16);  // padded for vector loads
  scratch.candidates.resize(rows_);
  if (!prefilter_.empty()) prefilter_.prepare(scratch);
  return scratch;
}

bool ScoreTable::try_prefilter(const float* user, const float* masked_bias, TopKScratch& scratch,
                               TopK& top, const Int8User* quantized) const {
  if (prefilter_.empty()) return false;
  if (scratch.prefilter_pause > 0) {
    --scratch.prefilter_pause;
    return false;
  }
  const int exact = prefilter_.top_k(user, masked_bias, scratch, top, quantized,
                                     quantized ? scale_.data() : nullptr);
  if (exact < 0) return false;
  ++scratch.prefiltered_queries;
  scratch.prefilter_exact_rows += static_cast<size_t>(exact);
  if (scratch.prefilter_two_parts) ++scratch.two_part_queries;
  float& average = scratch.exact_rows_average;
  average += (static_cast<float>(exact) - average) / 8.0f;
  if (!scratch.prefilter_parts_fixed) {
    // The second part about halves the rows beyond the K best, so it is dropped again only well
    // below the point where it started to pay (a margin of 2).
    const float beyond = average - static_cast<float>(std::min<size_t>(top.k(), rows_));
    const float pays = prefilter_.two_parts_excess_rows();
    scratch.prefilter_two_parts =
        scratch.prefilter_two_parts ? beyond >= 0.25f * pays : beyond > pays;
  }
  if (scratch.prefiltered_queries >= kPrefilterWarmup && average > prefilter_.exact_rows_limit()) {
    scratch.prefilter_pause = kPrefilterPause;
    average = 0.5f * prefilter_.exact_rows_limit();
  }
  return true;
}

void ScoreTable::top_k_masked(const float* user, const float* masked_bias, TopK& top,
                              TopKScratch* scratch) const {
  for (int k = 0; k < dim_; ++k) {
    if (!std::isfinite(user[k])) {
      throw Error("the user vector holds a non-finite value (" + std::to_string(user[k]) + ") at " +
                  std::to_string(k) + ": the model's encoder overflowed");
    }
  }
  const bool two_pass = scratch && !scratch->scores.empty();
  if (!quantized_ && two_pass && try_prefilter(user, masked_bias, *scratch, top)) return;
  if (!quantized_ && two_pass) ++scratch->full_queries;
  if (!quantized_ && two_pass) {
    top_k_two_pass_f32(f32_.data(), masked_bias, user, dim_, blocks_, rows_, *scratch, top);
    return;
  }
  if (!quantized_) {
    top_k_f32(f32_.data(), masked_bias, user, dim_, blocks_, rows_, top);
    return;
  }
  Int8User quantized;
  quantize_user(user, quantized);
  if (two_pass && try_prefilter(user, masked_bias, *scratch, top, &quantized)) return;
  if (two_pass) ++scratch->full_queries;
  split_into_bytes(quantized, quads_);
  const Int8Scoring exact = int8_scoring(masked_bias, quantized);
  if (!two_pass && !coarse_.empty()) {
    const long exact_rows =
        coarse_.top_k(exact, top, scratch ? std::span(scratch->coarse_bounds) : std::span<float>());
    if (exact_rows >= 0 && scratch) {
      ++scratch->coarse_queries;
      scratch->coarse_exact_rows += static_cast<size_t>(exact_rows);
    }
    if (exact_rows >= 0) return;
  }
  if (two_pass) {
    top_k_two_pass_i8(exact, *scratch, top);
    return;
  }
  top_k_i8(exact, top);
}

void ScoreTable::score_all(const float* user, float* out) const {
  alignas(64) float chunk[kChunkBlocks * kBlockRows];
  Int8User quantized;
  if (quantized_) {
    quantize_user(user, quantized);
    split_into_bytes(quantized, quads_);
  }
  for (int first = 0; first < blocks_; first += kChunkBlocks) {
    const int count = std::min(kChunkBlocks, blocks_ - first);
    score_chunk(user, quantized, bias_.data(), first, count, chunk);
    const int base = first * kBlockRows;
    const int n = std::min(count * kBlockRows, rows_ - base);
    std::copy(chunk, chunk + n, out + base);
  }
}

}  // namespace pocketrec::runtime
