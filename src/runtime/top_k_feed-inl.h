// Per-target helpers shared by the scoring kernels (score_kernels.cpp, prefilter_kernels.cpp,
// coarse_filter_kernels.cpp): rows of a chunk at or above a value, feeding a chunk of scores to
// the heap, the order of a walk over a large table, and the lower bound of the k-th best from
// chunk maxima.
// Included once per Highway target, hence the toggling guard instead of #pragma once.
#if defined(POCKETREC_RUNTIME_TOP_K_FEED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef POCKETREC_RUNTIME_TOP_K_FEED_INL_H_
#undef POCKETREC_RUNTIME_TOP_K_FEED_INL_H_
#else
#define POCKETREC_RUNTIME_TOP_K_FEED_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <functional>

#include "runtime/top_k.hpp"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Bit i set where values[i] >= floor and values[i] is finite, for n <= 64 values: one vector
// compare per 8 (or 16) values.
inline uint64_t AtLeastBits(const float* HWY_RESTRICT values, int n, float floor) {
  const hn::CappedTag<float, 16> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // -inf (a filtered row) never passes, even against a floor of -inf.
  const auto f = hn::Set(d, floor > -HUGE_VALF ? floor : -FLT_MAX);
  uint64_t bits = 0;
  for (int v = 0; v < n; v += lanes) {
    uint8_t bytes[8] = {};
    hn::StoreMaskBits(d, hn::Ge(hn::LoadU(d, values + v), f), bytes);
    bits |= static_cast<uint64_t>(bytes[0] | (static_cast<uint32_t>(bytes[1]) << 8)) << v;
  }
  return n < 64 ? bits & ((uint64_t{1} << n) - 1) : bits;
}

// in[0, n) in TopK's order (higher score, then lower item), best first, into out (kRankMax
// entries); false if n exceeds kRankMax. Each one's rank is the count of those that beat it,
// n * n / lanes vector compares: a partition (nth_element) of the few dozen candidates a query has
// spent most of its time in mispredicted branches. Every candidate is stored at its rank (distinct
// items, distinct ranks), not only the k best: a branch on rank < k mispredicted about as often
// as it was taken (with TopK::take_sorted's reversal, p50 -0.1 to -0.2 us on each starter).
inline constexpr size_t kRankMax = 64;
inline bool RankBest(const Scored* HWY_RESTRICT in, size_t n, Scored* HWY_RESTRICT out) {
  if (n > kRankMax) return false;
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const size_t lanes = hn::Lanes(df);
  HWY_ALIGN float scores[kRankMax];
  HWY_ALIGN int32_t items[kRankMax];
  const size_t padded = (n + lanes - 1) / lanes * lanes;
  for (size_t j = 0; j < padded; ++j) {
    // Padding never beats anything: -inf scores with the largest item.
    scores[j] = j < n ? in[j].score : -HUGE_VALF;
    items[j] = j < n ? static_cast<int32_t>(in[j].item) : INT32_MAX;
  }
  for (size_t i = 0; i < n; ++i) {
    const auto score = hn::Set(df, scores[i]);
    const auto item = hn::Set(di, items[i]);
    size_t rank = 0;
    for (size_t j = 0; j < padded; j += lanes) {
      const auto s = hn::Load(df, scores + j);
      const auto earlier = hn::RebindMask(df, hn::Lt(hn::Load(di, items + j), item));
      rank += hn::CountTrue(df, hn::Or(hn::Gt(s, score), hn::And(hn::Eq(s, score), earlier)));
    }
    out[rank] = in[i];
  }
  return true;
}

// Drops candidates until at most kRankMax remain, keeping the k best (k < kRankMax): the k-th best
// of the first kRankMax is a lower bound of the k-th best of all, so every candidate worse than it
// goes, in a branch-free pass; each pass drops at least kRankMax - k. (nth_element over a few
// hundred candidates, as the starter CNN's prefilter has, spent its time in mispredicted branches.)
inline size_t Shortlist(Scored* HWY_RESTRICT candidates, size_t n, size_t k) {
  Scored best[kRankMax];
  while (n > kRankMax) {
    RankBest(candidates, kRankMax, best);
    const Scored kth = best[k - 1];
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      const Scored c = candidates[i];
      candidates[kept] = c;
      kept += !TopK::better(kth, c);
    }
    n = kept;
  }
  return n;
}

