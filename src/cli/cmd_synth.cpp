#include <cstdio>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "data/synth.hpp"

namespace pocketrec::cli {

void register_synth(CLI::App& app) {
  auto* command = app.add_subcommand(
      "synth", "Write a deterministic MovieLens-shaped synthetic dataset (MovieLens 1M layout)");
  auto options = std::make_shared<SynthOptions>();
  auto folder = std::make_shared<std::string>();
  command->add_option("folder", *folder, "Output folder")->required();
  command->add_option("--users", options->users, "Users")->capture_default_str();
  command->add_option("--items", options->items, "Items")->capture_default_str();
  command->add_option("--mean-length", options->mean_length, "Mean interactions per user")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Random seed")->capture_default_str();
  auto quiet = std::make_shared<bool>(false);
  command->add_flag("--quiet", *quiet, "No progress bar");
  command->callback([options, folder, quiet] {
    options->progress = !*quiet;
    check_output_path({*folder, "folder", {}, "a synthetic dataset", true}, {}, false);
    size_t ratings = write_synth_dataset(*options, *folder);
    std::printf("wrote %zu ratings by %d users of %d items to %s\n", ratings, options->users,
                options->items, folder->c_str());
  });
}

}  // namespace pocketrec::cli
