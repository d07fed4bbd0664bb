#include "serve/service.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "serve/demo_page.hpp"

namespace pocketrec::serve {
namespace {

using nlohmann::json;

constexpr std::array<double, 9> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                  0.005,  0.01,    0.05,   0.25};

Reply json_reply(int status, const json& body) {
  Reply reply;
  reply.status = status;
  // Requests may carry any bytes (a path of "%FF", ids in Latin-1) that replies echo back: invalid
  // UTF-8 becomes U+FFFD instead of an exception (fuzz_serve's first finding).
  reply.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return reply;
}

Reply error_reply(int status, const std::string& message) {
  return json_reply(status, {{"error", {{"status", status}, {"message", message}}}});
}

// A request that cannot be answered, with the status that says why.
struct RequestError {
  int status;
  std::string message;
};

json item_json(const Item& item) {
  return {{"id", item.id}, {"title", item.title}, {"genres", item.genres}, {"count", item.count}};
}

// Ids may be sent as strings or integers ("260" or 260).
std::string id_text(const json& value, const char* field) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  throw RequestError{422, std::string("'") + field + "' holds ids: strings or integers"};
}

std::vector<uint32_t> resolve_ids(const json& body, const char* field, const Recommender& model,
                                  std::vector<std::string>& unknown, size_t limit) {
  std::vector<uint32_t> items;
  if (!body.contains(field)) return items;
  const json& list = body.at(field);
  if (!list.is_array()) throw RequestError{422, std::string("'") + field + "' must be an array"};
  if (list.size() > limit) {
    throw RequestError{422, std::string("'") + field + "' has " + std::to_string(list.size()) +
                                " ids, more than " + std::to_string(limit)};
  }
  for (const json& value : list) {
    std::string id = id_text(value, field);
    if (auto item = model.find(id)) {
      items.push_back(*item);
    } else {
      unknown.push_back(std::move(id));
    }
  }
  return items;
}

int int_param(const Request& request, const std::string& name, int fallback, int low, int high) {
  auto it = request.params.find(name);
  if (it == request.params.end()) return fallback;
  int value = 0;
  auto [end, error] =
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (error != std::errc() || end != it->second.data() + it->second.size() || value < low ||
      value > high) {
    throw RequestError{422, "'" + name + "' must be an integer in " + std::to_string(low) + ".." +
                                std::to_string(high)};
  }
  return value;
}

// One session per worker thread and model, reused across requests: a Session builds an
// interpreter and per-item buffers, too much work to repeat for every request. After a reload a
// thread keeps the old model alive until its next request.
Session& session_for(const std::shared_ptr<const Recommender>& model) {
  thread_local std::shared_ptr<const Recommender> owner;
  thread_local std::unique_ptr<Session> session;
  if (owner != model) {
    session = std::make_unique<Session>(model);
    owner = model;
  }
  return *session;
}

