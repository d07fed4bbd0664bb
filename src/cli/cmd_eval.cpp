#include <cstdio>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "eval/tflite_scorer.hpp"
#include "model/model_file.hpp"

namespace pocketrec::cli {

void register_eval(CLI::App& app) {
  auto* command = app.add_subcommand(
      "eval", "Full-ranking HR@K, NDCG@K, MRR and coverage of a model on a dataset's test cases");
  auto data = std::make_shared<DataArgs>();
  auto model_path = std::make_shared<std::string>();
  auto split_name = std::make_shared<std::string>("leave-one-out");
  auto keep_seen = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  auto baselines = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  auto seed = std::make_shared<uint64_t>(1);
  data->add_options(*command);
  command->add_option("--model,-m", *model_path, "Model file")->required();
  command->add_option("--split", *split_name, "leave-one-out, temporal or random")
      ->capture_default_str();
  command->add_option("--seed", *seed, "Seed of the random split")->capture_default_str();
  command->add_flag("--keep-seen", *keep_seen, "Do not exclude items already in the history");
  command->add_flag("--baselines", *baselines, "Also score most-popular and first-order Markov");
  command->add_flag("--json", *json, "Print JSON instead of tables");
  command->add_option("--threads", *threads, "Threads (default: all cores)")
      ->check(CLI::Range(0, TrainConfig::kMaxThreads));
  command->callback([=] {
    if (is_tflite_file(*model_path)) {
      auto recommender = Recommender::load_file(*model_path);
      Catalog catalog;
      for (uint32_t i = 0; i < recommender->item_count(); ++i) {
        const Item& item = recommender->item(i);
        catalog.add({item.id, item.title, item.genres, 0, item.count});
      }
      auto dataset = load_dataset_reporting(*data);
      size_t dropped = align_to_catalog(dataset, catalog, data->min_length);
      if (dropped) {
        std::fprintf(stderr, "%zu interactions with items the model does not know were dropped\n",
                     dropped);
      }
      const auto& summary = recommender->summary();
      if (!summary.fast_path && static_cast<size_t>(summary.graph_top_k) < catalog.size()) {
        std::fprintf(stderr,
                     "note: this graph only returns its top %d of %zu items; targets ranked below "
                     "count as misses\n",
                     summary.graph_top_k, catalog.size());
      }
      auto split = make_split(dataset, *split_name, *seed);
      auto report = evaluate_and_print(tflite_scorer(recommender, dataset), dataset, split,
                                       !*keep_seen, *baselines, *threads, !*json);
      if (*json) std::printf("%s\n", report.dump(2).c_str());
      return;
    }
    auto loaded = load_model(*model_path);
    auto dataset = load_dataset_reporting(*data);
    size_t dropped = align_to_catalog(dataset, loaded.catalog, data->min_length);
    if (dropped) {
      std::fprintf(stderr, "%zu interactions with items the model does not know were dropped\n",
                   dropped);
    }
    auto split = make_split(dataset, *split_name, *seed);
    auto report = evaluate_and_print(*loaded.model, dataset, split, !*keep_seen, *baselines,
                                     *threads, !*json);
    if (*json) std::printf("%s\n", report.dump(2).c_str());
  });
}

}  // namespace pocketrec::cli
