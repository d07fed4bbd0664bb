// pocketrec: on-device recommendation toolkit. One file per subcommand lives beside this one.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "train/collective.hpp"

namespace {

// A rank that fails takes the others down with it: they would otherwise wait for its gradients
// forever.
int leave(int code) {
  if (code != 0) {
    if (auto* collective = pocketrec::cli::training_collective()) collective->abort(code);
  }
  return code;
}

int run(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return leave(app.exit(e));
  } catch (const pocketrec::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    // A command that stops on Ctrl-C by throwing exits as an interrupted one does.
    return leave(pocketrec::interrupted() ? 130 : 1);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return leave(1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return leave(1);
  }
  return pocketrec::interrupted() ? 130 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pocketrec: train, evaluate and serve on-device recommendation models"};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", std::string("pocketrec 0.1.0") + (pocketrec::mpi_available()
                                                         ? " (trains across MPI ranks under mpirun)"
                                                         : " (built without MPI)"));
  pocketrec::cli::register_quickstart(app);
  pocketrec::cli::register_synth(app);
  pocketrec::cli::register_download(app);
  pocketrec::cli::register_prepare(app);
  pocketrec::cli::register_train(app);
  pocketrec::cli::register_tune(app);
  pocketrec::cli::register_eval(app);
  pocketrec::cli::register_export(app);
  pocketrec::cli::register_recommend(app);
  pocketrec::cli::register_bench(app);
  pocketrec::cli::register_serve(app);
  pocketrec::install_interrupt_handler();
  // Under mpirun with several ranks, `train` runs across them (every other command refuses).
  if (auto collective = pocketrec::mpi_collective(argc, argv)) {
    if (argc < 2 || std::string(argv[1]) != "train") {
      std::fprintf(stderr, "error: only `pocketrec train` runs across MPI ranks\n");
      return 1;
    }
    pocketrec::cli::set_training_collective(std::move(collective));
  }
  // CLI11 reports a mistyped subcommand as "A subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    for (const auto* command : app.get_subcommands({})) {
      if (command->get_name() == argv[1]) return run(app, argc, argv);
      known += (known.empty() ? "" : ", ") + command->get_name();
    }
    std::fprintf(stderr, "error: unknown subcommand '%s' (known: %s)\n", argv[1], known.c_str());
    return 1;
  }
  return run(app, argc, argv);
}