// A checksum apps can compare with their copy of the model file (not a security measure).
std::string fnv1a64_hex(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

// Up to two history items most similar to each result (cosine of the item vectors, positive
// only), best first: the page's "because you picked ..." hint.
void add_reasons(Session& session, const Recommender& model, std::span<const uint32_t> history,
                 const std::vector<Result>& results, json& items) {
  std::vector<uint32_t> picked(history.begin(), history.end());
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  std::vector<float> similarity(picked.size());
  for (size_t r = 0; r < results.size(); ++r) {
    session.similarities(results[r].item, picked, similarity);
    std::vector<size_t> order(picked.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    const size_t shown = std::min<size_t>(2, order.size());
    std::partial_sort(order.begin(), order.begin() + shown, order.end(), [&](size_t a, size_t b) {
      return similarity[a] > similarity[b] || (similarity[a] == similarity[b] && a < b);
    });
    json because = json::array();
    for (size_t i = 0; i < shown && similarity[order[i]] > 0.0f; ++i) {
      const Item& item = model.item(picked[order[i]]);
      because.push_back(
          {{"id", item.id}, {"title", item.title}, {"similarity", similarity[order[i]]}});
    }
    items[r]["because"] = std::move(because);
  }
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return text;
}

}  // namespace

Service::Service(std::shared_ptr<const Recommender> model, std::string file,
                 std::shared_ptr<const ModelFiles> files)
    : latency_buckets_(kLatencyBounds.size() + 1, 0) {
  replace_model(std::move(model), std::move(file), std::move(files));
}

void Service::set_reload(std::function<void()> reload) {
  reload_ = std::move(reload);
}

void Service::set_wasm_dir(std::string dir) {
  wasm_dir_ = std::move(dir);
}

void Service::replace_model(std::shared_ptr<const Recommender> model, std::string file,
                            std::shared_ptr<const ModelFiles> files) {
  auto loaded = std::make_shared<Loaded>();
  if (files) loaded->checksum = fnv1a64_hex(files->tflite);
  loaded->files = std::move(files);
  loaded->by_popularity.resize(model->item_count());
  std::vector<uint32_t> counts(model->item_count());
  for (uint32_t i = 0; i < loaded->by_popularity.size(); ++i) {
    loaded->by_popularity[i] = i;
    counts[i] = model->item(i).count;
  }
  std::stable_sort(loaded->by_popularity.begin(), loaded->by_popularity.end(),
                   [&](uint32_t a, uint32_t b) { return counts[a] > counts[b]; });
  loaded->model = std::move(model);
  loaded->file = std::move(file);
  std::lock_guard lock(mutex_);
  loaded_ = std::move(loaded);
}

std::shared_ptr<const Service::Loaded> Service::current() const {
  std::lock_guard lock(mutex_);
  return loaded_;
}

Reply Service::handle(const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  const auto loaded = current();
  Reply reply;
  std::string route_name = "other";
  try {
    reply = route(request, *loaded);
  } catch (const RequestError& e) {
    reply = error_reply(e.status, e.message);
  } catch (const json::exception& e) {
    reply = error_reply(422, std::string("unexpected JSON content: ") + e.what());
  } catch (const std::exception& e) {
    reply = error_reply(500, e.what());
  }
  // Metrics by route pattern, not by raw path: item ids would make unbounded label sets.
  if (request.path == "/" || request.path == "/v1/recommend" || request.path == "/v1/items" ||
      request.path == "/v1/model" || request.path == "/healthz" || request.path == "/metrics" ||
      request.path == "/v1/model/file" || request.path == "/v1/model/catalog" ||
      request.path == "/v1/admin/reload") {
    route_name = request.path;
  } else if (request.path.rfind("/wasm/", 0) == 0) {
    route_name = "/wasm/{file}";
  } else if (request.path.rfind("/v1/items/", 0) == 0) {
    route_name = request.path.size() > 8 && request.path.ends_with("/similar")
                     ? "/v1/items/{id}/similar"
                     : "/v1/items/{id}";
  }
  count(route_name, reply.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return reply;
}

Reply Service::route(const Request& request, const Loaded& loaded) {
  auto only = [&](const char* method) {
    if (request.method != method) {
      throw RequestError{
          405, request.method + " is not allowed on " + request.path + " (use " + method + ")"};
    }
  };
  const std::string& path = request.path;
  if (path == "/" || path == "/index.html") {
    only("GET");
    Reply page;
    page.content_type = "text/html; charset=utf-8";
    page.body = std::string(demo_page_html());
    return page;
  }
  if (path == "/healthz") {
    only("GET");
    return json_reply(200, {{"status", "ok"}});
  }
  if (path == "/metrics") {
    only("GET");
    return metrics();
  }
  if (path == "/v1/model") {
    only("GET");
    return model_info(loaded);
  }
  if (path == "/v1/model/file" || path == "/v1/model/catalog") {
    only("GET");
    return model_file(path.ends_with("catalog"), loaded);
  }
  if (path == "/v1/admin/reload") {
    only("POST");
    return reload(request);
  }
  if (path.rfind("/wasm/", 0) == 0) {
    only("GET");
    return wasm_asset(path.substr(6));
  }
  if (path == "/v1/recommend") {
    only("POST");
    return recommend(request, loaded);
  }
  if (path == "/v1/items") {
    only("GET");
    return items(request, loaded);
  }
  const std::string prefix = "/v1/items/";
  if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size()) {
    std::string rest = path.substr(prefix.size());
    const std::string suffix = "/similar";
    if (rest.size() > suffix.size() && rest.ends_with(suffix)) {
      only("GET");
      return similar(rest.substr(0, rest.size() - suffix.size()), request, loaded);
    }
    if (rest.find('/') == std::string::npos) {
      only("GET");
      return item(rest, loaded);
    }
  }
  throw RequestError{404, "no route " + path};
}

Reply Service::recommend(const Request& request, const Loaded& loaded) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) throw RequestError{400, "the body is not valid JSON"};
  if (!body.is_object()) throw RequestError{422, "the body must be a JSON object"};
  if (!body.contains("history")) throw RequestError{422, "'history' (an array of ids) is missing"};
  const Recommender& model = *loaded.model;
  std::vector<std::string> unknown;
  const auto history = resolve_ids(body, "history", model, unknown, kMaxHistory);
  const auto allowed =
      resolve_ids(body, "allowed", model, unknown, model.item_count() + kMaxHistory);
  const auto blocked =
      resolve_ids(body, "blocked", model, unknown, model.item_count() + kMaxHistory);
  Query query;
  query.history = history;
  query.allowed = allowed;
  query.blocked = blocked;
  query.k = 10;
  if (body.contains("k")) {
    const json& k = body.at("k");
    if (!k.is_number_integer() || k.get<int64_t>() < 1 || k.get<int64_t>() > kMaxK) {
      throw RequestError{422, "'k' must be an integer in 1.." + std::to_string(kMaxK)};
    }
    query.k = k.get<int>();
  }
  if (body.contains("exclude_seen")) {
    if (!body.at("exclude_seen").is_boolean()) {
      throw RequestError{422, "'exclude_seen' must be true or false"};
    }
    query.exclude_history = body.at("exclude_seen").get<bool>();
  }
  bool explain = false;
  if (body.contains("explain")) {
    if (!body.at("explain").is_boolean())
      throw RequestError{422, "'explain' must be true or false"};
    explain = body.at("explain").get<bool>() && model.summary().fast_path;
  }
  if (body.contains("allowed") && allowed.empty()) {
    // An allow-list of only unknown ids would otherwise mean "every item".
    return json_reply(200, {{"items", json::array()}, {"unknown_ids", unknown}});
  }
  std::vector<Result> results;
  Session& session = session_for(loaded.model);
  session.recommend(query, results);
  json items = json::array();
  for (const Result& r : results) {
    json entry = item_json(model.item(r.item));
    entry["score"] = r.score;
    items.push_back(std::move(entry));
  }
  if (explain && !history.empty()) add_reasons(session, model, history, results, items);
  return json_reply(200, {{"items", items}, {"unknown_ids", unknown}});
}

