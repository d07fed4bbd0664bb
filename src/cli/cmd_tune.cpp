// `pocketrec tune`: random search over the hyperparameters that matter, judged on validation
// NDCG@10, within a wall-clock budget; writes the best model, its configuration and the trials.
#include <cstdio>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "model/model_file.hpp"
#include "train/tune.hpp"

namespace pocketrec::cli {
namespace {

nlohmann::json trial_json(const Trial& t) {
  return {
      {"trial", t.index},        {"valid_hr@10", t.valid_hr10}, {"valid_ndcg@10", t.valid_ndcg10},
      {"epochs", t.epochs},      {"best_epoch", t.best_epoch},  {"seconds", t.seconds},
      {"model_config", t.model}, {"train_config", t.train}};
}

void print_trial(const Trial& t) {
  const auto& a = t.model.attention;
  std::printf("%5d  %8.5f  %6d  %5d  %4d  %5d  %7.1e  %6.3g  %7d  %6.4f  %6.4f  %6.0f\n", t.index,
              t.train.learning_rate, t.train.batch_size, t.model.context_length,
              t.model.embedding_dim, t.model.encoder == EncoderKind::kAttention ? a.blocks : 0,
              t.train.weight_decay,
              t.model.encoder == EncoderKind::kAttention ? a.residual_dropout : 0.0f, t.epochs,
              t.valid_hr10, t.valid_ndcg10, t.seconds);
  std::fflush(stdout);
}

}  // namespace

void register_tune(CLI::App& app) {
  auto* command = app.add_subcommand(
      "tune",
      "Search learning rate, batch, L, width, dropout and weight decay on validation NDCG@10 "
      "within a time budget; write the best model, its configuration and every trial");
  auto data = std::make_shared<DataArgs>();
  auto model = std::make_shared<ModelArgs>();
  auto out = std::make_shared<std::string>();
  auto report = std::make_shared<std::string>();
  auto budget = std::make_shared<std::string>("30m");
  auto trials = std::make_shared<int>(8);
  data->add_options(*command);
  model->add_options(*command);
  command->add_option("--budget", *budget, "Wall-clock budget, e.g. 30m, 90s, 2h")
      ->capture_default_str();
  command->add_option("--trials", *trials, "Configurations to try (the first is the one given)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  command->add_option("--out,-o", *out, "Best model to write")->required();
  command->add_option("--report", *report,
                      "Trials and the best configuration as JSON (default: OUT.tune.json)");
  command->callback([=] {
    const double minutes = parse_budget_minutes(*budget);
    ModelConfig model_config;
    TrainConfig train_config;
    model->resolve(model_config, train_config);
    train_config.validate();
    const std::string report_path = report->empty() ? *out + ".tune.json" : *report;
    const std::vector<std::string> inputs = {data->path, model->input_config_value};
    check_output_path({*out, "--out", {".pkrec"}, "a .pkrec model"}, inputs, false);
    check_output_path({report_path, "--report", {".json"}, "a JSON report"}, inputs, false);
    auto dataset = load_dataset_reporting(*data);
    auto split = make_split(dataset, train_config.split, train_config.seed);
    model->adapt_to_data(dataset, split, model_config, train_config);
    model_config.items = static_cast<int>(dataset.catalog.size());
    if (model_config.has_features()) {
      throw Error("tune searches item-id models; drop --features / --input-config");
    }
    TuneOptions options;
    options.budget_minutes = minutes;
    options.trials = *trials;
    options.seed = train_config.seed;
    std::fprintf(stderr, "tune: %d trials within %.1f minutes, judged on validation NDCG@10\n",
                 *trials, minutes);
    std::printf(
        "trial        lr   batch      L   dim  blocks    decay  dropout   epochs  "
        "HR@10   NDCG@10  seconds\n");
    ProgressBar bar("tune", static_cast<uint64_t>(*trials), "trials");
    int done = 0;
    auto result = tune(dataset, split, model_config, train_config, options, [&](const Trial& t) {
      print_trial(t);
      bar.update(static_cast<uint64_t>(++done));
    });
    if (result.best < 0 || !result.model) throw Error("tune: no trial finished");
    const Trial& best = result.trials[result.best];
    bar.finish("best: trial " + std::to_string(best.index));
    save_model(*out, *result.model, dataset.catalog);
    auto json = nlohmann::json::object();
    json["budget_minutes"] = minutes;
    json["best"] = trial_json(best);
    json["trials"] = nlohmann::json::array();
    for (const auto& t : result.trials) json["trials"].push_back(trial_json(t));
    write_file_atomically(report_path, json.dump(2) + "\n");
    std::printf("best: trial %d, validation NDCG@10 %.4f (HR@10 %.4f); model %s, trials %s\n",
                best.index, best.valid_ndcg10, best.valid_hr10, out->c_str(), report_path.c_str());
  });
}

}  // namespace pocketrec::cli
