#pragma once
// Sampled softmax for large catalogs. A batch shares S negatives drawn with replacement from
// q(j) ~ count(j)^0.75 over the training items; every logit gets the logQ correction -log(S q(j)),
// so the sampled loss estimates the full softmax, and a negative equal to a row's own target is
// removed from that row (an accidental hit). Cost per batch: O(B * S * D) instead of O(B * N * D).
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "nn/matrix.hpp"

namespace pocketrec {

class NegativeSampler {
 public:
  // counts[j] for items j = 1..N (counts[0], padding, is ignored); items never seen get the
  // smallest positive weight, so every item can be drawn.
  explicit NegativeSampler(std::span<const float> counts, double power = 0.75);
  void sample(std::mt19937_64& rng, int n, std::vector<uint32_t>& out) const;
  double probability(uint32_t item) const { return probability_[item]; }

 private:
  std::vector<double> cumulative_;  // over items 1..N
  std::vector<double> probability_;
};

// Like softmax_cross_entropy, over {target} + negatives. `correction[j]` (j = 0..N) is subtracted
// from item j's logit (log(S q(j)); empty for none). Rows whose target is 0 are skipped. Gradients
// are added to `table_grad`/`bias_grad` for the touched rows only (marked when sparse).
double sampled_softmax_cross_entropy(const nn::Matrix& user, const uint32_t* targets,
                                     const nn::Matrix& table, const nn::Matrix* bias,
                                     std::span<const uint32_t> negatives,
                                     std::span<const float> correction, float scale,
                                     nn::Matrix& logits, nn::Matrix& user_grad,
                                     nn::Gradient& table_grad, nn::Gradient* bias_grad);

}  // namespace pocketrec
