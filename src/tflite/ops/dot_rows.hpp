#pragma once
// The inner loop of FULLY_CONNECTED (and of the runtime's fused encoders, which must repeat its
// bits): dot products of one input vector with many weight rows, vectorised with Highway (best
// instruction set picked at run time).
#include <cstdint>

namespace pocketrec::tfl {

// out[r] += dot(x, w + r * stride, n) for r < rows. Each dot sums in a fixed order: eight
// partial sums (lane j takes the terms i = j mod 8 of the whole blocks of 8, by multiply-add),
// combined as ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)), then the n mod 8 last terms one
// by one. Four rows' partial sums are combined together with pairwise adds across vectors, not
// lane by lane: for the 16 x 16 layers of the recommendation encoders that reduction was most of
// the work.
void dot_rows_add(const float* x, const float* w, int64_t stride, int64_t rows, int64_t n,
                  float* out);

}  // namespace pocketrec::tfl
