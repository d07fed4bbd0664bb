#pragma once
// The exact fast path of the top-K for int8 tables too large for the cache (a million rows), where
// the time goes to streaming the table from memory. A 4-bit copy of every row (16 bytes at 32
// dimensions, plus one byte for its scale and one for its bias: 18 bytes against 40 for the int8
// row with its float scale and bias) is streamed instead; from it, each row gets an upper bound of
// its exact score. A 16-row block of the int8 table is scored exactly, with the full kernel, only
// when one of its rows' bound reaches the heap's threshold. So the results are identical, bit for
// bit, to scoring every row. On a million Gaussian rows about 4% of them are scored exactly, most
// near the table's start, before the heap's threshold has risen.
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/large_buffer.hpp"

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

// The int8 table and query as the exact kernel sees them (score_kernels.hpp layout).
struct Int8Scoring {
  const int8_t* table;  // [block][pair][16 rows][2]
  const float* scale;   // per row
  const float* bias;    // masked bias (-inf: never returned), padded to blocks * 16
  const int32_t* user_pairs;
  float user_scale;
  int pairs, blocks, rows;
};

// What one query hands the per-target kernels (coarse_filter_kernels.cpp).
struct CoarseQuery {
  const uint8_t* codes;        // [group][octet][32 bytes]: code + 8, two 4-bit codes per byte
  const uint8_t* scale_index;  // per row: its code scale is scale_of(index)
  const uint8_t* bias_index;   // per row: its bias is at most bias_floor + (index + 1) * bias_step
  float scale_base;            // scale_of(i) = 2^(i / 8) * mantissa[i % 8] * scale_base
  float bias_floor, bias_step;
  int octets;
  const uint32_t* user_quads;  // the user's int8 levels, four per quad of dimensions
  int32_t level_offset;        // 8 * the sum of the levels (codes are stored + 8)
  float user_step;             // user ~= user_step * level
  float error;                 // per unit of code scale: |exact - approximate| <= scale * error
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
  size_t bytes() const { return codes_.size() + scale_index_.size() + bias_index_.size(); }
  // Feeds `top` the K best rows by exact score, as the int8 kernel would, and returns the number
  // of rows scored exactly; or -1, having done nothing, when the bound overflows (the caller then
  // scores every row).
  long top_k(const Int8Scoring& exact, TopK& top) const;

  // The code scale of index i, as the kernels decode it.
  float scale_of(int index) const;

 private:
  int rows_ = 0, dim_ = 0, octets_ = 0, groups_ = 0;
  LargeVector<uint8_t> codes_, scale_index_, bias_index_;
  // bias_floor_ includes a slack that covers the float rounding of the bias bound and of the
  // exact score's bias.
  float scale_base_ = 0, bias_floor_ = 0, bias_step_ = 0;
};

// Returns the number of rows scored exactly.
long top_k_coarse(const CoarseQuery& query, TopK& top);
// Whether this machine runs the 4-bit pass with vector instructions (else it is a scalar loop,
// correct but slower than scoring every row).
bool coarse_filter_vectorized();

}  // namespace pocketrec::runtime
