#include <cstdio>
#include <filesystem>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "core/error.hpp"
#include "data/stream_prepare.hpp"

namespace pocketrec::cli {

void register_prepare(CLI::App& app) {
  auto* command = app.add_subcommand(
      "prepare",
      "Read an interaction log of any size in bounded memory, report what was read and skipped, "
      "write a sharded prepared dataset");
  auto args = std::make_shared<DataArgs>();
  auto out = std::make_shared<std::string>();
  command->add_option("input", args->path, "Dataset folder or file")->required();
  args->add_options(*command, false);
  auto force = std::make_shared<bool>(false);
  auto shards = std::make_shared<size_t>(1);
  auto memory_mb = std::make_shared<double>(1024);
  auto tsv = std::make_shared<bool>(false);
  command->add_option("--out,-o", *out, "Write the prepared dataset (catalog + shards) here");
  command->add_flag("--force", *force,
                    "Write --out into a folder that holds files other than a prepared dataset");
  command
      ->add_option("--shards", *shards,
                   "Split the users into this many shards, balanced by interactions (one or more "
                   "per rank of `mpirun -np N pocketrec train`)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  command
      ->add_option("--memory-mb", *memory_mb,
                   "Sort buffer in MiB; a larger log is sorted in runs on disk (in --out)")
      ->check(CLI::Range(0.01, 1048576.0))
      ->capture_default_str();
  command->add_flag("--tsv", *tsv,
                    "Also write events.tsv (user, item, time, rating; each user's events in time "
                    "order) to read or check; training reads the shards");
  command->callback([args, out, force, shards, memory_mb, tsv] {
    if (args->format == "auto") detect_format(args->path);  // a missing input fails first
    std::error_code ec;
    const bool existed = !out->empty() && std::filesystem::exists(*out, ec);
    if (!out->empty()) {
      check_output_path({*out, "--out", {}, "a prepared dataset", true}, {args->path}, *force);
      check_prepared_folder(*out, *force);
    }
    StreamPrepareOptions options;
    options.shards = *shards;
    options.memory_bytes = static_cast<size_t>(*memory_mb * 1048576.0);
    options.events_tsv = *tsv;
    StreamPrepareResult result;
    try {
      result = prepare_streaming(args->path, args->load_options(), *out, options);
    } catch (...) {
      if (!existed && !out->empty()) std::filesystem::remove_all(*out, ec);
      throw;
    }
    std::fprintf(stderr, "%s\n", result.report.summary().c_str());
    std::printf("format        %s\nusers         %zu\nitems         %zu\ninteractions  %zu\n",
                result.format.c_str(), result.users, result.items, result.interactions);
    std::printf("timeline      %zu..%zu items, mean %.1f\n", result.shortest, result.longest,
                static_cast<double>(result.interactions) / static_cast<double>(result.users));
    std::printf("skipped       %zu malformed rows\n", result.report.rows_skipped());
    std::printf("sorted        %zu events in %zu run%s on disk\n", result.events_read, result.runs,
                result.runs == 1 ? "" : "s");
    if (!out->empty()) {
      std::printf("wrote         %s (%zu shard%s)\n", out->c_str(), *shards,
                  *shards == 1 ? "" : "s");
    }
  });
}

}  // namespace pocketrec::cli
