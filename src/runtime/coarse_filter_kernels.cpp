// Per-target kernels of the coarse filter (coarse_filter.hpp): upper bounds of every row's score
// from 4-bit codes, streamed, and the exact int8 kernel on the 16-row blocks that reach the heap.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/coarse_filter_kernels.cpp"
#include <hwy/cache_control.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "runtime/coarse_filter.hpp"
#include "runtime/score_blocks-inl.h"
#include "runtime/top_k.hpp"
#include "runtime/top_k_feed-inl.h"
#include "runtime/vnni.hpp"

HWY_BEFORE_NAMESPACE();
#if HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL
POCKETREC_TARGET_VNNI
#endif
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Blocks scored best first: kMinBestBlocks + 2 k, at most kMaxBestBlocks.
constexpr size_t kMinBestBlocks = 64, kMaxBestBlocks = 512;
constexpr int kScanBatch = 16;

#if HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL && POCKETREC_AVX3_DL_VNNI
constexpr bool kVectorized = true;

// The upper bounds of a block's 16 rows in one vector (vpdpbusd, vnni.hpp). A 64-byte load holds
// two octets of one group's 8 rows, each row's four dimensions of a nibble in one int32 lane, so
// one vpdpbusd (unsigned codes times signed levels, four products summed into the lane) takes them
// all, where AVX2 needs a byte multiply-add, an int16 add and a widening. On a million rows the
// pass was bound by its arithmetic (1.07 ns per row with the codes in cache), not by the memory it
// streams.
template <int kOctets, bool kBias, bool kResidual>
class BlockBounds {
 public:
  explicit BlockBounds(const CoarseQuery& q)
      : q_(q),
        octets_(q.octets),
        step_(_mm512_set1_ps(q.user_step)),
        offset_(_mm512_set1_ps(kResidual ? q.bound_offset : q.bound_offset + q.code_error_cap)),
        residual_unit_(_mm512_set1_ps(q.residual_unit)),
        bias_floor_(_mm512_set1_ps(q.bias_floor)),
        bias_step_(_mm512_set1_ps(q.bias_step)) {
    // vpermd reads the low 4 bits of each index: the 8 scale bits twice.
    alignas(64) uint32_t bits[16];
    for (int i = 0; i < 16; ++i) bits[i] = q.scale_bits[i % 8];
    scale_bits_ = _mm512_load_si512(bits);
    // Pair p: octet 2p's levels in lanes 0-7, octet 2p + 1's in lanes 8-15 (zero past the last).
    for (int p = 0; p < pairs(); ++p) {
      alignas(64) uint32_t low[16], high[16];
      for (int lane = 0; lane < 16; ++lane) {
        const int octet = 2 * p + lane / 8;
        low[lane] = octet < octets() ? q.user_quads[2 * octet] : 0;
        high[lane] = octet < octets() ? q.user_quads[2 * octet + 1] : 0;
      }
      user_low_[p] = _mm512_load_si512(low);
      user_high_[p] = _mm512_load_si512(high);
    }
  }

