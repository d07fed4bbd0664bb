// Per-target kernels of the prefilter (prefilter.hpp): approximate scores from 8-bit codes, then
// exact scores of the candidate rows with the arithmetic of score_kernels.cpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/prefilter_kernels.cpp"
#include <hwy/cache_control.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "runtime/prefilter.hpp"
#include "runtime/rounding.hpp"
#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"
#include "runtime/top_k_feed-inl.h"
#include "runtime/vnni.hpp"

HWY_BEFORE_NAMESPACE();
#if HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL
POCKETREC_TARGET_VNNI
#endif
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using TagF = hn::CappedTag<float, kPrefilterBlockRows>;
constexpr int kBlocksPerChunk = kPrefilterChunkRows / kPrefilterBlockRows;

// Whether this target multiplies with VNNI's vpdpbusd (vnni.hpp), whose int32 sums let the user
// take 8-bit levels (prefilter_user_levels).
#undef POCKETREC_PREFILTER_DPBUSD
#if HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL && POCKETREC_AVX3_DL_VNNI
#define POCKETREC_PREFILTER_DPBUSD 1
#else
#define POCKETREC_PREFILTER_DPBUSD 0
#endif
[[maybe_unused]] constexpr int kUserLevels =
    POCKETREC_PREFILTER_DPBUSD ? kPrefilterVnniLevels : kPrefilterPairLevels;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// acc + each row's four products of the unsigned codes c and the signed user levels. With VNNI,
// vpdpbusd at once; else vpmaddubsw into int16 (|sum| <= 2 * 255 * 63: never saturates) and
// vpmaddwd by ones into each row's int32.
inline __m256i Dot(__m256i acc, __m256i c, __m256i user) {
#if POCKETREC_PREFILTER_DPBUSD
  return _mm256_dpbusd_epi32(acc, c, user);
#else
  return _mm256_add_epi32(acc,
                          _mm256_madd_epi16(_mm256_maddubs_epi16(c, user), _mm256_set1_epi16(1)));
#endif
}
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline __m512i Dot(__m512i acc, __m512i c, __m512i user) {
#if POCKETREC_PREFILTER_DPBUSD
  return _mm512_dpbusd_epi32(acc, c, user);
#else
  return _mm512_add_epi32(acc,
                          _mm512_madd_epi16(_mm512_maddubs_epi16(c, user), _mm512_set1_epi16(1)));
#endif
}
#endif

