#pragma once
// Full softmax cross-entropy over the whole catalog (items 1..N; padding is never a class).
#include <cstdint>
#include <span>

#include "nn/matrix.hpp"

namespace pocketrec {

// user: [batch, D]; targets: item indices 1..N, or 0 for a row without a target (skipped). Fills
// user_grad, adds to table_grad and bias_grad (may be null), all scaled by `scale` (1 / the full
// batch size when a batch is split across threads). `logits` is scratch space. Returns the summed
// (unscaled) loss. seen (null, or one span per row): items left out of that row's softmax, as
// evaluation and the runtime's seen-items filter leave them out of the ranking; a row's own
// target always stays in.
double softmax_cross_entropy(const nn::Matrix& user, const uint32_t* targets,
                             const nn::Matrix& table, const nn::Matrix* bias, float scale,
                             nn::Matrix& logits, nn::Matrix& user_grad, nn::Gradient& table_grad,
                             nn::Gradient* bias_grad,
                             const std::span<const uint32_t>* seen = nullptr);

// scores[b, j - 1] = dot(user_b, table_j) + bias_j for j in 1..N.
void score_items(const nn::Matrix& user, const nn::Matrix& table, const nn::Matrix* bias,
                 nn::Matrix& scores);

}  // namespace pocketrec