  // The largest upper bound among rows 16 * block + [0, 16).
  float operator()(size_t block) const {
    const size_t group_bytes = static_cast<size_t>(octets()) * 32;
    const uint8_t* codes = q_.codes + block * 2 * group_bytes;
    // Each of the pass's interleaved streams visits consecutive blocks: requesting the codes
    // kPrefetchBlocks blocks ahead (2 KB at 32 dimensions) halved the million-row pass on this
    // machine, whose hardware prefetchers alone kept it at half the bandwidth of a bare read.
    const uint8_t* ahead = codes + kPrefetchBlocks * 2 * group_bytes;
    for (size_t b = 0; b < 2 * group_bytes; b += 64) hwy::Prefetch(ahead + b);
    // The per-row bytes (16 per block, a cache line per 4 blocks) too: without them, some
    // processes stalled on these loads throughout (1.2-1.8 ms against 0.55 ms per query).
    if (block % 4 == 0) {
      const size_t later = (block + kPrefetchByteBlocks) * 2 * kCoarseGroupRows;
      hwy::Prefetch(q_.scale_index + later);
      if constexpr (kResidual) hwy::Prefetch(q_.residual_index + later);
      if constexpr (kBias) hwy::Prefetch(q_.bias_index + later);
    }
    __m512i first = _mm512_setzero_si512(), second = _mm512_setzero_si512();
    for (int p = 0; p < pairs(); ++p) {
      first = accumulate(first, codes + p * 64, p);
      second = accumulate(second, codes + group_bytes + p * 64, p);
    }
    // Each group's even octets sit in lanes 0-7, its odd ones in lanes 8-15: the first group's
    // halves and the second's, side by side, add up to the block's 16 dot products.
    const __m512i even = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(1, 0, 1, 0));
    const __m512i odd = _mm512_shuffle_i64x2(first, second, _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 dot = _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd));
    const size_t row = block * 2 * kCoarseGroupRows;
    const __m512i scale_index = bytes(q_.scale_index + row);
    const __m512 scale = _mm512_castsi512_ps(_mm512_add_epi32(
        _mm512_permutexvar_epi32(scale_index, scale_bits_), _mm512_slli_epi32(scale_index, 20)));
    __m512 bias = bias_floor_;
    if constexpr (kBias) {
      bias =
          _mm512_fmadd_ps(_mm512_cvtepi32_ps(bytes(q_.bias_index + row)), bias_step_, bias_floor_);
    }
    __m512 error = offset_;
    if constexpr (kResidual) {
      error = _mm512_fmadd_ps(_mm512_cvtepi32_ps(bytes(q_.residual_index + row)), residual_unit_,
                              offset_);
    }
    return _mm512_reduce_max_ps(_mm512_fmadd_ps(scale, _mm512_fmadd_ps(dot, step_, error), bias));
  }

 private:
  // Adds one pair of a group's octets (a single octet where the last pair has one) to `sum`.
  __m512i accumulate(__m512i sum, const uint8_t* codes, int pair) const {
    const __m512i nibble = _mm512_set1_epi8(0x0f);
    const bool single = octets() % 2 == 1 && pair == pairs() - 1;
    const __m512i packed =
        single ? _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes)))
               : _mm512_loadu_si512(codes);
    sum = _mm512_dpbusd_epi32(sum, _mm512_and_si512(packed, nibble), user_low_[pair]);
    return _mm512_dpbusd_epi32(sum, _mm512_and_si512(_mm512_srli_epi16(packed, 4), nibble),
                               user_high_[pair]);
  }
  // Compile-time constants where kOctets fixes them.
  int octets() const { return kOctets > 0 ? kOctets : octets_; }
  int pairs() const { return (octets() + 1) / 2; }
  static __m512i bytes(const uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }

  static constexpr size_t kPrefetchBlocks = 8, kPrefetchByteBlocks = 32;
  static constexpr int kMaxPairs = kOctets > 0 ? (kOctets + 1) / 2 : kMaxCoarseDim / 16;
  const CoarseQuery& q_;
  int octets_;
  __m512i scale_bits_;
  __m512 step_, offset_, residual_unit_, bias_floor_, bias_step_;
  __m512i user_low_[kMaxPairs], user_high_[kMaxPairs];
};

// The pass below names its bounds GroupBounds on every target.
template <int kOctets, bool kBias, bool kResidual>
using GroupBounds = BlockBounds<kOctets, kBias, kResidual>;

template <class Bounds>
float BlockBound(const Bounds& bounds, size_t block) {
  return bounds(block);
}
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
constexpr bool kVectorized = true;

