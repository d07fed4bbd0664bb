#pragma once
// Each subcommand registers itself on the top-level app.
#include <CLI/CLI.hpp>

namespace pocketrec::cli {

void register_prepare(CLI::App& app);
void register_synth(CLI::App& app);
void register_train(CLI::App& app);
void register_eval(CLI::App& app);
void register_recommend(CLI::App& app);
void register_quickstart(CLI::App& app);
void register_download(CLI::App& app);
void register_export(CLI::App& app);
void register_bench(CLI::App& app);
void register_serve(CLI::App& app);
void register_tune(CLI::App& app);

}  // namespace pocketrec::cli