// Approximate scores of every row (in row order) into approx, and each 64-row chunk's maximum
// into chunk_max: the integer dot product of the user levels and the codes, times the user step and
// the chunk's code scale, plus the bias; with kTwoParts, plus the same for the low levels. Error
// bounds are per chunk (PrefilterQuery::chunk_error), so the pass does no per-row bound
// arithmetic. kQuads > 0 fixes the number of quads of dimensions at compile time, so the user
// bytes stay in registers.
template <int kQuads, bool kTwoParts>
void ApproxScores(const PrefilterQuery& q, float* HWY_RESTRICT approx,
                  float* HWY_RESTRICT chunk_max, RunningBest& lows) {
  const TagF df;
  const hn::Rebind<int32_t, TagF> di;
  const int quads = kQuads > 0 ? kQuads : q.quads, blocks = q.blocks;
  const uint8_t* HWY_RESTRICT codes = q.codes;
  const float* HWY_RESTRICT bias = q.bias;
  const uint32_t* HWY_RESTRICT user_quads = q.user_quads;
  const uint32_t* HWY_RESTRICT user_quads_low = q.user_quads_low;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // A 16-row block in one zmm, half the instructions of two ymm halves: the starter CNN's p50
  // 3.01-3.12 -> 2.87-3.04 us on an Intel Xeon with AVX-512 VNNI, unchanged on Zen 5
  // (`bench --model recommendation_cnn_i10o100.tflite`).
  constexpr int kHalves = 1;
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  constexpr int kHalves = 2;
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // The sums of a block (or half block) of rows, as the raw vectors the intrinsics take.
  const hn::FixedTag<int32_t, kPrefilterBlockRows / kHalves> dsum;
  const hn::Repartition<uint8_t, decltype(dsum)> dcodes;
  using Int = decltype(hn::Zero(dsum).raw);
  auto Broadcast = [&](uint32_t v) { return hn::Set(dsum, static_cast<int32_t>(v)).raw; };
  constexpr int kHeld = kQuads > 0 ? kQuads : 1;
  Int held[kHeld], held_low[kHeld];
  for (int j = 0; j < kHeld; ++j) {
    held[j] = Broadcast(user_quads[j]);
    held_low[j] = Broadcast(kTwoParts ? user_quads_low[j] : 0);
  }
  const Int code_offset = Broadcast(static_cast<uint32_t>(q.code_offset));
  const Int code_offset_low = Broadcast(static_cast<uint32_t>(q.code_offset_low));
#endif
  for (int first = 0; first < blocks; first += kBlocksPerChunk) {
    const int last = std::min(blocks, first + kBlocksPerChunk);
    const int chunk = first / kBlocksPerChunk;
    const auto step = hn::Set(df, q.user_step * q.chunk_scale[chunk]);
    const auto step_low = hn::Set(df, q.user_step_low * q.chunk_scale[chunk]);
    auto best = hn::Set(df, -HUGE_VALF);
    auto finish = [&](size_t row, hn::Vec<decltype(di)> dot, hn::Vec<decltype(di)> dot_low) {
      auto a = hn::LoadU(df, bias + row);
      if constexpr (kTwoParts) a = hn::MulAdd(hn::ConvertTo(df, dot_low), step_low, a);
      a = hn::MulAdd(hn::ConvertTo(df, dot), step, a);
      hn::StoreU(a, df, approx + row);
      best = hn::Max(best, a);
    };
    for (int block = first; block < last; ++block) {
      const uint8_t* block_codes =
          codes + static_cast<size_t>(block) * quads * kPrefilterBlockRows * 4;
      const size_t row0 = static_cast<size_t>(block) * kPrefilterBlockRows;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
      for (int half = 0; half < kHalves; ++half) {
        Int acc = code_offset, acc_low = code_offset_low;
        for (int j = 0; j < quads; ++j) {
          const Int user = kQuads > 0 ? held[j] : Broadcast(user_quads[j]);
          const Int user_low = kQuads > 0 || !kTwoParts ? held_low[kQuads > 0 ? j : 0]
                                                        : Broadcast(user_quads_low[j]);
          const uint8_t* quad = block_codes + (j * kHalves + half) * hn::Lanes(dcodes);
          const Int c = hn::BitCast(dsum, hn::LoadU(dcodes, quad)).raw;
          acc = Dot(acc, c, user);
          if constexpr (kTwoParts) acc_low = Dot(acc_low, c, user_low);
        }
        finish(row0 + half * (kPrefilterBlockRows / kHalves), hn::Vec<decltype(di)>{acc},
               hn::Vec<decltype(di)>{acc_low});
      }
#else
      HWY_ALIGN int32_t dots[kPrefilterBlockRows], dots_low[kPrefilterBlockRows];
      for (int lane = 0; lane < kPrefilterBlockRows; ++lane) {
        int32_t sum = q.code_offset, sum_low = q.code_offset_low;
        for (int j = 0; j < quads; ++j) {
          for (int byte = 0; byte < 4; ++byte) {
            const int code = block_codes[(j * kPrefilterBlockRows + lane) * 4 + byte];
            sum += static_cast<int8_t>((user_quads[j] >> (8 * byte)) & 0xff) * code;
            if constexpr (kTwoParts) {
              sum_low += static_cast<int8_t>((user_quads_low[j] >> (8 * byte)) & 0xff) * code;
            }
          }
        }
        dots[lane] = sum;
        dots_low[lane] = sum_low;
      }
      for (size_t v = 0; v < kPrefilterBlockRows; v += hn::Lanes(df)) {
        finish(row0 + v, hn::Load(di, dots + v), hn::Load(di, dots_low + v));
      }
#endif
    }
    const float top = hn::GetLane(hn::MaxOfLanes(df, best));
    chunk_max[chunk] = top;
    // Rounding top - error is monotonic in top: the chunk's largest low.
    lows.add(top - q.chunk_error[chunk]);
  }
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// ExactF32 for dim a multiple of 8 on AVX2 and AVX-512: the eight rows are transposed eight
// dimensions at a time (unpacks, shuffles, then 128-bit halves exchanged), so each dimension's
// MulAdd runs on all eight rows in one vector, in the same order as the lanes of ExactF32: per 8
// dimensions 24 shuffles and 8 vector MulAdds where one lane per row took 64 scalar loads and
// MulAdds. The compiler's generic tuning spilled that version's eight accumulators (portable
// builds: starter CNN 3.16-3.28 -> 2.99-3.04 us with the transposed form).
void ExactF32Transposed(const PrefilterQuery& q, const uint32_t* rows, int count, float* out) {
  const float* row[8];
  HWY_ALIGN float start[8];
  for (int i = 0; i < 8; ++i) {
    const uint32_t r = rows[std::min(i, count - 1)];
    row[i] = q.rows_f32 + static_cast<size_t>(r) * q.dim;
    start[i] = q.bias[r];
  }
  __m256 a = _mm256_load_ps(start);
  for (int t = 0; t < q.dim; t += 8) {
    __m256 pair[8];
    for (int i = 0; i < 8; i += 2) {
      const __m256 even = _mm256_loadu_ps(row[i] + t), odd = _mm256_loadu_ps(row[i + 1] + t);
      pair[i] = _mm256_unpacklo_ps(even, odd);
      pair[i + 1] = _mm256_unpackhi_ps(even, odd);
    }
    // quad[j] (rows 0-3) and quad[j + 4] (rows 4-7): dimension j in the low half, j + 4 in the
    // high half.
    __m256 quad[8];
    for (int h = 0; h < 2; ++h) {
      const __m256* p = pair + 4 * h;
      quad[4 * h + 0] = _mm256_shuffle_ps(p[0], p[2], _MM_SHUFFLE(1, 0, 1, 0));
      quad[4 * h + 1] = _mm256_shuffle_ps(p[0], p[2], _MM_SHUFFLE(3, 2, 3, 2));
      quad[4 * h + 2] = _mm256_shuffle_ps(p[1], p[3], _MM_SHUFFLE(1, 0, 1, 0));
      quad[4 * h + 3] = _mm256_shuffle_ps(p[1], p[3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    __m256 column[8];
    for (int j = 0; j < 4; ++j) {
      column[j] = _mm256_permute2f128_ps(quad[j], quad[j + 4], 0x20);
      column[j + 4] = _mm256_permute2f128_ps(quad[j], quad[j + 4], 0x31);
    }
    for (int k = 0; k < 8; ++k) a = _mm256_fmadd_ps(_mm256_set1_ps(q.user[t + k]), column[k], a);
  }
  HWY_ALIGN float result[8];
  _mm256_store_ps(result, a);
  std::copy_n(result, count, out);
}
#endif

// Exact scores of float rows[0, count) (count <= 8): per row the chain of ScoreBlocksF32 (bias,
// then one MulAdd per dimension in order) on one lane, so the bits match; eight rows interleaved
// hide the latency of the chain.
void ExactF32(const PrefilterQuery& q, const uint32_t* rows, int count, float* out) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  if (q.dim % 8 == 0) return ExactF32Transposed(q, rows, count, out);
#endif
  const hn::CappedTag<float, 1> d1;
#if HWY_HAVE_SCALABLE
  // Arrays of vectors are not allowed with sizeless (SVE) vector types: one row at a time.
  for (int i = 0; i < count; ++i) {
    const float* row = q.rows_f32 + static_cast<size_t>(rows[i]) * q.dim;
    auto a = hn::Set(d1, q.bias[rows[i]]);
    for (int k = 0; k < q.dim; ++k) a = hn::MulAdd(hn::Set(d1, q.user[k]), hn::Set(d1, row[k]), a);
    out[i] = hn::GetLane(a);
  }
#else
  const float* row[8];
  hn::Vec<decltype(d1)> a[8];
  for (int i = 0; i < 8; ++i) {
    const uint32_t r = rows[std::min(i, count - 1)];
    row[i] = q.rows_f32 + static_cast<size_t>(r) * q.dim;
    a[i] = hn::Set(d1, q.bias[r]);
  }
  for (int k = 0; k < q.dim; ++k) {
    const auto u = hn::Set(d1, q.user[k]);
    for (int i = 0; i < 8; ++i) a[i] = hn::MulAdd(u, hn::Set(d1, row[i][k]), a[i]);
  }
  for (int i = 0; i < count; ++i) out[i] = hn::GetLane(a[i]);
#endif
}

// Exact scores of int8 rows[0, count) (count <= 8), as ScoreBlocksI8 computes them: the integer
// dot product with the int16 user (exact, in any order), then the same float operations.
void ExactI8(const PrefilterQuery& q, const uint32_t* rows, int count, float* out) {
  const hn::CappedTag<float, 1> d1;
  const hn::Rebind<int32_t, decltype(d1)> di1;
  const Int8User& user = *q.user_i8;
  for (int i = 0; i < count; ++i) {
    const int8_t* row = q.rows_i8 + static_cast<size_t>(rows[i]) * q.dim;
    int32_t dot = 0;
    for (int k = 0; k < q.dim; ++k) dot += user.values[k] * row[k];
    out[i] = hn::GetLane(
        hn::MulAdd(hn::Mul(hn::ConvertTo(d1, hn::Set(di1, dot)), hn::Set(d1, user.scale)),
                   hn::Set(d1, q.row_scale[rows[i]]), hn::Set(d1, q.bias[rows[i]])));
  }
}

// Whether this target's approximate pass is vectorized (AVX2's byte multiply-add); elsewhere it is
// a scalar loop, several times slower than scoring every row with the float kernel.
bool PrefilterVectorized() {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return true;
#else
  return false;
#endif
}

bool PrefilterVnni() {
  return POCKETREC_PREFILTER_DPBUSD;
}

// One pass computes approximate scores approx[r], within chunk_error[c] of the exact score of every
// row r of chunk c; then
//  - low[r] = approx[r] - chunk_error[c] is at most the exact score. floor, the k-th largest chunk
//    maximum of low, is at most kth, the k-th best low; collecting the rows with low >= floor
//    and selecting among them gives kth exactly;
//  - kth is at most the k-th best exact score (k rows have exact >= low >= kth), so only rows with
//    approx[r] + chunk_error[c] >= kth can be among the k best: those alone are scored exactly,
//    with the full kernel's arithmetic, and the k best of them go to the heap.
int TopKPrefiltered(const PrefilterQuery& q, float* HWY_RESTRICT approx,
                    float* HWY_RESTRICT chunk_max, float* HWY_RESTRICT low_max,
                    float* HWY_RESTRICT spare, Scored* HWY_RESTRICT candidates, TopK& top) {
  const int chunks = (q.rows + kPrefilterChunkRows - 1) / kPrefilterChunkRows;
  RunningBest lows;
  if (q.user_quads_low != nullptr) {
    if (q.quads == 4) {
      ApproxScores<4, true>(q, approx, chunk_max, lows);
    } else if (q.quads == 8) {
      ApproxScores<8, true>(q, approx, chunk_max, lows);
    } else {
      ApproxScores<0, true>(q, approx, chunk_max, lows);
    }
  } else if (q.quads == 4) {
    ApproxScores<4, false>(q, approx, chunk_max, lows);
  } else if (q.quads == 8) {
    ApproxScores<8, false>(q, approx, chunk_max, lows);
  } else {
    ApproxScores<0, false>(q, approx, chunk_max, lows);
  }
  const size_t k = top.k();
  if (k == 0) return 0;
  const float* HWY_RESTRICT error = q.chunk_error;
  // Calls visit(row, chunk) for each row whose approximate score reaches level + sign * error[c]
  // (sign +-1), in row order. The thresholds carry a slack of a few units in the last place,
  // 2^-22 (|level| + error[c]), so the rows visited are a superset of those meeting the bound as
  // the caller computes it.
  auto for_each_row = [&](float level, float sign, const auto& visit) {
    // The thresholds are computed and the chunks to visit found with vector compares (spare holds
    // the thresholds; error, chunk_max and spare are padded to whole vectors): a branch per chunk
    // mispredicted on about a third of them.
    {
      const hn::CappedTag<float, 16> d;
      const auto b = hn::Set(d, level), s = hn::Set(d, sign);
      const auto b_abs = hn::Set(d, std::fabs(level)), ulps = hn::Set(d, 0x1p-22f);
      for (int c = 0; c < chunks; c += static_cast<int>(hn::Lanes(d))) {
        const auto e = hn::LoadU(d, error + c);
        const auto slack = hn::Mul(ulps, hn::Add(b_abs, hn::Abs(e)));
        hn::StoreU(hn::Sub(hn::MulAdd(s, e, b), slack), d, spare + c);
      }
    }
    const hn::CappedTag<float, 8> d;
    const int lanes = static_cast<int>(hn::Lanes(d));
    const auto never = hn::Set(d, -HUGE_VALF);
    for (int first = 0; first < chunks; first += 64) {
      const int n = std::min(64, chunks - first);
      uint64_t pass = 0;
      for (int v = 0; v < n; v += lanes) {
        const auto best = hn::LoadU(d, chunk_max + first + v);
        const auto mask =
            hn::And(hn::Ge(best, hn::LoadU(d, spare + first + v)), hn::Gt(best, never));
        uint8_t bytes[8] = {};
        hn::StoreMaskBits(d, mask, bytes);
        pass |= static_cast<uint64_t>(bytes[0]) << v;
      }
      if (n < 64) pass &= (uint64_t{1} << n) - 1;
      // The rows of every chunk to visit are found first, then visited: the chunks' loads then
      // overlap, where a loop visiting each chunk's rows as it found them waited on each chunk's
      // lines (often back from L2, the pass having streamed the codes since) after mispredicting
      // the end of the previous chunk's rows.
      uint64_t found[64];
      int found_chunk[64], chunks_found = 0;
      for (; pass; pass &= pass - 1) {
        const int c = first + std::countr_zero(pass);
        const int base = c * kPrefilterChunkRows;
        found[chunks_found] =
            AtLeastBits(approx + base, std::min(kPrefilterChunkRows, q.rows - base), spare[c]);
        found_chunk[chunks_found++] = c;
      }
      for (int i = 0; i < chunks_found; ++i) {
        const int c = found_chunk[i], base = c * kPrefilterChunkRows;
        for (uint64_t bits = found[i]; bits; bits &= bits - 1) {
          visit(static_cast<uint32_t>(base + std::countr_zero(bits)), c);
        }
      }
    }
  };
  // The bound of one row: its chunk's with the user's rounding through the row's own norms.
  auto row_error = [&](uint32_t row, int c) {
    const float* norms = q.row_norms + 2 * static_cast<size_t>(row);
    return q.chunk_rest[c] + std::min(q.alpha_l1 * norms[0], q.alpha_l2 * norms[1]);
  };
  size_t count = 0;
  // floor: the k-th largest chunk low (-inf with fewer than k chunks), from the pass's running
  // best where it holds k.
  float floor;
  if (RunningBest::holds(k)) {
    floor = lows.kth(k);
  } else {
    for (int c = 0; c < chunks; ++c) low_max[c] = chunk_max[c] - error[c];
    floor = KthLargestChunkMax(low_max, chunks, k, spare);
  }
  // With fewer than k chunks holding a finite row, floor is -inf and every finite row is a
  // candidate. Each one's low takes its own bound (at most its chunk's, so still >= floor's
  // chunk low; a higher k-th best low lowers the rows scored exactly).
  for_each_row(floor, 1.0f, [&](uint32_t row, int c) {
    candidates[count++] = {row, approx[row] - std::min(error[c], row_error(row, c))};
  });
  auto score_exactly = [&](const uint32_t* rows, int size, float* exact) {
    if (q.rows_i8 != nullptr) {
      ExactI8(q, rows, size, exact);
    } else {
      ExactF32(q, rows, size, exact);
    }
  };
  float kth = -HUGE_VALF;
  if (count >= k) {
    Scored best[kRankMax];
    const Scored* first = BestFirst(candidates, count, k, best);
    kth = first[k - 1].score;
    float least = HUGE_VALF;
    for (size_t i = 0; q.score_best_first() && i < k; i += 8) {
      uint32_t group[8];
      const int size = static_cast<int>(std::min<size_t>(8, k - i));
      for (int j = 0; j < size; ++j) group[j] = first[i + j].item;
      float exact[8];
      score_exactly(group, size, exact);
      for (int j = 0; j < size; ++j) least = std::min(least, exact[j]);
    }
    if (std::isfinite(least)) kth = std::max(kth, least);
  }
  // The rows that can still be among the k best: a superset, collected first and then scored
  // together, with no branch per row on the heap's threshold. Each row is held to its chunk's
  // bound only: its own (which raised kth above) removed 3 of 53 rows per query on the starter
  // CNN, and its loads cost as much.
  const float bar = kth == -HUGE_VALF ? kth : kth - 0x1p-21f * std::fabs(kth);
  size_t n = 0;
  for_each_row(bar, -1.0f, [&](uint32_t row, int) {
    // The row-major rows are not streamed by the approximate pass: fetch their lines
    // while the others are found.
    if (q.rows_i8 != nullptr) {
      const int8_t* values = q.rows_i8 + static_cast<size_t>(row) * q.dim;
      for (int b = 0; b < q.dim; b += 64) hwy::Prefetch(values + b);
    } else {
      const float* values = q.rows_f32 + static_cast<size_t>(row) * q.dim;
      for (int b = 0; b < q.dim; b += 16) hwy::Prefetch(values + b);
    }
    candidates[n++].item = row;
  });
  // A row scored below kth cannot be among the k best (k rows score at least kth), so only the
  // others go on to the ranking, whose cost grows with the square of their number (the starter
  // CNN: about 50 rows scored exactly per query, a third of them kept).
  size_t kept = 0;
  for (size_t first = 0; first < n; first += 8) {
    uint32_t group[8];
    const int size = static_cast<int>(std::min<size_t>(8, n - first));
    float exact[8];
    for (int i = 0; i < size; ++i) group[i] = candidates[first + i].item;
    score_exactly(group, size, exact);
    for (int i = 0; i < size; ++i) {
      candidates[kept] = {group[i], exact[i]};
      kept += exact[i] >= bar;
    }
  }
  // The k best by (score, then lower row), the heap's order, so the set is the one the heap
  // would keep; pushed worst first, each one lands without sifting.
  PushBest(candidates, kept, top);
  return static_cast<int>(n);
}

// Half away from zero, as round_half_away: in double, where |x| + 0.5 is exact.
template <class DD>
hn::Vec<DD> RoundHalfAway(DD dd, hn::Vec<DD> x) {
  return hn::CopySignToAbs(hn::Floor(hn::Add(hn::Abs(x), hn::Set(dd, 0.5))), x);
}

// prefilter.hpp's quantize_user, a vector of doubles at a time: the same levels as a scalar loop
// (float quotient, rounded half away), at a quarter of its cost (0.13 us of a starter query).
#if !HWY_HAVE_FLOAT64
// Targets without double vectors (WebAssembly in Highway 1.0): the scalar loop, the same levels.
// prefilter_vectorized() is false there, so tables get no prefilter and this runs only if asked.
void QuantizeUser(const float* HWY_RESTRICT user, const Int8User* user_i8, int dim, int quads,
                  float step, float step_low, bool two_parts, UserLevels& out) {
  const long limit = prefilter_user_levels();
  out = UserLevels{};
  for (int k = 0; k < quads * 4; ++k) {
    long level = 0, low = 0;
    if (k < dim && step > 0.0f) {
      level = std::clamp(round_half_away(user[k] / step), -limit, limit);
      if (two_parts && step_low > 0.0f) {
        const double rest = static_cast<double>(user[k]) - static_cast<double>(step) * level;
        low = std::clamp(round_half_away(static_cast<float>(rest / step_low)), -limit, limit);
      }
    }
    if (k < dim) {
      const double exact = user_i8 != nullptr
                               ? static_cast<double>(user_i8->scale) * user_i8->values[k]
                               : static_cast<double>(user[k]);
      const double approx = static_cast<double>(step) * level + static_cast<double>(step_low) * low;
      out.error_max = std::max(out.error_max, std::fabs(exact - approx));
      out.error_squares += (exact - approx) * (exact - approx);
      out.approx_l1 += static_cast<float>(std::fabs(approx));
    }
    out.levels_sum += static_cast<int32_t>(level);
    out.low_sum += static_cast<int32_t>(low);
    out.quads[k / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(level)) << (8 * (k % 4));
    out.quads_low[k / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(low)) << (8 * (k % 4));
  }
}
#else
void QuantizeUser(const float* HWY_RESTRICT user, const Int8User* user_i8, int dim, int quads,
                  float step, float step_low, bool two_parts, UserLevels& out) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const hn::Rebind<int32_t, decltype(dd)> di;
  const size_t n = hn::Lanes(dd);
  const int padded = quads * 4;
  // Zero-padded copies, the vectors read whole past dim: only the padding is cleared (the whole
  // arrays are 4 KB, a query's user 16 floats).
  const int end = padded + static_cast<int>(n);
  HWY_ALIGN float u[kMaxPrefilterDim + hn::MaxLanes(dd)];
  HWY_ALIGN float exact_i8[kMaxPrefilterDim + hn::MaxLanes(dd)];
  HWY_ALIGN int32_t levels[kMaxPrefilterDim + hn::MaxLanes(dd)];
  HWY_ALIGN int32_t lows[kMaxPrefilterDim + hn::MaxLanes(dd)];
  std::fill(std::copy(user, user + dim, u), u + end, 0.0f);
  if (user_i8 != nullptr) {
    std::fill(std::copy(user_i8->values, user_i8->values + dim, exact_i8), exact_i8 + end, 0.0f);
  }
  const auto limit = hn::Set(dd, kUserLevels);
  const auto step_f = hn::Set(df, step);
  const auto step_d = hn::Set(dd, step), step_low_d = hn::Set(dd, step_low);
  const auto scale_i8 = hn::Set(dd, user_i8 != nullptr ? user_i8->scale : 0.0f);
  auto error_max = hn::Zero(dd), squares = hn::Zero(dd);
  auto approx_l1 = hn::Zero(df);
  auto levels_sum = hn::Zero(di), low_sum = hn::Zero(di);
  for (int k = 0; k < padded; k += static_cast<int>(n)) {
    const auto uf = hn::Load(df, u + k);
    const auto ud = hn::PromoteTo(dd, uf);
    auto level = hn::Zero(dd), low = hn::Zero(dd);
    if (step > 0.0f) {
      level = hn::Min(
          hn::Max(RoundHalfAway(dd, hn::PromoteTo(dd, hn::Div(uf, step_f))), hn::Neg(limit)),
          limit);
      if (two_parts && step_low > 0.0f) {
        const auto rest = hn::Sub(ud, hn::Mul(step_d, level));
        const auto q = hn::PromoteTo(dd, hn::DemoteTo(df, hn::Div(rest, step_low_d)));
        low = hn::Min(hn::Max(RoundHalfAway(dd, q), hn::Neg(limit)), limit);
      }
    }
    const auto approx = hn::MulAdd(step_d, level, hn::Mul(step_low_d, low));
    const auto exact =
        user_i8 != nullptr ? hn::Mul(scale_i8, hn::PromoteTo(dd, hn::Load(df, exact_i8 + k))) : ud;
    const auto e = hn::Sub(exact, approx);
    error_max = hn::Max(error_max, hn::Abs(e));
    squares = hn::MulAdd(e, e, squares);
    approx_l1 = hn::Add(approx_l1, hn::DemoteTo(df, hn::Abs(approx)));
    const auto level_i = hn::DemoteTo(di, level), low_i = hn::DemoteTo(di, low);
    levels_sum = hn::Add(levels_sum, level_i);
    low_sum = hn::Add(low_sum, low_i);
    hn::Store(level_i, di, levels + k);
    hn::Store(low_i, di, lows + k);
  }
  for (int j = 0; j < quads; ++j) {
    uint32_t quad = 0, quad_low = 0;
    for (int byte = 0; byte < 4; ++byte) {
      quad |= static_cast<uint32_t>(static_cast<uint8_t>(levels[4 * j + byte])) << (8 * byte);
      quad_low |= static_cast<uint32_t>(static_cast<uint8_t>(lows[4 * j + byte])) << (8 * byte);
    }
    out.quads[j] = quad;
    out.quads_low[j] = quad_low;
  }
  out.levels_sum = hn::GetLane(hn::SumOfLanes(di, levels_sum));
  out.low_sum = hn::GetLane(hn::SumOfLanes(di, low_sum));
  out.error_max = hn::GetLane(hn::MaxOfLanes(dd, error_max));
  out.error_squares = hn::GetLane(hn::SumOfLanes(dd, squares));
  out.approx_l1 = hn::GetLane(hn::SumOfLanes(df, approx_l1));
}
#endif

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(TopKPrefiltered);
HWY_EXPORT(PrefilterVectorized);
HWY_EXPORT(PrefilterVnni);
HWY_EXPORT(QuantizeUser);

void quantize_user(const float* user, const Int8User* user_i8, int dim, int quads, float step,
                   float step_low, bool two_parts, UserLevels& out) {
  HWY_DYNAMIC_DISPATCH(QuantizeUser)(user, user_i8, dim, quads, step, step_low, two_parts, out);
}

bool prefilter_vectorized() {
  return HWY_DYNAMIC_DISPATCH(PrefilterVectorized)();
}

bool prefilter_vnni() {
  return HWY_DYNAMIC_DISPATCH(PrefilterVnni)();
}

int top_k_prefiltered(const PrefilterQuery& query, TopKScratch& scratch, TopK& top) {
  return HWY_DYNAMIC_DISPATCH(TopKPrefiltered)(
      query, scratch.scores.data(), scratch.chunk_max.data(), scratch.low_max.data(),
      scratch.spare.data(), scratch.candidates.data(), top);
}

}  // namespace pocketrec::runtime
#endif