// Upper bounds of the rows' exact scores, a group of 8 rows at a time. kOctets > 0 fixes the
// number of octets of dimensions at compile time, so the user bytes stay in registers; kBias
// false (every row's bias bound is bias_floor) skips the bias bytes; kResidual false bounds the
// codes' rounding by the constant code_error_cap and skips the residual bytes.
template <int kOctets, bool kBias, bool kResidual>
class GroupBounds {
 public:
  explicit GroupBounds(const CoarseQuery& q)
      : q_(q),
        octets_(kOctets > 0 ? kOctets : q.octets),
        scale_bits_(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.scale_bits))),
        step_(_mm256_set1_ps(q.user_step)),
        offset_(_mm256_set1_ps(kResidual ? q.bound_offset : q.bound_offset + q.code_error_cap)),
        residual_unit_(_mm256_set1_ps(q.residual_unit)),
        bias_floor_(_mm256_set1_ps(q.bias_floor)),
        bias_step_(_mm256_set1_ps(q.bias_step)) {
    for (int j = 0; j < 2 * kHeld; ++j) {
      user_[j] = _mm256_set1_epi32(static_cast<int>(q.user_quads[std::min(j, 2 * octets_ - 1)]));
    }
  }

  // The upper bounds of rows 8 * group + [0, 8).
  __m256 operator()(size_t group) const {
    __m256 dot, scale;
    approximate(group, dot, scale);
    const size_t row = group * kCoarseGroupRows;
    __m256 bias = bias_floor_;
    if constexpr (kBias) {
      const __m256 bias_index = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q_.bias_index + row))));
      bias = _mm256_fmadd_ps(bias_index, bias_step_, bias_floor_);
    }
    __m256 error = offset_;
    if constexpr (kResidual) {
      const __m256 residual = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q_.residual_index + row))));
      error = _mm256_fmadd_ps(residual, residual_unit_, offset_);
    }
    return _mm256_fmadd_ps(scale, _mm256_fmadd_ps(dot, step_, error), bias);
  }

 private:
  // The integer dot products of levels and stored codes (as float; exact, below 2^24) and the
  // code scales of a group.
  void approximate(size_t group, __m256& dot, __m256& scale) const {
    const __m256i nibble = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
    const uint8_t* codes = q_.codes + group * octets_ * 32;
    __m256i sum16 = _mm256_setzero_si256(), sum32 = _mm256_setzero_si256();
    for (int o = 0; o < octets_; ++o) {
      const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + o * 32));
      const __m256i low = _mm256_and_si256(packed, nibble);
      const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), nibble);
      // Unsigned codes (1..15) times signed levels, pairs added: |sum| <= 2 * 15 * 127, so eight
      // such sums (four octets) fit the int16 lanes before they are widened.
      sum16 = _mm256_add_epi16(sum16, _mm256_maddubs_epi16(low, user(2 * o)));
      sum16 = _mm256_add_epi16(sum16, _mm256_maddubs_epi16(high, user(2 * o + 1)));
      if (o % 4 == 3 || o == octets_ - 1) {
        sum32 = _mm256_add_epi32(sum32, _mm256_madd_epi16(sum16, ones));
        sum16 = _mm256_setzero_si256();
      }
    }
    const size_t row = group * kCoarseGroupRows;
    dot = _mm256_cvtepi32_ps(sum32);
    // vpermd reads the low 3 bits of each index.
    const __m256i scale_index = _mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q_.scale_index + row)));
    scale = _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_permutevar8x32_epi32(scale_bits_, scale_index), _mm256_slli_epi32(scale_index, 20)));
  }

  static constexpr int kHeld = kOctets > 0 ? kOctets : 1;
  __m256i user(int j) const {
    return kOctets > 0 ? user_[j] : _mm256_set1_epi32(static_cast<int>(q_.user_quads[j]));
  }
  const CoarseQuery& q_;
  int octets_;
  __m256i scale_bits_;
  __m256 step_, offset_, residual_unit_, bias_floor_, bias_step_;
  __m256i user_[2 * kHeld];
};