Reply Service::items(const Request& request, const Loaded& loaded) {
  const int limit = int_param(request, "limit", 20, 1, 1000);
  const int offset = int_param(request, "offset", 0, 0, 1 << 30);
  auto it = request.params.find("query");
  const std::string needle = it == request.params.end() ? "" : lowercase(it->second);
  const Recommender& model = *loaded.model;
  json items = json::array();
  size_t matches = 0;
  for (uint32_t index : loaded.by_popularity) {
    const Item& item = model.item(index);
    if (!needle.empty() && lowercase(item.title).find(needle) == std::string::npos &&
        lowercase(item.id) != needle) {
      continue;
    }
    if (matches >= static_cast<size_t>(offset) && items.size() < static_cast<size_t>(limit)) {
      items.push_back(item_json(item));
    }
    ++matches;
  }
  return json_reply(200, {{"items", items}, {"total", matches}, {"offset", offset}});
}

Reply Service::item(const std::string& id, const Loaded& loaded) {
  auto index = loaded.model->find(id);
  if (!index) throw RequestError{404, "no item '" + id + "'"};
  return json_reply(200, item_json(loaded.model->item(*index)));
}

Reply Service::similar(const std::string& id, const Request& request, const Loaded& loaded) {
  auto index = loaded.model->find(id);
  if (!index) throw RequestError{404, "no item '" + id + "'"};
  const int k = int_param(request, "k", 10, 1, kMaxK);
  if (!loaded.model->summary().fast_path) {
    throw RequestError{422, "this model has no item vectors to compare (no fast path)"};
  }
  std::vector<Result> results;
  session_for(loaded.model).similar(*index, k, results);
  json items = json::array();
  for (const Result& r : results) {
    json entry = item_json(loaded.model->item(r.item));
    entry["score"] = r.score;
    items.push_back(std::move(entry));
  }
  return json_reply(200, {{"item", item_json(loaded.model->item(*index))}, {"items", items}});
}

