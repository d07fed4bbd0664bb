#pragma once
// Entry points of the Highway kernels (runtime dispatch to the best instruction set).
#include <cstdint>
#include <string>

namespace pocketrec::runtime {

// out[b * 16 + r] = bias[row] + dot(user, row) for the 16 rows of blocks [first, first + count);
// both return the largest score written (padding rows included), so callers can skip a chunk.
float score_blocks_f32(const float* table, const float* bias, const float* user, int dim, int first,
                       int count, float* out);
// int8 rows ([block][dim pair][16 rows][2] layout) against the user vector quantized to int16
// (user ~= user_scale * q, q packed two per int32): bias + scale[row] * user_scale * dot(q, row).
float score_blocks_i8(const int8_t* table, const float* scale, const float* bias,
                      const int32_t* user_pairs, float user_scale, int pairs, int first, int count,
                      float* out);

}  // namespace pocketrec::runtime
