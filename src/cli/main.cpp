// pocketrec: on-device recommendation toolkit. One file per subcommand lives beside this one.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"

int main(int argc, char** argv) {
  CLI::App app{"pocketrec: train, evaluate and serve on-device recommendation models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "pocketrec 0.1.0");
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
  pocketrec::install_interrupt_handler();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const pocketrec::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return pocketrec::interrupted() ? 130 : 0;
}
