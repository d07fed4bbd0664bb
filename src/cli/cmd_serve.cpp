#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "export/tflite_export.hpp"
#include "model/model_file.hpp"
#include "serve/http_server.hpp"
#include "serve/movie_vocab.hpp"
#include "serve/service.hpp"

namespace pocketrec::cli {
namespace {

std::atomic<bool> g_reload{false};
void on_hangup(int) {
  g_reload.store(true);
}

// The folder scripts/build_wasm.sh writes, beside the build folder of this binary
// (build/pocketrec -> build-wasm/), when it holds the runtime; else none.
std::string default_wasm_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const auto dir = exe.parent_path().parent_path() / "build-wasm";
  return std::filesystem::exists(dir / "pocketrec_runtime.wasm", ec) ? dir.string() : "";
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The .tflite bytes the runtime loads: the file itself, or a .pkrec's export.
std::string tflite_bytes(const std::string& path) {
  if (is_tflite_file(path)) return read_text_file(path);
  auto loaded = load_model(path);
  ExportResult r = export_tflite(*loaded.model, loaded.catalog, ExportOptions{});
  return {reinterpret_cast<const char*>(r.bytes.data()), r.bytes.size()};
}

}  // namespace

void register_serve(CLI::App& app) {
  auto* command = app.add_subcommand(
      "serve", "HTTP JSON API over a model: recommend, catalog search, similar items, metrics");
  auto model_path = std::make_shared<std::string>();
  auto catalog = std::make_shared<std::string>();
  auto host = std::make_shared<std::string>("127.0.0.1");
  auto port = std::make_shared<int>(8080);
  // httplib gives each open keep-alive connection a worker until it closes, so workers are
  // mostly idle connections: a browser opens six, a load test more (bench/serve_load.sh with 32
  // connections on 4 workers: p99 1.5 s of waiting for a free worker).
  auto threads = std::make_shared<int>(
      static_cast<int>(std::max(16u, 4 * std::thread::hardware_concurrency())));
  auto max_body = std::make_shared<size_t>(size_t{1} << 20);
  command->add_option("--model,-m", *model_path, ".tflite or .pkrec model")->required();
  command->add_option("--catalog", *catalog,
                      "sorted_movie_vocab.json-style catalog (models without pocketrec metadata)");
  command->add_option("--host", *host, "Address to listen on (loopback unless told otherwise)")
      ->capture_default_str();
  command->add_option("--port", *port, "Port (0: any free port, printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  command->add_option("--threads", *threads,
                      "Worker threads: each serves one open connection at a time")
      ->capture_default_str()
      ->check(CLI::Range(1, TrainConfig::kMaxThreads));
  command->add_option("--max-body", *max_body, "Largest request body in bytes (413 above)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{64}, size_t{64} << 20));
  auto wasm_dir = std::make_shared<std::string>();
  command->add_option("--wasm", *wasm_dir,
                      "Folder of the WebAssembly runtime (scripts/build_wasm.sh) for the page's "
                      "on-device mode (default: build-wasm beside the binary's folder, if built)");
  command->callback([=] {
    // The model is loaded from the bytes the page's on-device mode downloads, so both answer
    // from the same file.
    struct Loaded {
      std::shared_ptr<const Recommender> model;
      std::shared_ptr<const serve::ModelFiles> files;
    };
    auto load = [&] {
      auto files = std::make_shared<serve::ModelFiles>();
      files->tflite = tflite_bytes(*model_path);
      ModelLoadOptions options;
      if (!catalog->empty()) {
        files->catalog_json = read_text_file(*catalog);
        options.catalog = serve::parse_movie_vocab(files->catalog_json, *catalog);
      }
      auto model = Recommender::load_buffer(files->tflite.data(), files->tflite.size(), *model_path,
                                            options);
      return Loaded{model, files};
    };
    const Loaded first = load();
    serve::Service service(first.model, *model_path, first.files);
    service.set_wasm_dir(wasm_dir->empty() ? default_wasm_dir() : *wasm_dir);
    std::mutex reload_mutex;
    auto reload = [&] {
      std::lock_guard lock(reload_mutex);
      const Loaded next = load();
      service.replace_model(next.model, *model_path, next.files);
    };
    service.set_reload([&] {
      reload();
      std::fprintf(stderr, "reloaded %s (POST /v1/admin/reload)\n", model_path->c_str());
    });
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
            reload();
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
