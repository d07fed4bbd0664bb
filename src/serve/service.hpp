#pragma once
// The JSON API behind `pocketrec serve`, apart from the HTTP transport so every route can be
// tested (and fuzzed) as a function: request in, status and body out. Thread-safe; each call
// takes the current model, so a reload never changes a request half-way.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pocketrec/recommender.hpp"

namespace pocketrec::serve {

struct Request {
  std::string method;  // GET, POST, ...
  std::string path;    // without the query string
  std::map<std::string, std::string> params;
  std::string body;
  bool loopback = true;  // the client is this machine (admin routes answer only then)
};

// What the demo page's "on this device" mode downloads: the model as the runtime loaded it (a
// .pkrec is served as its .tflite export) and the catalog file it was given, if any.
struct ModelFiles {
  std::string tflite;
  std::string catalog_json;
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class Service {
 public:
  // `file` names the model in /v1/model; the catalog is the model's (or the one it was loaded
  // with).
  Service(std::shared_ptr<const Recommender> model, std::string file,
          std::shared_ptr<const ModelFiles> files = nullptr);

  Reply handle(const Request& request);
  // Swaps in another model; requests already running finish on the old one.
  void replace_model(std::shared_ptr<const Recommender> model, std::string file,
                     std::shared_ptr<const ModelFiles> files = nullptr);
  // POST /v1/admin/reload (loopback clients only) calls this; it throws to refuse, and the old
  // model keeps serving. Without one the route answers 404.
  void set_reload(std::function<void()> reload);
  // The folder of the WebAssembly runtime (scripts/build_wasm.sh), served under /wasm/; empty:
  // none, and the page offers no on-device mode.
  void set_wasm_dir(std::string dir);

  static constexpr int kMaxK = 1000;
  static constexpr size_t kMaxHistory = 10000;

 private:
  struct Loaded {
    std::shared_ptr<const Recommender> model;
    std::string file;
    std::shared_ptr<const ModelFiles> files;  // may be null
    std::string checksum;                     // of files->tflite, FNV-1a 64 in hex
    std::vector<uint32_t> by_popularity;      // item indices, most interactions first
  };
  std::shared_ptr<const Loaded> current() const;
  Reply route(const Request& request, const Loaded& loaded);
  Reply recommend(const Request& request, const Loaded& loaded);
  Reply items(const Request& request, const Loaded& loaded);
  Reply item(const std::string& id, const Loaded& loaded);
  Reply similar(const std::string& id, const Request& request, const Loaded& loaded);
  Reply model_info(const Loaded& loaded);
  Reply model_file(bool catalog, const Loaded& loaded);
  Reply wasm_asset(const std::string& name);
  Reply reload(const Request& request);
  Reply metrics();
  void count(const std::string& route, int status, double seconds);

  std::function<void()> reload_;
  std::string wasm_dir_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Loaded> loaded_;
  // Prometheus counters: requests by (route, status), and a latency histogram.
  std::mutex metrics_mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::vector<uint64_t> latency_buckets_;
  double latency_sum_ = 0;
  uint64_t latency_count_ = 0;
};

}  // namespace pocketrec::serve
