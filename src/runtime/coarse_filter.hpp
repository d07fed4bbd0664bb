#pragma once
// The exact fast path of the top-K for int8 tables too large for the cache (a million rows), where
// the time goes to streaming the table from memory. A 4-bit copy of every row (16 bytes at 32
// dimensions, plus one byte each for its code scale, the norm of its rounding residual and its
// bias: 19 bytes, 18 without biases, against 40 for the int8 row with its float scale and bias)
// is streamed instead; from it, each row gets an upper bound of its exact score. A 16-row block
// of the int8 table is scored exactly, with the full kernel, only when one of its rows' bound
// reaches the heap's threshold, the blocks with the largest bounds first. So the results are
// identical, bit for bit, to scoring every row. On a million Gaussian rows about 0.4% of them are
// scored exactly.
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/large_buffer.hpp"
#include "runtime/score_kernels.hpp"

namespace pocketrec::runtime {

class TopK;

// Rows per group of 4-bit codes (two groups per 16-row block of the int8 table).
inline constexpr int kCoarseGroupRows = 8;
// The user's bytes live on the stack.
inline constexpr int kMaxCoarseDim = 512;
// Code scales are 2^(i / 8) * kCoarseMantissa[i % 8] * a table-wide power of two, for a byte i:
// steps of 2^(1/8) over 32 octaves, decoded with an 8-lane permute and an exponent add.
inline constexpr float kCoarseMantissa[8] = {0x1.172b84p+0f, 0x1.306fe0p+0f, 0x1.4bfdaep+0f,
                                             0x1.6a09e6p+0f, 0x1.8ace54p+0f, 0x1.ae89fap+0f,
                                             0x1.d5818ep+0f, 0x1p+1f};

// What one query hands the per-target kernels (coarse_filter_kernels.cpp).
struct CoarseQuery {
  const uint8_t* codes;        // [group][octet][32 bytes]: code + 8, two 4-bit codes per byte
  const uint8_t* scale_index;  // per row: its code scale is scale_of(index)
  const uint8_t* bias_index;   // per row: its bias is at most bias_floor + index * bias_step
  // The bits of scale_of(i) are scale_bits[i % 8] + (i << 20): the index's low 3 bits, shifted
  // into the mantissa, are subtracted back by the table, its high 5 bits add to the exponent.
  const uint32_t* scale_bits;
  float bias_floor, bias_step;  // bias_step == 0: every row's bias is at most bias_floor
  int octets;
  const uint32_t* user_quads;  // the user's int8 levels, four per quad of dimensions
  float user_step;             // user ~= user_step * level
  // Per row: the norm of (its values / its code scale - its codes) is at most index * the step.
  // Null: the query bounds the codes' rounding by code_error_cap instead.
  const uint8_t* residual_index;
  // Per unit of code scale, exact <= scale * (user_step * dot(levels, stored codes) + offset +
  // code error): the user's rounding, less the stored codes' +8 times the levels; and the codes'
  // rounding, bounded through the user's L1 norm (code_error_cap: each code is within half a step)
  // or through its L2 norm times the row's residual norm (residual_index * residual_unit), which
  // is tighter for all but sparse users.
  float bound_offset, code_error_cap, residual_unit;
  Int8Scoring exact;
};

class CoarseFilter {
 public:
  CoarseFilter() = default;
  // Row-major int8 rows with their scales (one per row, or one for all) and bias (may be empty).
  // Stays empty (the caller then scores every row) for scales beyond 2^100, where the code
  // scales' range ends.
  static CoarseFilter from_int8(std::span<const int8_t> table, std::span<const float> row_scales,
                                int rows, int dim, std::span<const float> bias);
  bool empty() const { return rows_ == 0; }
  size_t bytes() const {
    return codes_.size() + scale_index_.size() + bias_index_.size() + residual_index_.size();
  }
  // Feeds `top` the K best rows by exact score, as the int8 kernel would, and returns the number
  // of rows scored exactly; or -1, having done nothing, when the bound overflows (the caller then
  // scores every row).
  // `block_bound` is scratch of at least blocks() floats; empty: allocated here.
  long top_k(const Int8Scoring& exact, TopK& top, std::span<float> block_bound = {}) const;
  // 16-row blocks of the table (the scratch top_k needs).
  int blocks() const { return groups_ / 2; }

  // The code scale of index i, as the kernels decode it.
  float scale_of(int index) const;

 private:
  int rows_ = 0, dim_ = 0, octets_ = 0, groups_ = 0;
  uint32_t scale_bits_[8] = {};  // see CoarseQuery::scale_bits
  LargeVector<uint8_t> codes_, scale_index_, bias_index_, residual_index_;
  float residual_step_ = 0;
  int residual_median_ = 0;  // the median residual index: picks the code error bound per query
  // bias_floor_ includes a slack that covers the float rounding of the bias bound and of the
  // exact score's bias.
  float bias_floor_ = 0, bias_step_ = 0;
};

// Returns the number of rows scored exactly.
// `block_bound`: scratch, one float per 16-row block.
long top_k_coarse(const CoarseQuery& query, float* block_bound, TopK& top);
// Whether this machine runs the 4-bit pass with vector instructions (else it is a scalar loop,
// correct but slower than scoring every row).
bool coarse_filter_vectorized();

}  // namespace pocketrec::runtime
