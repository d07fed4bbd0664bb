#include "train/optimizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace pocketrec {
namespace {

std::vector<Parameter> one_parameter(int rows, int cols, bool sparse) {
  std::vector<Parameter> params;
  params.push_back(Parameter{std::string(1, 'p'), nn::Matrix(rows, cols), sparse});
  std::fill(params[0].value.data.begin(), params[0].value.data.end(), 1.0f);
  return params;
}

Gradients gradients_for(const std::vector<Parameter>& params) {
  Gradients grads(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    grads[i].init(params[i].value.rows, params[i].value.cols, params[i].sparse_rows);
  }
  return grads;
}

}  // namespace

TEST(Optimizer, AdagradMatchesHandComputation) {
  TrainConfig config;
  config.optimizer = OptimizerKind::kAdagrad;
  config.learning_rate = 0.1f;
  auto params = one_parameter(1, 1, false);
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(2);
  grads[0].values.at(0, 0) = 2.0f;
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 1.0 - 0.1 * 2.0 / std::sqrt(0.1 + 4.0), 1e-6);
}

TEST(Optimizer, AdamFirstStepMovesByLearningRate) {
  TrainConfig config;
  config.learning_rate = 0.01f;
  auto params = one_parameter(1, 2, false);
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(2);
  grads[0].values.at(0, 0) = 5.0f;
  grads[0].values.at(0, 1) = -0.01f;
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 1.0 - 0.01, 1e-5);
  EXPECT_NEAR(params[0].value.at(0, 1), 1.0 + 0.01, 1e-5);
  EXPECT_EQ(optimizer.steps(), 1u);
}

TEST(Optimizer, DecoupledWeightDecayAndWarmup) {
  TrainConfig config;
  config.learning_rate = 0.01f;
  config.weight_decay = 0.5f;
  config.warmup_steps = 4;
  std::vector<Parameter> params;
  params.push_back({"dense/weight", nn::Matrix(1, 1), false});
  params.push_back({"dense/bias", nn::Matrix(1, 1), false});
  params[0].value.at(0, 0) = 2.0f;
  params[1].value.at(0, 0) = 2.0f;
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(1);
  // Step 1 of 4 of warmup: lr = 0.0025. The weight shrinks by lr * decay before Adam's step
  // (which moves by lr against the gradient's sign); the bias only takes Adam's step.
  grads[0].values.at(0, 0) = 1.0f;
  grads[1].values.at(0, 0) = 1.0f;
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 2.0 * (1 - 0.0025 * 0.5) - 0.0025, 1e-6);
  EXPECT_NEAR(params[1].value.at(0, 0), 2.0 - 0.0025, 1e-6);
  // With no gradient at all, only the decay moves the weight (lr now 0.005).
  const float weight = params[0].value.at(0, 0), bias = params[1].value.at(0, 0);
  Optimizer decay_only(config, params);
  decay_only.step(params, grads, pool);
  decay_only.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), weight * (1 - 0.0025 * 0.5) * (1 - 0.005 * 0.5), 1e-6);
  EXPECT_EQ(params[1].value.at(0, 0), bias);
}

TEST(Optimizer, PlateauScaleMultipliesTheRateAfterWarmup) {
  TrainConfig config;
  config.learning_rate = 0.01f;
  config.warmup_steps = 2;
  auto params = one_parameter(1, 1, false);
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(1);
  optimizer.set_lr_scale(0.25f);
  // Adam's first step moves by the rate: 0.01 * 0.25 (scale) * 1/2 (warmup step 1 of 2).
  grads[0].values.at(0, 0) = 3.0f;
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 1.0 - 0.00125, 1e-6);
  EXPECT_FLOAT_EQ(optimizer.lr_scale(), 0.25f);
}

TEST(Optimizer, ScheduleScaleMultipliesThePlateauScale) {
  TrainConfig config;
  config.learning_rate = 0.01f;
  auto params = one_parameter(1, 1, false);
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(1);
  optimizer.set_lr_scale(0.5f);
  optimizer.set_schedule_scale(0.2f);
  // Adam's first step moves by the rate: 0.01 * 0.5 * 0.2.
  grads[0].values.at(0, 0) = -3.0f;
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 1.0 + 0.001, 1e-6);
  optimizer.set_schedule_scale(0.0f);  // the end of a cooldown: no move at all
  grads[0].values.at(0, 0) = -3.0f;
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 1.0 + 0.001, 1e-6);
}

TEST(Optimizer, PerVariableClipping) {
  TrainConfig config;
  config.optimizer = OptimizerKind::kAdagrad;
  config.clip_norm = 1.0f;
  config.learning_rate = 1.0f;
  config.adagrad_initial = 1.0f;
  auto params = one_parameter(1, 2, false);
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(2);
  grads[0].values.at(0, 0) = 3.0f;
  grads[0].values.at(0, 1) = 4.0f;  // norm 5 -> clipped to (0.6, 0.8)
  optimizer.step(params, grads, pool);
  EXPECT_NEAR(params[0].value.at(0, 0), 1.0 - 0.6 / std::sqrt(1.0 + 0.36), 1e-6);
  EXPECT_NEAR(params[0].value.at(0, 1), 1.0 - 0.8 / std::sqrt(1.0 + 0.64), 1e-6);
}

TEST(Optimizer, SparseRowsUpdateOnlyTouchedRows) {
  TrainConfig config;
  auto params = one_parameter(4, 2, true);
  auto grads = gradients_for(params);
  Optimizer optimizer(config, params);
  ThreadPool pool(2);
  grads[0].mark(2);
  grads[0].values.at(2, 0) = 1.0f;
  optimizer.step(params, grads, pool);
  EXPECT_EQ(params[0].value.at(1, 0), 1.0f);
  EXPECT_EQ(params[0].value.at(3, 1), 1.0f);
  EXPECT_LT(params[0].value.at(2, 0), 1.0f);
}

}  // namespace pocketrec
