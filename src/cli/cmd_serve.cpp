#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "serve/http_server.hpp"
#include "serve/service.hpp"

namespace pocketrec::cli {
namespace {

std::atomic<bool> g_reload{false};
void on_hangup(int) {
  g_reload.store(true);
}

}  // namespace

void register_serve(CLI::App& app) {
  auto* command = app.add_subcommand(
      "serve", "HTTP JSON API over a model: recommend, catalog search, similar items, metrics");
  auto model_path = std::make_shared<std::string>();
  auto catalog = std::make_shared<std::string>();
  auto host = std::make_shared<std::string>("127.0.0.1");
  auto port = std::make_shared<int>(8080);
  auto threads =
      std::make_shared<int>(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  auto max_body = std::make_shared<size_t>(size_t{1} << 20);
  command->add_option("--model,-m", *model_path, ".tflite or .pkrec model")->required();
  command->add_option("--catalog", *catalog,
                      "sorted_movie_vocab.json-style catalog (models without pocketrec metadata)");
  command->add_option("--host", *host, "Address to listen on (loopback unless told otherwise)")
      ->capture_default_str();
  command->add_option("--port", *port, "Port (0: any free port, printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  command->add_option("--threads", *threads, "Worker threads (one request each at a time)")
      ->capture_default_str()
      ->check(CLI::Range(1, TrainConfig::kMaxThreads));
  command->add_option("--max-body", *max_body, "Largest request body in bytes (413 above)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{64}, size_t{64} << 20));
  command->callback([=] {
    ModelLoadOptions options;
    if (!catalog->empty()) options.catalog = read_movie_vocab(*catalog);
    auto load = [&] { return load_recommender(*model_path, false, options); };
    serve::Service service(load(), *model_path);
    serve::HttpOptions http;
    http.threads = *threads;
    http.max_body_bytes = *max_body;
    serve::HttpServer server(service, http);
    const int bound = server.bind(*host, *port);
    std::signal(SIGHUP, on_hangup);
    std::printf("serving %s on http://%s:%d/ with %d threads (SIGTERM stops, SIGHUP reloads)\n",
                model_path->c_str(), host->c_str(), bound, *threads);
    std::fflush(stdout);
    // SIGTERM/SIGINT stop accepting and let requests in flight finish; SIGHUP swaps in the model
    // file again, keeping the old one if the new one does not load.
    std::atomic<bool> running{true};
    std::thread watcher([&] {
      while (running && !interrupted()) {
        if (g_reload.exchange(false)) {
          try {
            service.replace_model(load(), *model_path);
            std::fprintf(stderr, "reloaded %s\n", model_path->c_str());
          } catch (const std::exception& e) {
            std::fprintf(stderr, "reload failed, the old model keeps serving: %s\n", e.what());
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      server.stop();
    });
    server.run();
    running = false;
    watcher.join();
    reset_interrupted();  // a requested stop is a clean exit
    std::printf("stopped\n");
  });
}

}  // namespace pocketrec::cli
