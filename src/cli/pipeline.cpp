#include "cli/pipeline.hpp"

#include <chrono>
#include <cstdio>

#include "core/thread_pool.hpp"
#include "eval/baselines.hpp"
#include "eval/evaluator.hpp"
#include "model/feature_inputs.hpp"

namespace pocketrec::cli {

TrainedModel train_model(const Dataset& dataset, const Split& split, ModelConfig model_config,
                         const TrainConfig& train_config, const TrainOptions& options,
                         std::unique_ptr<DualEncoder> initial) {
  TrainedModel trained;
  if (initial) {
    trained.model = std::move(initial);
    model_config = trained.model->config();
  } else {
    model_config.items = static_cast<int>(dataset.catalog.size());
    if (model_config.has_features()) bind_features(model_config, dataset);
    trained.model = std::make_unique<DualEncoder>(model_config);
    trained.model->initialize(train_config.seed);
  }
  std::fprintf(stderr, "model: %s encoder, L=%d, D=%d, %zu parameters; %zu training examples\n",
               std::string(name(model_config.encoder)).c_str(), model_config.context_length,
               model_config.user_dim(), trained.model->parameter_count(), split.train.size());
  auto started = std::chrono::steady_clock::now();
  Trainer trainer(*trained.model, dataset, split, train_config);
  trained.result = trainer.run(options);
  trained.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return trained;
}

nlohmann::json report_test_metrics(const RankingMetrics& metrics, const Dataset& dataset,
                                   const Split& split, bool exclude_seen, double seconds,
                                   bool print) {
  nlohmann::json report = {{"protocol", split.protocol},
                           {"exclude_seen", exclude_seen},
                           {"model", metrics.to_json()},
                           {"eval_seconds", seconds}};
  if (print) {
    const std::string setting = split.protocol + ", full ranking over " +
                                std::to_string(dataset.catalog.size()) + " items, " +
                                (exclude_seen ? "seen items excluded" : "seen items kept");
    std::printf("%s", metrics.table("model, test (" + setting + ")").c_str());
    std::printf("  evaluated in %.3f s\n", seconds);
  }
  return report;
}

nlohmann::json evaluate_and_print(const DualEncoder& model, const Dataset& dataset,
                                  const Split& split, bool exclude_seen, bool baselines,
                                  int threads, bool print) {
  return evaluate_and_print(model_scorer(model, dataset), dataset, split, exclude_seen, baselines,
                            threads, print);
}

nlohmann::json evaluate_and_print(const CaseScorer& scorer, const Dataset& dataset,
                                  const Split& split, bool exclude_seen, bool baselines,
                                  int threads, bool print) {
  ThreadPool pool(threads > 0 ? threads : default_thread_count());
  EvalOptions options;
  options.exclude_seen = exclude_seen;
  auto started = std::chrono::steady_clock::now();
  auto metrics = evaluate(scorer, dataset, split.test, options, pool);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto report = report_test_metrics(metrics, dataset, split, exclude_seen, seconds, print);
  if (baselines) {
    auto popularity = training_popularity(dataset, split);
    auto pop = evaluate(popularity_scorer(popularity), dataset, split.test, options, pool);
    auto markov_model = train_markov(dataset, split);
    auto markov =
        evaluate(markov_scorer(markov_model, dataset), dataset, split.test, options, pool);
    report["popularity"] = pop.to_json();
    report["markov"] = markov.to_json();
    if (print) {
      std::printf("\n%-22s %8s %8s %8s %8s\n", "test, same protocol", "HR@10", "NDCG@10", "MRR",
                  "cov@10");
      auto row = [](const char* name, const RankingMetrics& m) {
        std::printf("%-22s %8.4f %8.4f %8.4f %8.4f\n", name, m.hit_rate(10), m.ndcg(10), m.mrr(),
                    m.coverage());
      };
      row("model", metrics);
      row("most popular", pop);
      row("first-order Markov", markov);
    }
  }
  return report;
}

}  // namespace pocketrec::cli
