#pragma once
// The label table of a dual encoder laid out for scoring: rows in blocks of 16, each block stored
// dimension-major ([block][d][16 rows]), so one vector FMA per dimension scores 16 (or 8, 4) rows
// at once with no horizontal sums. float32, or int8 with one scale per row (weight-only: the user
// vector is quantized to int16 per query, a relative error of 1.5e-5). Scores are computed block by
// block and fed to a TopK in the same pass; nothing is allocated per query.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/coarse_filter.hpp"
#include "runtime/large_buffer.hpp"
#include "runtime/prefilter.hpp"
#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"

namespace pocketrec::runtime {

inline constexpr int kBlockRows = 16;
// int8 scoring quantizes the user vector to int16 on the stack; and 127 * 32767 * dim must fit an
// int32 accumulator.
inline constexpr int kMaxQuantizedDim = 512;
static_assert(kMaxQuantizedDim == kMaxInt8Quads * 4);

class ScoreTable {
 public:
  // rows x dim, row-major; bias may be empty. Throws Error on NaN/inf values.
  static ScoreTable from_float(std::span<const float> table, int rows, int dim,
                               std::span<const float> bias, const std::string& origin);
  static ScoreTable from_int8(std::span<const int8_t> table, std::span<const float> row_scales,
                              int rows, int dim, std::span<const float> bias,
                              const std::string& origin);

  // Scores every row exactly instead of prefiltering (float tables in cache) or streaming 4-bit
  // codes (int8 tables beyond it); benchmarks and tests compare both.
  void disable_prefilter() {
    prefilter_ = Prefilter();
    coarse_ = CoarseFilter();
  }
  bool has_prefilter() const { return !prefilter_.empty() || !coarse_.empty(); }
  // Builds the 4-bit filter of an int8 table whatever its size and the machine (tests: the
  // filter then serves every query without scratch).
  void force_coarse_filter();
  // Builds the 8-bit prefilter of a table of its size (float32, or int8 also without VNNI) even
  // where its pass is not vectorized (tests: every pass must give the same results).
  void force_prefilter();

  int rows() const { return rows_; }
  int dim() const { return dim_; }
  bool quantized() const { return quantized_; }
  size_t bytes() const;
  // Of those, the exact filters' codes and copies (prefilter, 4-bit filter).
  size_t filter_bytes() const;

  float bias(uint32_t row) const { return bias_[row]; }
  // Row `row` as float (dequantized for int8 tables).
  void row(uint32_t row, float* out) const;
  // One score (dot(user, row) [* scale] + bias), for checks and the allowed-set path.
  float score(const float* user, uint32_t row) const;
  // Feeds every row into `top`, with `masked_bias` (padded_rows() values: the table's bias, -inf
  // for rows that must not come back) in place of the bias. Masking through the bias keeps the
  // filtered rows out of each chunk's maximum, so chunks full of already-seen items are skipped.
  // With scratch from make_scratch() (the table's scores fit in cache), scores everything first and
  // offers the heap only rows at or above a lower bound of the k-th best; same results. Throws
  // Error when the user vector is not finite.
  void top_k_masked(const float* user, const float* masked_bias, TopK& top,
                    TopKScratch* scratch = nullptr) const;
  // Buffers for the two-pass top-K, or empty ones where the table is too large for it to pay.
  TopKScratch make_scratch() const;
  // The same with a skip byte per row (empty: none); builds the masked bias (allocates).
  void top_k(const float* user, std::span<const uint8_t> skip, TopK& top,
             TopKScratch* scratch = nullptr) const;
  size_t padded_rows() const { return bias_.size(); }
  const LargeVector<float>& padded_bias() const { return bias_; }
  // All scores (rows values), for batch evaluation.
  void score_all(const float* user, float* out) const;

 private:
  size_t int8_at(size_t block, int k, size_t lane) const {
    return ((block * quads_ + k / 4) * kBlockRows + lane) * 4 + k % 4;
  }
  // The prefilter's answer when it has one and pays for this session (see TopKScratch); false
  // leaves `top` untouched for the exact path.
  bool try_prefilter(const float* user, const float* masked_bias, TopKScratch& scratch, TopK& top,
                     const Int8User* quantized = nullptr) const;
  // The int8 table, row-major.
  std::vector<int8_t> int8_rows() const;
  // Quantizes the user vector to int16: Int8User's scale and values (the int8 kernel's byte form
  // is added only where the kernel runs).
  void quantize_user(const float* user, Int8User& out) const;
  Int8Scoring int8_scoring(const float* masked_bias, const Int8User& user) const {
    return {i8_.data(), row_sums_.data(), scale_.data(), masked_bias,
            &user,      quads_,           blocks_,       rows_};
  }
  float score_chunk(const float* user, const Int8User& quantized, const float* bias, int first,
                    int count, float* out) const;

  int rows_ = 0, dim_ = 0, blocks_ = 0, quads_ = 0;
  bool quantized_ = false;
  LargeVector<float> f32_;           // [block][d][16]
  LargeVector<int8_t> i8_;           // [block][d / 4][16][4]
  LargeVector<int32_t> row_sums_;    // of the int8 values, padded to blocks * 16
  LargeVector<float> scale_, bias_;  // padded to blocks * 16
  Prefilter prefilter_;              // tables up to 65,536 rows (int8: with VNNI); empty otherwise
  CoarseFilter coarse_;  // int8 tables of 8 MB and more, on x86 with AVX2; empty otherwise
};

// The SIMD target the kernels run on ("AVX2", "NEON", ...).
std::string simd_target();  // defined with the kernels

}  // namespace pocketrec::runtime
