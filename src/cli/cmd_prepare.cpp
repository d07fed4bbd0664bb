#include <cstdio>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/output_paths.hpp"

namespace pocketrec::cli {

void register_prepare(CLI::App& app) {
  auto* command = app.add_subcommand(
      "prepare",
      "Read an interaction log, report what was read and skipped, write a prepared dataset");
  auto args = std::make_shared<DataArgs>();
  auto out = std::make_shared<std::string>();
  command->add_option("input", args->path, "Dataset folder or file")->required();
  args->add_options(*command, false);
  auto force = std::make_shared<bool>(false);
  command->add_option("--out,-o", *out, "Write the prepared dataset (catalog + timelines) here");
  command->add_flag("--force", *force,
                    "Write --out into a folder that holds files other than a prepared dataset");
  command->callback([args, out, force] {
    if (!out->empty()) {
      check_output_path({*out, "--out", {}, "a prepared dataset", true}, {args->path}, *force);
      check_prepared_folder(*out, *force);
    }
    auto dataset = load_dataset_reporting(*args);
    size_t shortest = SIZE_MAX, longest = 0;
    for (const auto& t : dataset.timelines) {
      shortest = std::min(shortest, t.items.size());
      longest = std::max(longest, t.items.size());
    }
    std::printf("format        %s\nusers         %zu\nitems         %zu\ninteractions  %zu\n",
                dataset.format.c_str(), dataset.timelines.size(), dataset.catalog.size(),
                dataset.interactions());
    std::printf("timeline      %zu..%zu items, mean %.1f\n", shortest, longest,
                static_cast<double>(dataset.interactions()) / dataset.timelines.size());
    std::printf("skipped       %zu malformed rows\n", dataset.report.rows_skipped());
    if (!out->empty()) {
      write_prepared_dataset(dataset, *out);
      std::printf("wrote         %s\n", out->c_str());
    }
  });
}

}  // namespace pocketrec::cli
