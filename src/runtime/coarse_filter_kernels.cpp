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

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Candidate blocks are scored this many blocks after they were found, so that the lines
// prefetched when they were found have arrived from memory.
constexpr int kExactLag = 32;
constexpr int kQueueSize = 128;  // a power of two, > kExactLag
constexpr int kStreams = 4;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
constexpr bool kVectorized = true;

// Upper bounds of the rows' exact scores, a group of 8 rows at a time. kOctets > 0 fixes the
// number of octets of dimensions at compile time, so the user bytes stay in registers; kBias
// false (every row's bias bound is bias_floor) skips the bias bytes.
template <int kOctets, bool kBias>
class GroupBounds {
 public:
  explicit GroupBounds(const CoarseQuery& q)
      : q_(q),
        octets_(kOctets > 0 ? kOctets : q.octets),
        scale_bits_(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.scale_bits))),
        step_(_mm256_set1_ps(q.user_step)),
        offset_(_mm256_set1_ps(q.bound_offset)),
        code_error_cap_(_mm256_set1_ps(q.code_error_cap)),
        residual_unit_(_mm256_set1_ps(q.residual_unit)),
        bias_floor_(_mm256_set1_ps(q.bias_floor)),
        bias_step_(_mm256_set1_ps(q.bias_step)) {
    for (int j = 0; j < 2 * kHeld; ++j) {
      user_[j] = _mm256_set1_epi32(static_cast<int>(q.user_quads[std::min(j, 2 * octets_ - 1)]));
    }
  }

  // Bit i set where row 8 * group + i may score at least `threshold`.
  uint32_t operator()(size_t group, float threshold) const {
    __m256 dot, scale;
    approximate(group, dot, scale);
    const size_t row = group * kCoarseGroupRows;
    __m256 bias = bias_floor_;
    if constexpr (kBias) {
      const __m256 bias_index = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q_.bias_index + row))));
      bias = _mm256_fmadd_ps(bias_index, bias_step_, bias_floor_);
    }
    const __m256 residual = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q_.residual_index + row))));
    const __m256 error = _mm256_add_ps(
        offset_, _mm256_min_ps(_mm256_mul_ps(residual, residual_unit_), code_error_cap_));
    const __m256 bound = _mm256_fmadd_ps(scale, _mm256_fmadd_ps(dot, step_, error), bias);
    return static_cast<uint32_t>(
        _mm256_movemask_ps(_mm256_cmp_ps(bound, _mm256_set1_ps(threshold), _CMP_GE_OQ)));
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
  __m256 step_, offset_, code_error_cap_, residual_unit_, bias_floor_, bias_step_;
  __m256i user_[2 * kHeld];
};
#else
constexpr bool kVectorized = false;

// The same bounds, row by row (a valid bound in any float evaluation order: the error term's
// margin covers the rounding).
template <int kOctets, bool kBias>
class GroupBounds {
 public:
  explicit GroupBounds(const CoarseQuery& q) : q_(q) {}
  uint32_t operator()(size_t group, float threshold) const {
    uint32_t bits = 0;
    for (int lane = 0; lane < kCoarseGroupRows; ++lane) {
      const size_t row = group * kCoarseGroupRows + lane;
      const float bias = kBias
                             ? static_cast<float>(q_.bias_index[row]) * q_.bias_step + q_.bias_floor
                             : q_.bias_floor;
      const float code_error = std::min(
          static_cast<float>(q_.residual_index[row]) * q_.residual_unit, q_.code_error_cap);
      const float bound =
          scale(row) * (dot(row) * q_.user_step + (q_.bound_offset + code_error)) + bias;
      if (bound >= threshold) bits |= 1u << lane;
    }
    return bits;
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
#endif

bool CoarseFilterVectorized() {
  return kVectorized;
}

// One pass over the codes in table order; a 16-row block whose bound reaches the heap's threshold
// is queued, its lines prefetched, and scored kExactLag blocks later with the int8 kernel itself
// (so its scores are the full path's, bit for bit) and offered to the heap. A row left out has
// exact score <= bound < threshold <= the final K-th best: it could not have entered.
template <int kOctets, bool kBias>
long TopKCoarseWith(const CoarseQuery& q, TopK& top) {
  const GroupBounds<kOctets, kBias> bounds(q);
  const Int8Scoring& x = q.exact;
  const size_t block_bytes = static_cast<size_t>(x.pairs) * 32;
  HWY_ALIGN float chunk[16];
  struct Queued {
    uint32_t block, step;  // step: when it was found
  };
  Queued queue[kQueueSize];
  int head = 0, tail = 0;  // queue[head % size, tail % size)
  long scored = 0;
  auto score_front = [&] {
    const uint32_t block = queue[head++ % kQueueSize].block;
    const float best = ScoreBlocksI8(x.table, x.scale, x.bias, x.user_pairs, x.user_scale, x.pairs,
                                     static_cast<int>(block), 1, chunk);
    const int n = std::min(16, x.rows - static_cast<int>(block) * 16);
    FeedChunk(chunk, block * 16, n, best, -HUGE_VALF, top);
    scored += n;
  };
  float threshold = top.threshold();
  // The blocks are visited as kStreams interleaved runs of consecutive blocks: one core keeps more
  // lines in flight over several sequential streams than over one. The order does not change the
  // results (TopK settles ties by index).
  const int run = (x.blocks + kStreams - 1) / kStreams;
  uint32_t step = 0;
  for (int i = 0; i < run; ++i) {
    for (int stream = 0; stream < kStreams; ++stream, ++step) {
      const int block = stream * run + i;
      if (block >= x.blocks) break;  // the last stream's run may be shorter
      while (head < tail &&
             (queue[head % kQueueSize].step + kExactLag <= step || tail - head == kQueueSize)) {
        score_front();
        threshold = top.threshold();
      }
      const uint32_t bits = bounds(2 * static_cast<size_t>(block), threshold) |
                            bounds(2 * static_cast<size_t>(block) + 1, threshold) << 8;
      if (bits == 0) continue;
      const int8_t* lines = x.table + block * block_bytes;
      for (size_t b = 0; b < block_bytes; b += 64) hwy::Prefetch(lines + b);
      hwy::Prefetch(x.scale + block * 16);
      hwy::Prefetch(x.scale + block * 16 + 15);
      hwy::Prefetch(x.bias + block * 16);
      hwy::Prefetch(x.bias + block * 16 + 15);
      queue[tail++ % kQueueSize] = {static_cast<uint32_t>(block), step};
    }
  }
  while (head < tail) score_front();
  return scored;
}

long TopKCoarse(const CoarseQuery& q, TopK& top) {
  if (top.k() == 0) return 0;
  if (q.bias_step == 0.0f) {
    return q.octets == 4 ? TopKCoarseWith<4, false>(q, top) : TopKCoarseWith<0, false>(q, top);
  }
  return q.octets == 4 ? TopKCoarseWith<4, true>(q, top) : TopKCoarseWith<0, true>(q, top);
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(TopKCoarse);
HWY_EXPORT(CoarseFilterVectorized);

long top_k_coarse(const CoarseQuery& query, TopK& top) {
  return HWY_DYNAMIC_DISPATCH(TopKCoarse)(query, top);
}

bool coarse_filter_vectorized() {
  return HWY_DYNAMIC_DISPATCH(CoarseFilterVectorized)();
}

}  // namespace pocketrec::runtime
#endif
