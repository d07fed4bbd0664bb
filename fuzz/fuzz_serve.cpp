// The HTTP API's request handler (serve::Service::handle) on a small model: the input's first line
// is "METHOD /path?query", the rest the body. Every answer must be a well-formed reply: a status
// the API uses and, for JSON replies, a body that parses.
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "export/tflite_export.hpp"
#include "model/dual_encoder.hpp"
#include "serve/service.hpp"

namespace {

pocketrec::serve::Service& service() {
  using namespace pocketrec;
  static serve::Service instance = [] {
    ModelConfig config;
    config.items = 30;
    config.embedding_dim = 8;
    config.output_dim = 8;
    config.context_length = 5;
    DualEncoder model(config);
    model.initialize(1);
    Catalog catalog;
    for (int i = 1; i <= config.items; ++i) {
      CatalogItem item;
      item.id = std::to_string(i);
      item.title = "Title " + std::to_string(i);
      item.genres = {"Drama"};
      item.count = static_cast<uint32_t>(i);
      catalog.add(item);
    }
    ExportResult result = export_tflite(model, catalog, ExportOptions{});
    return serve::Service(
        Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "fuzz.tflite"),
        "fuzz.tflite");
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pocketrec::serve;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t line_end = std::min(input.find('\n'), input.size());
  const std::string line = input.substr(0, line_end);
  Request request;
  const size_t space = line.find(' ');
  request.method = line.substr(0, space);
  std::string target = space == std::string::npos ? "/" : line.substr(space + 1);
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) {
    std::string query = target.substr(question + 1);
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = std::min(query.find('&', start), query.size());
      std::string pair = query.substr(start, amp - start);
      size_t eq = pair.find('=');
      request.params[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      start = amp + 1;
    }
  }
  request.body = line_end < input.size() ? input.substr(line_end + 1) : "";
  const Reply reply = service().handle(request);
  static const std::set<int> kStatuses = {200, 400, 404, 405, 422};
  if (!kStatuses.count(reply.status)) __builtin_trap();
  if (reply.content_type == "application/json" &&
      nlohmann::json::parse(reply.body, nullptr, false).is_discarded()) {
    __builtin_trap();
  }
  return 0;
}