// The min(k, n) best of candidates[0, n) in TopK's order, best first: in `best` (kRankMax entries)
// when RankBest can rank them, else in candidates itself (reordered). Returns where they are.
inline const Scored* BestFirst(Scored* HWY_RESTRICT candidates, size_t n, size_t k,
                               Scored* HWY_RESTRICT best) {
  if (n > kRankMax && k > 0 && k < kRankMax) n = Shortlist(candidates, n, k);
  if (RankBest(candidates, n, best)) return best;
  if (n > k) std::nth_element(candidates, candidates + (k - 1), candidates + n, TopK::better);
  std::sort(candidates, candidates + std::min(k, n), TopK::better);
  return candidates;
}

// Offers `top` (empty) the k best of candidates[0, n) (reordered), worst first, so each one lands
// without sifting; the set is the one pushing every candidate would keep.
inline void PushBest(Scored* HWY_RESTRICT candidates, size_t n, TopK& top) {
  Scored best[kRankMax];
  const Scored* kept = BestFirst(candidates, n, top.k(), best);
  for (size_t i = std::min(top.k(), n); i-- > 0;) top.push(kept[i].item, kept[i].score);
}

// Offers the rows of a scored chunk (n <= 64) that reach the running threshold to `top`. Rows
// that cannot enter cost one vector compare once the heap is warm. A row tying the threshold is
// offered too (the two-pass floor is itself some row's score) and TopK settles ties by index.
// Rows scored -inf (filtered) never enter.
inline void FeedChunk(const float* HWY_RESTRICT chunk, uint32_t base, int n, float best,
                      float floor, TopK& top) {
  float threshold = std::max(floor, top.threshold());
  if (!(best >= threshold) || best == -HUGE_VALF) return;
  for (uint64_t bits = AtLeastBits(chunk, n, threshold); bits; bits &= bits - 1) {
    const int i = std::countr_zero(bits);
    // The threshold rises as the heap fills: rows found at the first compare may no longer enter.
    if (!(chunk[i] >= threshold)) continue;
    top.push(base + static_cast<uint32_t>(i), chunk[i]);
    threshold = std::max(floor, top.threshold());
  }
}

// The order in which a large table is walked: kStreams interleaved runs of consecutive blocks,
// visit(i) once for every i in [0, count): 0, run, 2 run, 3 run, 1, run + 1, ... One core keeps
// more memory requests in flight over several sequential streams than over one (a bare 64 MB read
// here: 15 GB/s as one stream, 27.6 GB/s as four). The top-K's results do not depend on the order
// (TopK settles ties by index). Per target, so that `visit` is inlined.
constexpr int kStreams = 4;
template <class Visit>
HWY_INLINE void ForEachInterleaved(int count, const Visit& visit) {
  const int run = (count + kStreams - 1) / kStreams;
  for (int i = 0; i < run; ++i) {
    for (int stream = 0; stream < kStreams; ++stream) {
      const int index = stream * run + i;
      if (index >= count) break;  // the last stream's run may be shorter
      visit(index);
    }
  }
}

// The largest values added so far, in descending order in one vector (-inf where fewer were
// added), for the k-th largest chunk maximum while the chunks are scored: adding x makes lane i
// max(min(best[i - 1], x), best[i]) (best[-1] = +inf), which is best[i] before x's place, x at
// it and best[i - 1] after it. Three vector operations per chunk, which the scoring passes' loads
// leave room for, where KthLargestChunkMax after the pass takes k dependent rounds of horizontal
// maxima (0.1 us of a starter query). Holds k <= its lanes (16 on AVX-512, 8 on AVX2).
#if HWY_HAVE_SCALABLE
// Sizeless (SVE) vectors cannot be members: there the rounds after the pass choose.
struct RunningBest {
  static bool holds(size_t) { return false; }
  void add(float) {}
  float kth(size_t) const { return -HUGE_VALF; }
};
#else
struct RunningBest {
  using Tag = hn::CappedTag<float, 16>;
  Tag d;
  hn::Vec<Tag> best = hn::Set(d, -HUGE_VALF);
  decltype(hn::SetTableIndices(Tag(), static_cast<const int32_t*>(nullptr))) previous;
  hn::Mask<Tag> first = hn::FirstN(d, 1);
  RunningBest() {
    HWY_ALIGN int32_t index[hn::MaxLanes(Tag())];
    for (size_t i = 0; i < hn::Lanes(d); ++i) index[i] = i == 0 ? 0 : static_cast<int32_t>(i - 1);
    previous = hn::SetTableIndices(d, index);
  }
  static bool holds(size_t k) { return k >= 1 && k <= hn::Lanes(Tag()); }
  void add(float value) {
    const auto x = hn::Set(d, value);
    const auto shifted =
        hn::IfThenElse(first, hn::Set(d, HUGE_VALF), hn::TableLookupLanes(best, previous));
    best = hn::Max(hn::Min(shifted, x), best);
  }
  // The k-th largest value added (-inf with fewer), for holds(k).
  float kth(size_t k) const {
    HWY_ALIGN float lanes[hn::MaxLanes(Tag())];
    hn::Store(best, d, lanes);
    return lanes[k - 1];
  }
};
#endif

