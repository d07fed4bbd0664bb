// bench: latency and throughput of the runtime on real histories (or a synthetic catalog of any
// size), the way an app would call it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/atomic_file.hpp"
#include "core/memory.hpp"
#include "export/tflite_export.hpp"
#include "model/model_file.hpp"
#include "pocketrec/recommender.hpp"
#include "runtime/score_table.hpp"

namespace pocketrec::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

std::shared_ptr<const Recommender> synthetic(int items, int dim, int length, bool int8,
                                             const std::string& encoder,
                                             const ModelLoadOptions& load_options,
                                             const std::string& save_path) {
  ModelConfig config;
  config.encoder = parse_encoder(encoder);
  config.rnn_units = dim;
  config.items = items;
  config.embedding_dim = dim;
  config.output_dim = dim;
  config.context_length = length;
  DualEncoder model(config);
  model.initialize(1);
  Catalog catalog;
  for (int i = 1; i <= items; ++i) catalog.add({std::to_string(i), "", {}, 0, 0});
  ExportOptions options;
  options.quantize_int8 = int8;
  ExportResult r = export_tflite(model, catalog, options);
  if (!save_path.empty()) {
    write_file_atomically(save_path, std::string_view(reinterpret_cast<const char*>(r.bytes.data()),
                                                      r.bytes.size()));
  }
  return Recommender::load_buffer(r.bytes.data(), r.bytes.size(), "synthetic", load_options);
}

}  // namespace

