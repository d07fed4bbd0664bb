#pragma once
// The exact fast path of the top-K for float32 tables whose scores fit in cache. Every row is first
// scored approximately from 8-bit codes against the user vector quantized to 7 bits (four
// dimensions per integer multiply-add, a quarter of the float table's bytes). A rigorous bound on
// the gap between the approximate and the exact score, one per 64-row chunk, then singles out the
// rows that can still be among the K best, and only those are scored exactly, with the arithmetic
// of the full kernel: the results are identical, bit for bit, to scoring every row exactly. (For
// int8 tables the int16 kernel was faster than this path on real queries, measured in sessions 4
// and 7, so they do not use it; nor do machines without AVX2, see prefilter_vectorized.)
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace pocketrec::runtime {

class TopK;
struct TopKScratch;

inline constexpr int kPrefilterBlockRows = 8;
// The user's levels are in [-kPrefilterUserLevels, kPrefilterUserLevels] (prefilter.cpp).
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
inline constexpr int kPrefilterUserLevels = 127;
#else
inline constexpr int kPrefilterUserLevels = 63;
#endif
inline constexpr int kPrefilterChunkRows = 64;
// The user's quads live on the stack.
inline constexpr int kMaxPrefilterDim = 512;

// What one query hands the per-target kernels (prefilter_kernels.cpp).
struct PrefilterQuery {
  const uint8_t* codes;      // 128 + code, [block][quad][8 rows][4 dims]
  int32_t code_offset;       // -128 * the sum of the user levels: removes the codes' offset
  const float* chunk_scale;  // per 64-row chunk: code scale
  const float* bias;         // masked bias (-inf: never returned), >= the padded rows
  int rows, dim, quads, blocks;
  const uint32_t* user_quads;  // signed user levels, four bytes per quad of dimensions
  float user_step;             // user ~= user_step * (byte - 64)
  // |exact - approximate| <= chunk_error[c] for every row of 64-row chunk c.
  const float* chunk_error;
  // Exact scoring: the float rows, row-major, with the ScoreTable kernel's arithmetic.
  const float* rows_f32;
  const float* user;
};

class Prefilter {
 public:
  Prefilter() = default;
  // Float rows, row-major: each row gets 8-bit codes with its chunk's scale; the rows are kept
  // row-major, two cache lines per row at D = 32, for the exact scores.
  static Prefilter from_float(std::span<const float> table, int rows, int dim,
                              std::span<const float> bias);
  bool empty() const { return rows_ == 0; }
  size_t bytes() const;
  // Sizes the scratch buffers this path needs.
  void prepare(TopKScratch& scratch) const;
  // Feeds `top` the K best rows by exact score, as ScoreTable::top_k_masked, and returns the
  // number of rows it scored exactly; or -1, having done nothing, when k exceeds the table's
  // 64-row chunks, the user vector is not finite or the error bound overflows (the caller then
  // scores every row).
  int top_k(const float* user, const float* masked_bias, TopKScratch& scratch, TopK& top) const;
  // Beyond this many exactly scored rows per query the prefilter costs more than scoring every
  // row. Set from the starter models (3,952 x 16, limit 123): the starter CNN with 62 exact rows
  // per query answers in 3.6 us through the prefilter against 4.2 us scoring every row (session
  // 9, AVX-512 VNNI, with the shortlist before the ranking; on AVX2 in session 7, before those,
  // 71 rows were slower than every row).
  float exact_rows_limit() const {
    return std::max(16.0f, static_cast<float>(rows_) * static_cast<float>(dim_) / 512.0f);
  }

 private:
  void build_codes(int rows, int dim);
  size_t chunks() const;  // of kPrefilterChunkRows rows
  uint8_t& code(int row, int k) {
    const size_t block = row / kPrefilterBlockRows, lane = row % kPrefilterBlockRows;
    return codes_[((block * quads_ + k / 4) * kPrefilterBlockRows + lane) * 4 + k % 4];
  }

  int rows_ = 0, dim_ = 0, quads_ = 0, blocks_ = 0;
  std::vector<uint8_t> codes_;
  // Per 64-row chunk, the largest sum|row|, |row|_2 and the code scale: the error bound of a query
  // is computed per chunk from these, so the approximate pass does no per-row bound arithmetic.
  std::vector<float> chunk_l1_, chunk_l2_, chunk_scale_;
  std::vector<float> rows_f32_;
  // Table-wide maxima for the error bound: sum|row|, code scale, sum|row| + dim * scale, |bias|.
  float max_l1_ = 0, max_code_scale_ = 0, max_width_ = 0, max_abs_bias_ = 0;
};

// Returns the number of rows scored exactly.
int top_k_prefiltered(const PrefilterQuery& query, TopKScratch& scratch, TopK& top);
// Whether the approximate pass is vectorized on the instruction set the kernels run on (x86 with
// AVX2 or AVX-512). Elsewhere (ARM, older x86) its portable loop is slower than scoring every
// row, so tables do not get the prefilter there.
bool prefilter_vectorized();

}  // namespace pocketrec::runtime
