// Micro-benchmarks of one training step of the BOW dual encoder at the ml-1m-sasrec shape
// (3416 items, D = 32, L = 10), split into its parts, so the profile of `train` can be explained.
// Prints the thread count and SIMD target with the numbers (see the context line).
#include <benchmark/benchmark.h>

#include <random>

#include "model/dual_encoder.hpp"
#include "nn/layers.hpp"
#include "train/optimizer.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec {
namespace {

constexpr int kItems = 3416;

ModelConfig bench_config(int dim) {
  ModelConfig config;
  config.items = kItems;
  config.embedding_dim = dim;
  config.output_dim = dim;
  return config;
}

std::vector<int32_t> random_contexts(int batch, int length, std::mt19937& rng) {
  std::vector<int32_t> contexts(static_cast<size_t>(batch) * length);
  for (auto& id : contexts) id = static_cast<int32_t>(rng() % (kItems + 1));
  return contexts;
}

void BM_ScoreGemm(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), dim = static_cast<int>(state.range(1));
  nn::Matrix user(batch, dim), table(kItems + 1, dim), scores;
  for (auto _ : state) {
    score_items(user, table, nullptr, scores);
    benchmark::DoNotOptimize(scores.data.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_ScoreGemm)->Args({128, 32})->Args({256, 32});

void BM_SoftmaxLossForwardBackward(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), dim = 32;
  std::mt19937 rng(1);
  nn::Matrix user(batch, dim), table(kItems + 1, dim), bias(1, kItems + 1), logits, user_grad;
  std::normal_distribution<float> normal;
  for (float& v : user.data) v = normal(rng);
  for (float& v : table.data) v = 0.1f * normal(rng);
  nn::Gradient table_grad, bias_grad;
  table_grad.init(kItems + 1, dim, false);
  bias_grad.init(1, kItems + 1, false);
  std::vector<uint32_t> targets(batch);
  for (auto& t : targets) t = 1 + rng() % kItems;
  for (auto _ : state) {
    double loss = softmax_cross_entropy(user, targets.data(), table, &bias, 1.0f / batch, logits,
                                        user_grad, table_grad, &bias_grad);
    benchmark::DoNotOptimize(loss);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_SoftmaxLossForwardBackward)->Arg(128)->Arg(256);

void BM_EncoderForwardBackward(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  DualEncoder model(bench_config(32));
  model.initialize(1);
  std::mt19937 rng(2);
  auto contexts = random_contexts(batch, 10, rng);
  EncoderWorkspace ws;
  auto grads = model.make_gradients();
  for (auto _ : state) {
    model.encode(contexts.data(), batch, ws);
    model.encode_backward(contexts.data(), ws, grads);
    for (auto& g : grads) g.clear();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_EncoderForwardBackward)->Arg(128)->Arg(256);

void BM_OptimizerStep(benchmark::State& state) {
  DualEncoder model(bench_config(32));
  model.initialize(1);
  TrainConfig config;
  Optimizer optimizer(config, model.parameters());
  auto grads = model.make_gradients();
  std::mt19937 rng(3);
  auto contexts = random_contexts(256, 10, rng);
  ThreadPool pool(1);
  for (auto _ : state) {
    for (int32_t id : contexts) grads[0].mark(static_cast<uint32_t>(id));
    optimizer.step(model.parameters(), grads, pool);
  }
}
BENCHMARK(BM_OptimizerStep);

}  // namespace
}  // namespace pocketrec

BENCHMARK_MAIN();