void register_bench(CLI::App& app) {
  auto* command = app.add_subcommand(
      "bench", "Runtime latency (p50/p90/p99) and throughput on real or synthetic histories");
  auto data = std::make_shared<DataArgs>();
  auto model_path = std::make_shared<std::string>();
  auto k = std::make_shared<int>(10);
  auto queries = std::make_shared<int>(20000);
  auto threads = std::make_shared<int>(2);
  auto int8 = std::make_shared<bool>(false);
  auto synthetic_items = std::make_shared<int>(0);
  auto dim = std::make_shared<int>(32);
  auto json = std::make_shared<bool>(false);
  auto encoder = std::make_shared<std::string>("bow");
  auto save_model = std::make_shared<std::string>();
  data->add_options(*command, false);
  command->add_option("--data", data->path, "Dataset whose users' histories are the queries");
  command->add_option("--model,-m", *model_path, ".tflite, or .pkrec (exported in memory)");
  command->add_option("-k,--top-k", *k, "Results per query")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  command->add_option("--queries", *queries, "Timed single queries")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  command->add_option("--threads", *threads, "Threads for the batch run")
      ->capture_default_str()
      ->check(CLI::Range(1, TrainConfig::kMaxThreads));
  auto* int8_flag =
      command->add_flag("--int8", *int8, "Export .pkrec / synthetic models with int8 tables");
  auto* synthetic_option =
      command->add_option("--synthetic-items", *synthetic_items,
                          "No model or data: a random model (--encoder) over this many items");
  synthetic_option->check(CLI::Range(1, 100000000));
  auto* dim_option = command->add_option("--dim", *dim, "Dimension of the synthetic model")
                         ->capture_default_str()
                         ->check(CLI::Range(1, 4096));
  auto* encoder_option =
      command->add_option("--encoder", *encoder, "Encoder of the synthetic model (as exported)")
          ->check(CLI::IsMember({"bow", "cnn", "gru", "lstm"}))
          ->capture_default_str();
  auto* save_option = command->add_option(
      "--save-model", *save_model,
      "Also write the synthetic model's .tflite here (to measure it elsewhere)");
  command->add_flag("--json", *json, "Print JSON");
  auto no_prefilter = std::make_shared<bool>(false);
  auto interpreted = std::make_shared<bool>(false);
  command->add_flag("--no-fused-encoder", *interpreted,
                    "Run the encoder through the interpreter even where a fused one matches");
  command->add_flag("--no-prefilter", *no_prefilter,
                    "Score every row of every query (no exact 8-bit prefilter or 4-bit filter)");
  command->callback([=] {
    // An option that does not apply would be silently ignored, and the figures misread.
    if (synthetic_option->count()) {
      if (!model_path->empty() || !data->path.empty()) {
        throw Error("--synthetic-items benchmarks a random model: drop --model and --data");
      }
    } else {
      for (const auto* option : {dim_option, encoder_option, save_option}) {
        if (option->count()) {
          throw Error(option->get_name() + " describes the --synthetic-items model only");
        }
      }
      if (int8_flag->count() && !model_path->empty() && is_tflite_file(*model_path)) {
        throw Error("--int8 quantizes a .pkrec as it is exported; " + *model_path +
                    " is a .tflite and runs as it is");
      }
    }
    ModelLoadOptions load_options;
    load_options.prefilter = !*no_prefilter;
    load_options.fused_encoders = !*interpreted;
    std::shared_ptr<const Recommender> rec;
    std::vector<std::vector<uint32_t>> histories;
    if (*synthetic_items > 0) {
      rec = synthetic(*synthetic_items, *dim, 10, *int8, *encoder, load_options, *save_model);
      std::mt19937 rng(7);
      for (int u = 0; u < 2000; ++u) {
        std::vector<uint32_t> h(1 + u % 10);
        for (auto& item : h) item = rng() % static_cast<uint32_t>(*synthetic_items);
        histories.push_back(h);
      }
    } else {
      if (model_path->empty() || data->path.empty()) {
        throw Error("bench needs --model and --data, or --synthetic-items");
      }
      rec = load_recommender(*model_path, *int8, load_options);
      auto dataset = load_dataset_reporting(*data);
      for (const auto& timeline : dataset.timelines) {
        std::vector<uint32_t> h;
        // Everything but the last item (the leave-one-out test target), newest last.
        for (size_t p = 0; p + 1 < timeline.items.size(); ++p) {
          if (auto item = rec->find(dataset.catalog.item(timeline.items[p]).id)) h.push_back(*item);
        }
        if (!h.empty()) histories.push_back(std::move(h));
      }
      if (histories.empty()) throw Error("no history of the dataset has an item the model knows");
    }
    const auto& s = rec->summary();
    Session session(rec);
    Query q;
    q.k = *k;
    std::vector<Result> out;
    for (size_t i = 0; i < std::min<size_t>(histories.size(), 500); ++i) {  // warm-up
      q.history = histories[i];
      session.recommend(q, out);
    }
    std::vector<double> micros;
    micros.reserve(static_cast<size_t>(*queries));
    auto all_start = Clock::now();
    for (int i = 0; i < *queries; ++i) {
      q.history = histories[static_cast<size_t>(i) % histories.size()];
      auto t0 = Clock::now();
      session.recommend(q, out);
      micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    double single_seconds = std::chrono::duration<double>(Clock::now() - all_start).count();
    // The encoding share: the same queries, stopped at the user vector.
    std::vector<double> encode_micros;
    if (s.fast_path) {
      encode_micros.reserve(micros.size());
      for (int i = 0; i < *queries; ++i) {
        const auto& h = histories[static_cast<size_t>(i) % histories.size()];
        auto t0 = Clock::now();
        session.encode(h);
        encode_micros.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    }
    const double encode_p50 = percentile(encode_micros, 0.5);
    std::vector<std::vector<Result>> batch_out;
    auto batch_start = Clock::now();
    recommend_batch(rec, histories, q, *threads, batch_out);
    double batch_seconds = std::chrono::duration<double>(Clock::now() - batch_start).count();

    double p50 = percentile(micros, 0.5), p90 = percentile(micros, 0.9),
           p99 = percentile(micros, 0.99);
    // The single queries' path through the table (warm-up included).
    const SessionStats stats = session.stats();
    const auto per_query = [](size_t rows, size_t count) {
      return count ? static_cast<double>(rows) / static_cast<double>(count) : 0.0;
    };
    if (*json) {
      nlohmann::json j = {
          {"cpu", cpu_name()},
          {"simd", runtime::simd_target()},
          {"items", s.items},
          {"dim", s.dim},
          {"int8", s.quantized},
          {"prefilter", s.prefilter},
          {"fused_encoder", s.fused_encoder},
          {"table_bytes", s.table_bytes},
          {"encoder", s.encoder},
          {"k", *k},
          {"p50_us", p50},
          {"p90_us", p90},
          {"p99_us", p99},
          {"qps_one_thread", *queries / single_seconds},
          {"batch_users", histories.size()},
          {"batch_threads", *threads},
          {"batch_seconds", batch_seconds},
          {"prefiltered_queries", stats.prefiltered_queries},
          {"prefilter_exact_rows_per_query",
           per_query(stats.prefilter_exact_rows, stats.prefiltered_queries)},
          {"two_part_queries", stats.two_part_queries},
          {"full_queries", stats.full_queries},
          {"coarse_queries", stats.coarse_queries},
          {"coarse_exact_rows_per_query", per_query(stats.coarse_exact_rows, stats.coarse_queries)},
          {"resident_mib", resident_memory_mib()},
          {"peak_mib", peak_memory_mib()}};
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("machine: %s, SIMD target %s\n", cpu_name().c_str(),
                runtime::simd_target().c_str());
    std::string path = s.fast_path ? "fast path" : "whole graph (no fast path)";
    if (s.fused_encoder) path += ", fused " + s.fused_encoder_name + " encoder";
    if (s.prefilter) path += s.quantized ? ", exact 4-bit filter" : ", exact 8-bit prefilter";
    std::printf("model: %s encoder, %zu items x %d dims, %s table (%.0f KB), L = %d, %s\n",
                s.encoder.c_str(), s.items, s.dim, s.quantized ? "int8" : "float32",
                s.table_bytes / 1024.0, s.context_length, path.c_str());
    std::printf(
        "single query, 1 thread, top-%d, history excluded (%d queries over %zu histories):\n", *k,
        *queries, histories.size());
    std::printf("  p50 %.2f us   p90 %.2f us   p99 %.2f us   %.0f queries/s\n", p50, p90, p99,
                *queries / single_seconds);
    if (s.fast_path) {
      std::printf("  of which encoding the history (up to the user vector): p50 %.2f us\n",
                  encode_p50);
    }
    if (stats.prefiltered_queries > 0) {
      std::printf(
          "  prefilter: %zu of %zu queries, %.1f rows scored exactly a query, the user in two "
          "parts in %zu\n",
          stats.prefiltered_queries, stats.prefiltered_queries + stats.full_queries,
          per_query(stats.prefilter_exact_rows, stats.prefiltered_queries), stats.two_part_queries);
    }
    if (stats.coarse_queries > 0) {
      std::printf("  4-bit filter: %zu queries, %.0f rows scored exactly a query\n",
                  stats.coarse_queries, per_query(stats.coarse_exact_rows, stats.coarse_queries));
    }
    std::printf("batch: %zu histories on %d threads in %.3f s (%.0f queries/s)\n", histories.size(),
                *threads, batch_seconds, histories.size() / batch_seconds);
    std::printf("memory: %.1f MiB resident, %.1f MiB peak\n", resident_memory_mib(),
                peak_memory_mib());
  });
}

}  // namespace pocketrec::cli