// The largest upper bound among the 16 rows of a block (two groups).
template <class Bounds>
float BlockBound(const Bounds& bounds, size_t block) {
  const __m256 both = _mm256_max_ps(bounds(2 * block), bounds(2 * block + 1));
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(both), _mm256_extractf128_ps(both, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}
#else
constexpr bool kVectorized = false;

// The same bounds, row by row (a valid bound in any float evaluation order: the error term's
// margin covers the rounding).
template <int kOctets, bool kBias, bool kResidual>
class GroupBounds {
 public:
  explicit GroupBounds(const CoarseQuery& q) : q_(q) {}
  // The largest upper bound among rows 8 * group + [0, 8).
  float max_bound(size_t group) const {
    float best = -HUGE_VALF;
    for (int lane = 0; lane < kCoarseGroupRows; ++lane) {
      const size_t row = group * kCoarseGroupRows + lane;
      const float bias = kBias
                             ? static_cast<float>(q_.bias_index[row]) * q_.bias_step + q_.bias_floor
                             : q_.bias_floor;
      const float code_error = kResidual
                                   ? static_cast<float>(q_.residual_index[row]) * q_.residual_unit
                                   : q_.code_error_cap;
      const float bound =
          scale(row) * (dot(row) * q_.user_step + (q_.bound_offset + code_error)) + bias;
      best = std::max(best, bound);
    }
    return best;
  }

 private:
  float dot(size_t row) const {
    const uint8_t* codes =
        q_.codes + row / kCoarseGroupRows * q_.octets * 32 + row % kCoarseGroupRows * 4;
    int32_t dot = 0;
    for (int k = 0; k < q_.octets * 8; ++k) {
      const uint8_t byte = codes[(k / 8) * 32 + k % 4];
      const int code = (k % 8) < 4 ? byte & 0xf : byte >> 4;  // stored + 8
      const auto level = static_cast<int8_t>((q_.user_quads[k / 4] >> (8 * (k % 4))) & 0xff);
      dot += code * level;
    }
    return static_cast<float>(dot);
  }
  float scale(size_t row) const {
    const uint32_t index = q_.scale_index[row];
    return std::bit_cast<float>(q_.scale_bits[index & 7] + (index << 20));
  }

 private:
  const CoarseQuery& q_;
};

template <class Bounds>
float BlockBound(const Bounds& bounds, size_t block) {
  return std::max(bounds.max_bound(2 * block), bounds.max_bound(2 * block + 1));
}
#endif

bool CoarseFilterVectorized() {
  return kVectorized;
}

// Scores 16-row blocks of the int8 table exactly, with the full path's kernel (so their scores are
// its scores, bit for bit), and offers them to the heap; prefetches blocks to be scored soon.
class ExactBlocks {
 public:
  ExactBlocks(const Int8Scoring& x, TopK& top)
      : x_(x), top_(top), block_bytes_(static_cast<size_t>(x.quads) * 64) {}
  void prefetch(uint32_t block) const {
    const int8_t* lines = x_.table + block * block_bytes_;
    for (size_t b = 0; b < block_bytes_; b += 64) hwy::Prefetch(lines + b);
    hwy::Prefetch(x_.row_sums + block * 16);
    hwy::Prefetch(x_.scale + block * 16);
    hwy::Prefetch(x_.scale + block * 16 + 15);
    hwy::Prefetch(x_.bias + block * 16);
    hwy::Prefetch(x_.bias + block * 16 + 15);
  }
  void score(uint32_t block) {
    HWY_ALIGN float chunk[16];
    const float best = ScoreBlocksI8(x_, static_cast<int>(block), 1, chunk);
    const int n = std::min(16, x_.rows - static_cast<int>(block) * 16);
    FeedChunk(chunk, block * 16, n, best, -HUGE_VALF, top_);
    scored_ += n;
  }
  long scored() const { return scored_; }

 private:
  const Int8Scoring& x_;
  TopK& top_;
  size_t block_bytes_;
  long scored_ = 0;
};

// Blocks ahead whose lines are requested before a block is scored.
constexpr int kPrefetchAhead = 8;

// Best first: one pass over the codes stores every block's largest bound and keeps the blocks with
// the largest bounds; those are scored exactly first, in decreasing order of bound, so the heap's
// threshold reaches (nearly) its final value at once; then every other block whose bound reaches
// the threshold is scored. A row left out has exact score <= bound < threshold <= the final K-th
// best: it could not have entered. Scoring in table order instead, the threshold rose slowly, and
// half the blocks scored were in the first tenth of the table.
template <int kOctets, bool kBias, bool kResidual>
long TopKCoarseWith(const CoarseQuery& q, float* block_bound, TopK& top) {
  const GroupBounds<kOctets, kBias, kResidual> bounds(q);
  const Int8Scoring& x = q.exact;
  struct Candidate {
    float bound;
    uint32_t block;
  };
  auto higher = [](const Candidate& a, const Candidate& b) { return a.bound > b.bound; };
  // A min-heap (by bound) of the best blocks seen so far.
  Candidate best[kMaxBestBlocks];
  const int capacity = static_cast<int>(std::min<size_t>(
      {kMaxBestBlocks, kMinBestBlocks + 2 * top.k(), static_cast<size_t>(x.blocks)}));
  int held = 0;
  float floor = -HUGE_VALF;  // the lowest bound held once the heap is full
  // Blocks in interleaved runs: the codes stream from memory faster.
  ForEachInterleaved(x.blocks, [&](int block) {
    const float bound = BlockBound(bounds, static_cast<size_t>(block));
    block_bound[block] = bound;
    if (!(bound > floor)) return;
    if (held == capacity) {
      std::pop_heap(best, best + held, higher);
      --held;
    }
    best[held++] = {bound, static_cast<uint32_t>(block)};
    std::push_heap(best, best + held, higher);
    if (held == capacity) floor = best[0].bound;
  });
  ExactBlocks exact(x, top);
  std::sort(best, best + held, higher);
  for (int i = 0; i < std::min(held, kPrefetchAhead); ++i) exact.prefetch(best[i].block);
  for (int i = 0; i < held; ++i) {
    if (i + kPrefetchAhead < held) exact.prefetch(best[i + kPrefetchAhead].block);
    if (!(best[i].bound >= top.threshold())) break;  // nor can any later one
    exact.score(best[i].block);
    block_bound[best[i].block] = NAN;  // done: fails every comparison below
  }
  // The rest, in table order: blocks found in batches, prefetched, then scored unless the
  // threshold has risen past their bound meanwhile.
  uint32_t found[kScanBatch];
  for (int block = 0; block < x.blocks;) {
    int n = 0;
    const float threshold = top.threshold();
    for (; block < x.blocks && n < kScanBatch; ++block) {
      if (block_bound[block] >= threshold) {
        exact.prefetch(static_cast<uint32_t>(block));
        found[n++] = static_cast<uint32_t>(block);
      }
    }
    for (int j = 0; j < n; ++j) {
      if (block_bound[found[j]] >= top.threshold()) exact.score(found[j]);
    }
  }
  return exact.scored();
}

template <bool kBias, bool kResidual>
long TopKCoarseFor(const CoarseQuery& q, float* block_bound, TopK& top) {
  return q.octets == 4 ? TopKCoarseWith<4, kBias, kResidual>(q, block_bound, top)
                       : TopKCoarseWith<0, kBias, kResidual>(q, block_bound, top);
}

long TopKCoarse(const CoarseQuery& q, float* block_bound, TopK& top) {
  if (top.k() == 0) return 0;
  const bool residual = q.residual_index != nullptr;
  if (q.bias_step == 0.0f) {
    return residual ? TopKCoarseFor<false, true>(q, block_bound, top)
                    : TopKCoarseFor<false, false>(q, block_bound, top);
  }
  return residual ? TopKCoarseFor<true, true>(q, block_bound, top)
                  : TopKCoarseFor<true, false>(q, block_bound, top);
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(TopKCoarse);
HWY_EXPORT(CoarseFilterVectorized);

long top_k_coarse(const CoarseQuery& query, float* block_bound, TopK& top) {
  return HWY_DYNAMIC_DISPATCH(TopKCoarse)(query, block_bound, top);
}

bool coarse_filter_vectorized() {
  return HWY_DYNAMIC_DISPATCH(CoarseFilterVectorized)();
}

}  // namespace pocketrec::runtime
#endif
