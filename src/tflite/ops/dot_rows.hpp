#pragma once
// The inner loop of FULLY_CONNECTED (and of the runtime's fused encoders, which must repeat its
// bits): dot products of one input vector with many weight rows, vectorised with Highway (best
// instruction set picked at run time).
#include <cstdint>
#include <vector>

namespace pocketrec::tfl {

// out[r] += dot(x, w + r * stride, n) for r < rows. Each dot sums in a fixed order: eight
// partial sums (lane j takes the terms i = j mod 8 of the whole blocks of 8, by multiply-add),
// combined as ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)), then the n mod 8 last terms one
// by one. Four rows' partial sums are combined together with pairwise adds across vectors, not
// lane by lane: for the 16 x 16 layers of the recommendation encoders that reduction was most of
// the work.
void dot_rows_add(const float* x, const float* w, int64_t stride, int64_t rows, int64_t n,
                  float* out);

// Weights laid out for dot_rows_add_paired: rows 2i and 2i + 1's values 8b .. 8b + 7 side by
// side, pair by pair and block by block, so one 16-float vector multiplies both rows' block b.
// Empty where the shape does not fit (rows and n multiples of 8, n at most 512).
std::vector<float> pair_rows(const float* w, int64_t stride, int64_t rows, int64_t n);
// Whether the instruction set the kernels run on gains from the paired layout (16-float vectors:
// AVX-512); elsewhere dot_rows_add_paired unpacks the rows and is slower than dot_rows_add.
bool paired_rows_help();
// out[r] += dot(x, row r) from pair_rows' layout: dot_rows_add's order, so its bits, with half
// its multiply-adds and loads (the recurrent encoders' state products were most of their time).
void dot_rows_add_paired(const float* x, const float* paired, int64_t rows, int64_t n, float* out);

}  // namespace pocketrec::tfl
