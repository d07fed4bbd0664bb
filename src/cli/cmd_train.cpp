#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/pipeline.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/thread_pool.hpp"
#include "model/model_file.hpp"
#include "train/collective.hpp"
#include "train/fine_tune.hpp"
#include "train/shard_streams.hpp"

namespace pocketrec::cli {
namespace {

// The model `train --init` starts from: `loaded`, re-indexed for the dataset's catalog (which
// becomes the grown one), with the dropout rates the command gives (`resolved`: its options).
std::unique_ptr<DualEncoder> continue_from(LoadedModel& loaded, const std::string& path,
                                           bool drop_vanished, const ModelArgs& args,
                                           const ModelConfig& resolved, Dataset& dataset) {
  GrownModel grown = grow_model(*loaded.model, loaded.catalog, dataset.catalog, drop_vanished);
  const CatalogChange& c = grown.change;
  std::fprintf(stderr,
               "fine-tuning %s: %zu items kept, %zu added (started from their genre peers), "
               "%zu no longer in the data (%s)\n",
               path.c_str(), c.kept, c.added, c.vanished, c.vanished_dropped ? "dropped" : "kept");
  const size_t dropped = align_to_catalog(dataset, grown.catalog, 1);
  if (dropped) {
    throw Error("--init: " + std::to_string(dropped) + " events fell outside the grown catalog");
  }
  if (!args.dropout_given()) return std::move(grown.model);
  ModelConfig config = grown.model->config();
  const ModelConfig& rates = resolved;
  const bool all = args.dropout->count() > 0;
  if (all || args.embedding_dropout->count())
    config.attention.embedding_dropout = rates.attention.embedding_dropout;
  if (all || args.attention_dropout->count())
    config.attention.attention_dropout = rates.attention.attention_dropout;
  if (all || args.residual_dropout->count())
    config.attention.residual_dropout = rates.attention.residual_dropout;
  auto model = std::make_unique<DualEncoder>(config);
  model->parameters() = grown.model->parameters();
  return model;
}

}  // namespace

void register_train(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train",
      "Train a dual encoder, keep the best epoch (validation NDCG@10), report test metrics");
  auto data = std::make_shared<DataArgs>();
  auto model = std::make_shared<ModelArgs>();
  auto out = std::make_shared<std::string>();
  auto checkpoint = std::make_shared<std::string>();
  auto report = std::make_shared<std::string>();
  auto resume = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  auto init = std::make_shared<std::string>();
  auto drop_vanished = std::make_shared<bool>(false);
  auto max_batches = std::make_shared<size_t>(0);
  data->add_options(*command);
  model->add_options(*command);
  command->add_option("--out,-o", *out, "Model file to write (the best epoch)")->required();
  command->add_option("--checkpoint", *checkpoint,
                      "Resumable training state (default: OUT.ckpt), written after every epoch");
  command->add_flag("--resume", *resume, "Continue from the checkpoint if it exists");
  command->add_option("--report", *report, "Write epochs and test metrics as JSON here");
  command->add_flag("--quiet", *quiet, "No progress bar");
  command->add_flag("--force", *force, "Write --out even when its name does not end in .pkrec");
  command
      ->add_option("--init", *init,
                   "Fine-tune: continue training this model (.pkrec) on --data; its catalog "
                   "grows by the data's new items, its architecture stays")
      ->check(CLI::ExistingFile);
  command->add_flag("--drop-vanished", *drop_vanished,
                    "With --init: drop the model's items that --data no longer has (default: "
                    "keep them)");
  command->add_option("--max-batches", *max_batches,
                      "Stop after this many batches and report the training speed (and, across "
                      "ranks, the transport's bytes and time per step); for speed measurements");
  command->callback([=] {
    if (*drop_vanished && init->empty()) throw Error("--drop-vanished needs --init");
    std::optional<LoadedModel> initial;
    if (!init->empty()) {
      if (auto option = model->architecture_option(); !option.empty()) {
        throw Error(option + " changes the model's architecture, which --init keeps: drop it");
      }
      initial = load_model(*init);
      model->default_encoder = initial->model->config().encoder;
    }
    ModelConfig model_config;
    TrainConfig train_config;
    model->resolve(model_config, train_config);
    train_config.validate();
    const std::string checkpoint_path = checkpoint->empty() ? *out + ".ckpt" : *checkpoint;
    const std::vector<std::string> inputs = {data->path, model->input_config_value, *init};
    check_output_path({*out, "--out", {".pkrec"}, "a .pkrec model (export makes .tflite)"}, inputs,
                      *force);
    check_output_path({checkpoint_path, "--checkpoint", {}, "a checkpoint"}, inputs, *force);
    if (checkpoint_path == *out) throw Error("--checkpoint and --out must be different files");
    if (!report->empty()) {
      check_output_path({*report, "--report", {".json"}, "a JSON report"}, inputs, *force);
    }
    Collective* collective = training_collective();
    const int rank = collective ? collective->rank() : 0;
    const int ranks = collective ? collective->size() : 1;
    // --shard-batches under mpirun: each rank reads only its part of the shards.
    if (train_config.shard_batches) {
      if (!init->empty()) throw Error("--shard-batches does not combine with --init");
      if (train_config.split != "leave-one-out") {
        throw Error("--shard-batches needs --split leave-one-out (the others cut across users)");
      }
      data->part = {rank, ranks};
    }
    auto dataset = load_dataset_reporting(*data);
    std::unique_ptr<DualEncoder> start;
    if (initial)
      start = continue_from(*initial, *init, *drop_vanished, *model, model_config, dataset);
    auto split = make_split(dataset, train_config.split, train_config.seed);
    // Fine-tuning keeps the model's shape: the recipe only picks the training settings.
    ModelConfig chosen = start ? start->config() : model_config;
    std::optional<DataProfile> profile;
    if (train_config.shard_batches) profile = global_profile(dataset, split, collective);
    model->adapt_to_data(dataset, split, chosen, train_config, profile ? &*profile : nullptr);
    if (!start) model_config = chosen;
    TrainOptions options;
    options.model_out = *out;
    options.checkpoint = checkpoint_path;
    options.resume = *resume;
    options.max_batches = *max_batches;
    options.collective = collective;
    // Across ranks, rank 0 alone reports and writes files; the others train quietly.
    options.progress = !*quiet && rank == 0;
    if (collective && rank == 0) {
      std::fprintf(stderr, "training across %d MPI ranks x %d threads\n", collective->size(),
                   train_config.threads > 0 ? train_config.threads : default_thread_count());
    }
    auto trained =
        train_model(dataset, split, model_config, train_config, options, std::move(start));
    const auto& result = trained.result;
    auto print_transport = [&] {
      if (collective && result.steps > 0) {
        std::printf("across %d ranks: %.0f bytes sent a step by rank 0, %.3f ms a step in MPI\n",
                    collective->size(), static_cast<double>(result.bytes_sent) / result.steps,
                    1000.0 * result.transport_seconds / result.steps);
      }
    };
    if (result.interrupted && *max_batches > 0 && result.batches == *max_batches && rank == 0) {
      std::printf("stopped after %zu batches: %.0f targets/s, %.1f ms a batch, on %s%d threads\n",
                  result.batches, result.batch_targets / std::max(result.batch_seconds, 1e-9),
                  1000.0 * result.batch_seconds / result.batches,
                  collective ? (std::to_string(collective->size()) + " ranks x ").c_str() : "",
                  train_config.threads > 0 ? train_config.threads : default_thread_count());
      print_transport();
      std::printf("peak memory: %.0f MiB\n", peak_memory_mib());
    }
    if (result.interrupted) return;
    // With --shard-batches every rank holds test users: all evaluate, rank 0 reports.
    std::optional<RankingMetrics> sharded_test;
    double sharded_seconds = 0;
    if (train_config.shard_batches) {
      ThreadPool pool(train_config.threads > 0 ? train_config.threads : default_thread_count());
      const auto started = std::chrono::steady_clock::now();
      sharded_test = evaluate_by_shard(model_scorer(*trained.model, dataset), dataset, split.test,
                                       {}, pool, collective);
      sharded_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    if (rank != 0) return;
    std::printf("trained %zu epochs in %.1f s (best epoch %d, validation NDCG@10 %.4f)%s\n",
                result.epochs.size(), trained.seconds, result.best_epoch, result.best_ndcg10,
                result.early_stopped   ? ", stopped early"
                : result.schedule_done ? ", end of the learning-rate schedule"
                : result.out_of_time   ? ", --max-minutes reached"
                                       : "");
    // Medians: robust to an epoch slowed by other work on the machine.
    std::vector<double> rates, seconds;
    for (const auto& e : result.epochs) {
      rates.push_back(e.examples_per_second);
      seconds.push_back(e.seconds);
    }
    auto median = [](std::vector<double> v) {
      if (v.empty()) return 0.0;
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const int threads = train_config.threads > 0 ? train_config.threads : default_thread_count();
    std::printf("training speed: %.0f examples/s, %.1f s per epoch (medians) on %s%d threads\n",
                median(rates), median(seconds),
                collective ? (std::to_string(collective->size()) + " ranks x ").c_str() : "",
                threads);
    std::printf("peak memory: %.0f MiB\n", peak_memory_mib());
    print_transport();
    std::printf("model written to %s\n\n", out->c_str());
    nlohmann::json json = sharded_test ? report_test_metrics(*sharded_test, dataset, split, true,
                                                             sharded_seconds, true)
                                       : evaluate_and_print(*trained.model, dataset, split, true,
                                                            false, train_config.threads, true);
    if (!report->empty()) {
      auto epochs = nlohmann::json::array();
      for (const auto& e : result.epochs) {
        epochs.push_back({{"epoch", e.epoch},
                          {"loss", e.loss},
                          {"seconds", e.seconds},
                          {"examples_per_second", e.examples_per_second},
                          {"valid_hr@10", e.valid_hr10},
                          {"valid_ndcg@10", e.valid_ndcg10}});
      }
      json["epochs"] = epochs;
      json["model_config"] = trained.model->config();
      json["train_config"] = train_config;
      json["train_seconds"] = trained.seconds;
      json["schedule_epochs"] = result.schedule_epochs;
      write_file_atomically(*report, json.dump(2) + "\n");
    }
  });
}

}  // namespace pocketrec::cli