Reply Service::model_info(const Loaded& loaded) {
  const ModelSummary& s = loaded.model->summary();
  return json_reply(200, {{"file", loaded.file},
                          {"encoder", s.encoder},
                          {"layout", s.layout},
                          {"context_length", s.context_length},
                          {"dim", s.dim},
                          {"items", s.items},
                          {"int8", s.quantized},
                          {"fast_path", s.fast_path},
                          {"fused_encoder", s.fused_encoder},
                          {"file_bytes", s.file_bytes},
                          {"checksum", loaded.checksum},
                          {"on_device", loaded.files != nullptr && !wasm_dir_.empty()}});
}

Reply Service::model_file(bool catalog, const Loaded& loaded) {
  if (!loaded.files) throw RequestError{404, "this server does not offer its model file"};
  if (catalog && loaded.files->catalog_json.empty())
    throw RequestError{404, "the model was loaded without a catalog file"};
  Reply reply;
  reply.content_type = catalog ? "application/json" : "application/octet-stream";
  reply.body = catalog ? loaded.files->catalog_json : loaded.files->tflite;
  return reply;
}

Reply Service::wasm_asset(const std::string& name) {
  // Only the three files scripts/build_wasm.sh writes: no path from the request reaches the disk.
  const char* type = name == "pocketrec_runtime.wasm" ? "application/wasm"
                     : name == "pocketrec.mjs" || name == "pocketrec_runtime.mjs"
                         ? "text/javascript"
                         : nullptr;
  if (wasm_dir_.empty() || type == nullptr) throw RequestError{404, "no route /wasm/" + name};
  // C stdio, not iostreams: this file is also in the WebAssembly build, where <fstream> adds
  // 150 KB to the .wasm.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
      std::fopen((wasm_dir_ + "/" + name).c_str(), "rb"), &std::fclose);
  if (!in) throw RequestError{404, "the WebAssembly runtime is not built (scripts/build_wasm.sh)"};
  Reply reply;
  reply.content_type = type;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0;)
    reply.body.append(buffer, n);
  return reply;
}

Reply Service::reload(const Request& request) {
  if (!reload_) throw RequestError{404, "no route /v1/admin/reload (this server cannot reload)"};
  if (!request.loopback) throw RequestError{403, "reload is allowed from this machine only"};
  try {
    reload_();
  } catch (const std::exception& e) {
    throw RequestError{422, std::string("reload failed, the old model keeps serving: ") + e.what()};
  }
  return json_reply(200, {{"reloaded", current()->file}, {"checksum", current()->checksum}});
}

void Service::count(const std::string& route, int status, double seconds) {
  std::lock_guard lock(metrics_mutex_);
  ++requests_[{route, status}];
  size_t bucket = 0;
  while (bucket < kLatencyBounds.size() && seconds > kLatencyBounds[bucket]) ++bucket;
  ++latency_buckets_[bucket];
  latency_sum_ += seconds;
  ++latency_count_;
}

Reply Service::metrics() {
  std::string text = "# TYPE pocketrec_requests_total counter\n";
  std::lock_guard lock(metrics_mutex_);
  for (const auto& [key, n] : requests_) {
    text += "pocketrec_requests_total{route=\"" + key.first + "\",status=\"" +
            std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  text += "# TYPE pocketrec_request_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kLatencyBounds.size(); ++b) {
    cumulative += latency_buckets_[b];
    char bound[32];
    if (b < kLatencyBounds.size()) {
      std::snprintf(bound, sizeof bound, "%g", kLatencyBounds[b]);
    } else {
      std::snprintf(bound, sizeof bound, "+Inf");
    }
    text += "pocketrec_request_seconds_bucket{le=\"" + std::string(bound) + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.9f", latency_sum_);
  text += "pocketrec_request_seconds_sum " + std::string(sum) + "\n";
  text += "pocketrec_request_seconds_count " + std::to_string(latency_count_) + "\n";
  Reply reply;
  reply.content_type = "text/plain; version=0.0.4";
  reply.body = std::move(text);
  return reply;
}

}  // namespace pocketrec::serve
