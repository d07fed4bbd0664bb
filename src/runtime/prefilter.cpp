#include "runtime/prefilter.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"

namespace pocketrec::runtime {
namespace {

// The user bytes are signed levels and the codes unsigned bytes, 128 + a value in [-127, 127].
// AVX2's 8-bit multiply-add adds pairs of products in int16, so the levels stay in [-63, 63]
// (2 * 255 * 63 < 32768); VNNI's vpdpbusd adds them in int32, so where the kernels run on it
// the levels take [-127, 127] (prefilter_user_levels), which halves the user's rounding, the larger
// part of the error bound (the starter CNN's rows scored exactly: 233 -> about 100 per query with
// that part halved). The code offset adds 128 * sum(levels) to every row alike, one constant per
// query. (6 bits would let two quads add in int16 before widening, but doubled the rows scored
// exactly: slower on every model measured.)
constexpr int kCodeOffset = 128;

}  // namespace

void Prefilter::build_codes(int rows, int dim) {
  rows_ = rows;
  dim_ = dim;
  quads_ = (dim + 3) / 4;
  blocks_ = (rows + kPrefilterBlockRows - 1) / kPrefilterBlockRows;
  const size_t padded = static_cast<size_t>(blocks_) * kPrefilterBlockRows;
  codes_.assign(padded * quads_ * 4, kCodeOffset);
  chunk_l1_.assign(chunks(), 0.0f);
  chunk_l2_.assign(chunks(), 0.0f);
  row_norms_.assign(2 * static_cast<size_t>(rows), 0.0f);
  chunk_scale_.assign(chunks(), 0.0f);
}

template <class RowOf>
void Prefilter::encode_rows(const RowOf& row_of, std::span<const float> bias) {
  std::vector<float> v(dim_);
  // One code scale per 64-row chunk: the error bound is per chunk anyway (its largest scale), and
  // the pass then loads no per-row scale.
  for (int r = 0; r < rows_; ++r) {
    row_of(r, v.data());
    float max_abs = 0.0f, l1 = 0.0f;
    double squares = 0.0;
    for (int k = 0; k < dim_; ++k) {
      max_abs = std::max(max_abs, std::fabs(v[k]));
      l1 += std::fabs(v[k]);
      squares += static_cast<double>(v[k]) * v[k];
    }
    // Rounded up: a bound.
    const float l2 =
        std::nextafter(static_cast<float>(std::sqrt(squares) * (1 + 0x1p-40)), INFINITY);
    const size_t c = r / kPrefilterChunkRows;
    chunk_scale_[c] = std::max(chunk_scale_[c], max_abs / 127.0f);
    chunk_l1_[c] = std::max(chunk_l1_[c], l1);
    chunk_l2_[c] = std::max(chunk_l2_[c], l2);
    row_norms_[2 * static_cast<size_t>(r)] = l1;
    row_norms_[2 * static_cast<size_t>(r) + 1] = l2;
    max_l1_ = std::max(max_l1_, l1);
  }
  for (int r = 0; r < rows_; ++r) {
    row_of(r, v.data());
    const float scale = chunk_scale_[r / kPrefilterChunkRows];
    for (int k = 0; k < dim_ && scale > 0.0f; ++k) {
      code(r, k) =
          static_cast<uint8_t>(kCodeOffset + std::clamp(std::lround(v[k] / scale), -127L, 127L));
    }
    // |v - scale * code| <= scale / 2 per dimension (plus the rounding of v / scale).
    max_width_ =
        std::max(max_width_, chunk_l1_[r / kPrefilterChunkRows] + static_cast<float>(dim_) * scale);
  }
  for (float s : chunk_scale_) max_code_scale_ = std::max(max_code_scale_, s);
  for (float b : bias) max_abs_bias_ = std::max(max_abs_bias_, std::fabs(b));
}

Prefilter Prefilter::from_float(std::span<const float> table, int rows, int dim,
                                std::span<const float> bias) {
  Prefilter p;
  p.build_codes(rows, dim);
  p.rows_f32_.assign(table.begin(), table.end());
  p.encode_rows(
      [&](int r, float* out) {
        std::copy_n(table.data() + static_cast<size_t>(r) * dim, dim, out);
      },
      bias);
  return p;
}

Prefilter Prefilter::from_int8(std::span<const int8_t> table, std::span<const float> row_scales,
                               int rows, int dim, std::span<const float> bias) {
  Prefilter p;
  p.build_codes(rows, dim);
  p.rows_i8_.assign(table.begin(), table.end());
  // The codes approximate the dequantized rows; the bound's user term takes the exact score's
  // int16 user (see top_k).
  p.encode_rows(
      [&](int r, float* out) {
        const float scale = row_scales.size() == 1 ? row_scales[0] : row_scales[r];
        for (int k = 0; k < dim; ++k) {
          out[k] = static_cast<float>(table[static_cast<size_t>(r) * dim + k]) * scale;
        }
      },
      bias);
  return p;
}

size_t Prefilter::bytes() const {
  return codes_.size() + rows_i8_.size() +
         (chunk_l1_.size() + chunk_l2_.size() + chunk_scale_.size() + row_norms_.size() +
          rows_f32_.size()) *
             sizeof(float);
}

size_t Prefilter::chunks() const {
  return (static_cast<size_t>(rows_) + kPrefilterChunkRows - 1) / kPrefilterChunkRows;
}

void Prefilter::prepare(TopKScratch& scratch) const {
  const size_t chunks = this->chunks();
  scratch.scores.resize(chunks * kPrefilterChunkRows);
  scratch.chunk_max.resize(chunks + 16);  // padded for vector loads
  scratch.spare.resize(chunks + 16);
  scratch.chunk_error.resize(chunks + 16);  // padded for vector loads
  scratch.chunk_rest.resize(chunks);
  scratch.low_max.resize(chunks);
  scratch.candidates.resize(rows_);
}

int Prefilter::top_k(const float* user, const float* masked_bias, TopKScratch& scratch, TopK& top,
                     const Int8User* user_i8, const float* row_scale) const {
  if (!rows_i8_.empty() && (user_i8 == nullptr || row_scale == nullptr)) return -1;
  // With k beyond the number of 64-row chunks the selection has no chunk maxima to start from and
  // would sort every row: scoring every row costs less.
  if (top.k() > chunks()) return -1;
  float max_abs = 0.0f;
  for (int k = 0; k < dim_; ++k) max_abs = std::max(max_abs, std::fabs(user[k]));
  if (!std::isfinite(max_abs)) return -1;
  const int levels_limit = prefilter_user_levels();
  const float step = max_abs / static_cast<float>(levels_limit);
  // The low levels quantize what the levels leave (at most step / 2) at a step 2 * levels_limit
  // times finer.
  const bool two_parts = scratch.prefilter_two_parts;
  const float step_low = step / static_cast<float>(2 * levels_limit);
  UserLevels levels;
  quantize_user(user, user_i8, dim_, quads_, step, step_low, two_parts, levels);
  const ErrorBound bound = error_bound(levels, max_abs, step);
  // An overflowing bound would make every row a candidate: score every row instead.
  if (!(bound.alpha_l1 * max_l1_ + bound.beta * max_code_scale_ + bound.rounding < INFINITY)) {
    return -1;
  }
  prepare(scratch);
  PrefilterQuery q = query(levels, step, step_low, two_parts, bound, scratch);
  q.bias = masked_bias;
  q.user = user;
  if (!rows_i8_.empty()) {
    q.user_i8 = user_i8;
    q.row_scale = row_scale;
  }
  return top_k_prefiltered(q, scratch, top);
}

// |exact - approximate| for row r, from three sources:
//  - the user rounded to levels: |dot(e, row)| <= min(max|e| * sum|row|, |e|_2 * |row|_2)
//    (e is the exact score's user less its approximation, step * levels (+ step_low * low
//    levels): max|e| <= step / 2 (step_low / 2) for float tables, and for int8 tables e holds
//    the int16 rounding too; the L2 form is the smaller for all but sparse rows, by about a
//    third on the starter models);
//  - the rows rounded to codes: at most scale / 2 per dimension, times sum|approximate user|;
//  - float rounding in both computations: (dim + 12) units in the last place of the largest
//    magnitude either sums (|bias| + (max|user| + step) * (sum|row| + dim * scale)), bounded
//    table-wide (the approximation's two parts add two roundings).
// The factor 1.001 covers the rounding of the bound itself and of the codes' scales.
Prefilter::ErrorBound Prefilter::error_bound(const UserLevels& levels, float max_abs,
                                             float step) const {
  ErrorBound b;
  b.alpha_l1 = static_cast<float>(levels.error_max * (1 + 0x1p-40)) * 1.001f;
  b.alpha_l2 = static_cast<float>(std::sqrt(levels.error_squares) * (1 + 0x1p-40)) * 1.001f;
  b.beta = 0.5f * levels.approx_l1 * 1.001f;
  b.rounding = static_cast<float>(dim_ + 12) * 0x1p-24f *
               (max_abs_bias_ + (max_abs + step) * max_width_) * 1.001f;
  return b;
}

// The approximate pass's inputs, with each chunk's error bound written into the scratch.
PrefilterQuery Prefilter::query(const UserLevels& levels, float step, float step_low,
                                bool two_parts, const ErrorBound& bound,
                                TopKScratch& scratch) const {
  PrefilterQuery q{};
  q.codes = codes_.data();
  q.code_offset = -kCodeOffset * levels.levels_sum;
  q.chunk_scale = chunk_scale_.data();
  q.rows = rows_;
  q.dim = dim_;
  q.quads = quads_;
  q.blocks = blocks_;
  q.user_quads = levels.quads;
  q.user_step = step;
  if (two_parts) {
    q.user_quads_low = levels.quads_low;
    q.code_offset_low = -kCodeOffset * levels.low_sum;
    q.user_step_low = step_low;
  }
  for (size_t c = 0; c < chunks(); ++c) {
    scratch.chunk_rest[c] = bound.beta * chunk_scale_[c] + bound.rounding;
    scratch.chunk_error[c] =
        std::min(bound.alpha_l1 * chunk_l1_[c], bound.alpha_l2 * chunk_l2_[c]) +
        scratch.chunk_rest[c];
  }
  q.chunk_error = scratch.chunk_error.data();
  q.chunk_rest = scratch.chunk_rest.data();
  q.row_norms = row_norms_.data();
  q.alpha_l1 = bound.alpha_l1;
  q.alpha_l2 = bound.alpha_l2;
  q.rows_f32 = rows_f32_.data();
  if (!rows_i8_.empty()) q.rows_i8 = rows_i8_.data();
  return q;
}

}  // namespace pocketrec::runtime
