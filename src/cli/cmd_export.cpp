#include <cstdio>
#include <filesystem>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "export/tflite_export.hpp"
#include "model/model_file.hpp"

namespace pocketrec::cli {

void register_export(CLI::App& app) {
  auto* command = app.add_subcommand(
      "export", "Write a trained model as a .tflite file the official TFLite runtime runs");
  auto model_path = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto top_k = std::make_shared<int>(100);
  auto io = std::make_shared<std::string>("pocketrec");
  auto quantize = std::make_shared<std::string>("none");
  auto force = std::make_shared<bool>(false);
  command->add_option("--model,-m", *model_path, "Trained model (.pkrec)")->required();
  command->add_option("--out,-o", *out, "Output .tflite file")->required();
  command->add_option("--top-k", *top_k, "Items the graph returns")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  command
      ->add_option("--io", *io,
                   "pocketrec: input 'context', raw scores; reference: the starter models' layout "
                   "for the Android sample (sigmoid scores, plus config.json and "
                   "sorted_movie_vocab.json beside the model)")
      ->capture_default_str()
      ->check(CLI::IsMember({"pocketrec", "reference"}));
  command->add_option("--quantize", *quantize, "none, or int8: int8 tables with per-row scales")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "int8"}));
  command->add_flag("--force", *force, "Write --out even when its name does not end in .tflite");
  command->callback([=] {
    check_output_path({*out, "--out", {".tflite"}, "a .tflite model"}, {*model_path}, *force);
    if (*io == "reference") {
      const auto dir = std::filesystem::path(*out).parent_path();
      for (const char* name : {"config.json", "sorted_movie_vocab.json"}) {
        check_output_path({(dir / name).string(), "--io reference", {}, name}, {*model_path}, true);
      }
    }
    if (is_tflite_file(*model_path)) {
      throw Error(*model_path + " is already a .tflite model; export reads a .pkrec from train");
    }
    auto loaded = load_model(*model_path);
    ExportOptions options;
    options.top_k = *top_k;
    options.reference_io = *io == "reference";
    options.quantize_int8 = *quantize == "int8";
    ExportResult result = export_tflite(*loaded.model, loaded.catalog, options);
    write_file_atomically(*out, std::string(result.bytes.begin(), result.bytes.end()));
    std::printf("wrote %s: %s encoder, %zu bytes, %d-row tables (%s ids), top %d%s\n", out->c_str(),
                std::string(name(loaded.model->config().encoder)).c_str(), result.bytes.size(),
                result.vocabulary, result.external_ids ? "external" : "catalog-row", result.top_k,
                options.quantize_int8 ? ", int8 weights" : "");
    if (result.top_k < *top_k) {
      std::printf("note: --top-k %d clamped to the %d items of the catalog\n", *top_k,
                  result.top_k);
    }
    if (options.reference_io) {
      auto dir = std::filesystem::path(*out).parent_path();
      auto name = std::filesystem::path(*out).filename().string();
      write_file_atomically(
          (dir / "config.json").string(),
          reference_app_config(name, result, loaded.model->config().context_length));
      write_file_atomically((dir / "sorted_movie_vocab.json").string(),
                            reference_movie_vocab(loaded.catalog));
      std::printf("wrote config.json and sorted_movie_vocab.json beside it for the Android app\n");
      if (loaded.model->config().layout != HistoryLayout::kOldestFirst &&
          loaded.model->config().encoder == EncoderKind::kCnn) {
        std::printf(
            "warning: this CNN was trained on newest-last histories but the Android app sends "
            "oldest-first ones; train with --layout oldest-first for the app\n");
      }
    }
  });
}

}  // namespace pocketrec::cli