// The k-th largest of chunk_max[0, chunks) (k chunks each hold a row reaching it, so it is a
// lower bound of the k-th best row), or -inf when there are fewer than k chunks. `spare` holds
// chunks + 16 floats.
inline float KthLargestChunkMax(const float* HWY_RESTRICT chunk_max, int chunks, size_t k,
                                float* HWY_RESTRICT spare) {
  if (k < 1 || k > static_cast<size_t>(chunks)) return -HUGE_VALF;
  std::copy_n(chunk_max, chunks, spare);
  if (k > 16) {
    std::nth_element(spare, spare + (k - 1), spare + chunks, std::greater<float>());
    return spare[k - 1];
  }
  // Small k: k rounds of "take the maximum and every copy of it" with vector compares, free of
  // the data-dependent branches an insertion sort mispredicts when the maxima rise along the table.
  const hn::CappedTag<float, 8> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
#if !HWY_HAVE_SCALABLE  // arrays of vectors are not allowed with sizeless (SVE) vector types
  if (lanes == 8 && chunks <= 64) {
    // Up to 64 maxima stay in eight registers across the rounds: through memory, each round
    // waited on the previous one's stores.
    constexpr int kVectors = 8;
    hn::Vec<decltype(d)> v[kVectors];
    const auto none = hn::Set(d, -HUGE_VALF);
    HWY_ALIGN float padded[kVectors * 8];
    std::copy_n(chunk_max, chunks, padded);
    std::fill(padded + chunks, padded + kVectors * 8, -HUGE_VALF);
    for (int i = 0; i < kVectors; ++i) v[i] = hn::Load(d, padded + i * 8);
    size_t left = k;
    for (;;) {
      auto m = hn::Max(hn::Max(hn::Max(v[0], v[1]), hn::Max(v[2], v[3])),
                       hn::Max(hn::Max(v[4], v[5]), hn::Max(v[6], v[7])));
      const auto top = hn::MaxOfLanes(d, m);
      size_t copies = 0;
      for (int i = 0; i < kVectors; ++i) {
        const auto same = hn::Eq(v[i], top);
        copies += hn::CountTrue(d, same);
        v[i] = hn::IfThenElse(same, none, v[i]);
      }
      if (copies >= left || copies == 0) return hn::GetLane(top);
      left -= copies;
    }
  }
#endif
  const int padded = (chunks + lanes - 1) / lanes * lanes;
  std::fill(spare + chunks, spare + padded, -HUGE_VALF);
  size_t left = k;
  for (;;) {
    auto best = hn::Set(d, -HUGE_VALF);
    for (int i = 0; i < padded; i += lanes) best = hn::Max(best, hn::LoadU(d, spare + i));
    const auto top = hn::MaxOfLanes(d, best);
    size_t copies = 0;
    for (int i = 0; i < padded; i += lanes) {
      const auto v = hn::LoadU(d, spare + i);
      const auto same = hn::Eq(v, top);
      copies += hn::CountTrue(d, same);
      hn::StoreU(hn::IfThenElse(same, hn::Set(d, -HUGE_VALF), v), d, spare + i);
    }
    if (copies >= left || copies == 0) return hn::GetLane(top);
    left -= copies;
  }
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggling include guard
