#include "train/sampled_softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "train/softmax_loss.hpp"

namespace pocketrec {
namespace {

struct Problem {
  nn::Matrix user, table, bias;
  std::vector<uint32_t> targets;
};

Problem make_problem(int batch, int items, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.7f);
  Problem p{nn::Matrix(batch, dim), nn::Matrix(items + 1, dim), nn::Matrix(1, items + 1), {}};
  for (float& v : p.user.data) v = normal(rng);
  for (float& v : p.table.data) v = normal(rng);
  for (float& v : p.bias.data) v = normal(rng);
  for (int b = 0; b < batch; ++b) p.targets.push_back(1 + rng() % items);
  p.targets[1] = 0;  // a row without a target
  return p;
}

TEST(SampledSoftmax, EqualsTheFullSoftmaxWhenEveryItemIsANegative) {
  const int items = 9, dim = 4;
  Problem p = make_problem(5, items, dim, 1);
  std::vector<uint32_t> all(items);
  std::iota(all.begin(), all.end(), 1u);
  nn::Matrix logits, ug_full, ug_sampled;
  nn::Gradient tg_full, tg_sampled, bg_full, bg_sampled;
  for (auto* g : {&tg_full, &tg_sampled}) g->init(items + 1, dim, false);
  for (auto* g : {&bg_full, &bg_sampled}) g->init(1, items + 1, false);
  double full = softmax_cross_entropy(p.user, p.targets.data(), p.table, &p.bias, 0.5f, logits,
                                      ug_full, tg_full, &bg_full);
  double sampled =
      sampled_softmax_cross_entropy(p.user, p.targets.data(), p.table, &p.bias, all, {}, 0.5f,
                                    logits, ug_sampled, tg_sampled, &bg_sampled);
  EXPECT_NEAR(sampled, full, 1e-5);
  for (size_t i = 0; i < ug_full.data.size(); ++i)
    EXPECT_NEAR(ug_sampled.data[i], ug_full.data[i], 1e-5);
  for (size_t i = 0; i < tg_full.values.data.size(); ++i) {
    EXPECT_NEAR(tg_sampled.values.data[i], tg_full.values.data[i], 1e-5) << i;
  }
  for (size_t i = 0; i < bg_full.values.data.size(); ++i) {
    EXPECT_NEAR(bg_sampled.values.data[i], bg_full.values.data[i], 1e-5) << i;
  }
}

// Finite differences of the sampled loss (fixed negatives with a duplicate and accidental hits,
// logQ correction on) against its analytic gradients.
TEST(SampledSoftmax, GradientsMatchFiniteDifferences) {
  const int items = 12, dim = 3;
  Problem p = make_problem(4, items, dim, 2);
  std::vector<uint32_t> negatives{p.targets[0], 3, 7, 7, 11, p.targets[2]};
  std::vector<float> correction(items + 1);
  for (int j = 0; j <= items; ++j) correction[j] = 0.1f * static_cast<float>(j % 5) - 0.2f;
  auto loss = [&] {
    nn::Matrix logits, ug;
    nn::Gradient tg, bg;
    tg.init(items + 1, dim, true);
    bg.init(1, items + 1, false);
    return sampled_softmax_cross_entropy(p.user, p.targets.data(), p.table, &p.bias, negatives,
                                         correction, 1.0f, logits, ug, tg, &bg);
  };
  nn::Matrix logits, ug;
  nn::Gradient tg, bg;
  tg.init(items + 1, dim, true);
  bg.init(1, items + 1, false);
  sampled_softmax_cross_entropy(p.user, p.targets.data(), p.table, &p.bias, negatives, correction,
                                1.0f, logits, ug, tg, &bg);
  const double h = 1e-3;
  auto check = [&](nn::Matrix& m, const nn::Matrix& analytic, const char* what) {
    for (size_t i = 0; i < m.data.size(); ++i) {
      float saved = m.data[i];
      m.data[i] = saved + static_cast<float>(h);
      double up = loss();
      m.data[i] = saved - static_cast<float>(h);
      double down = loss();
      m.data[i] = saved;
      EXPECT_NEAR(analytic.data[i], (up - down) / (2 * h), 2e-3) << what << " " << i;
    }
  };
  check(p.user, ug, "user");
  check(p.table, tg.values, "table");
  check(p.bias, bg.values, "bias");
  // Only the targets' and negatives' rows are touched.
  for (uint32_t r : tg.rows) {
    bool expected = std::count(negatives.begin(), negatives.end(), r) ||
                    std::count(p.targets.begin(), p.targets.end(), r);
    EXPECT_TRUE(expected) << r;
  }
}

TEST(SampledSoftmax, SamplerFollowsCountsToThePowerOfThreeQuarters) {
  std::vector<float> counts{0, 100, 0, 1600, 10};  // item 2 never seen
  NegativeSampler sampler(counts);
  double z = std::pow(100, 0.75) + std::pow(10, 0.75) + std::pow(1600, 0.75) + std::pow(10, 0.75);
  EXPECT_NEAR(sampler.probability(3), std::pow(1600, 0.75) / z, 1e-9);
  EXPECT_NEAR(sampler.probability(2), std::pow(10, 0.75) / z, 1e-9);  // the smallest seen count
  std::mt19937_64 rng(5);
  std::vector<uint32_t> draws;
  sampler.sample(rng, 200000, draws);
  std::vector<int> seen(5, 0);
  for (uint32_t d : draws) {
    ASSERT_GE(d, 1u);
    ASSERT_LE(d, 4u);
    ++seen[d];
  }
  for (uint32_t j = 1; j <= 4; ++j) {
    EXPECT_NEAR(seen[j] / 200000.0, sampler.probability(j), 0.005) << j;
  }
}

}  // namespace
}  // namespace pocketrec
