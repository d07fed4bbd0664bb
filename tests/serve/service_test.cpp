// The JSON API of `pocketrec serve`, route by route, without the network: statuses, error
// shapes, filters and the catalog routes on a small exported model.
#include "serve/service.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

#include "export/export_fixture.hpp"
#include "export/tflite_export.hpp"

namespace pocketrec::serve {
namespace {

using nlohmann::json;

std::shared_ptr<const Recommender> small_model(uint64_t seed = 3) {
  auto c = testing::export_cases()[0];  // BOW over 40 items with ids 3, 5, ..., 81
  Catalog catalog = testing::make_catalog(c.config.items, true);
  DualEncoder model = testing::make_model(c.config, seed);
  ExportResult result = export_tflite(model, catalog, ExportOptions{});
  return Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "small.tflite");
}

struct Answer {
  int status;
  json body;
};

Answer call(Service& service, const std::string& method, const std::string& path,
            const std::string& body = "", std::map<std::string, std::string> params = {}) {
  Reply reply = service.handle({method, path, std::move(params), body});
  if (reply.content_type != "application/json") return {reply.status, json(reply.body)};
  return {reply.status, json::parse(reply.body)};
}

std::vector<std::string> ids_of(const json& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.at("id").get<std::string>());
  return ids;
}

}  // namespace

TEST(Service, RecommendExcludesTheHistoryAndReportsUnknownIds) {
  Service service(small_model(), "small.tflite");
  auto a = call(service, "POST", "/v1/recommend", R"({"history": ["3", 5, "nope"], "k": 5})");
  ASSERT_EQ(a.status, 200) << a.body;
  auto ids = ids_of(a.body["items"]);
  ASSERT_EQ(ids.size(), 5u);
  for (const auto& id : ids) EXPECT_TRUE(id != "3" && id != "5") << id;
  EXPECT_EQ(a.body["unknown_ids"], json({"nope"}));
  const auto& first = a.body["items"][0];
  EXPECT_TRUE(first.contains("title") && first.contains("genres") && first.contains("score"));
  for (size_t i = 1; i < a.body["items"].size(); ++i) {
    EXPECT_GE(a.body["items"][i - 1]["score"].get<double>(),
              a.body["items"][i]["score"].get<double>());
  }
  // exclude_seen false lets history items back in: the same ranking over every item.
  auto kept = call(service, "POST", "/v1/recommend",
                   R"({"history": ["3", "5"], "k": 40, "exclude_seen": false})");
  auto all = ids_of(kept.body["items"]);
  EXPECT_EQ(all.size(), 40u);
  EXPECT_NE(std::find(all.begin(), all.end(), "3"), all.end());
}

TEST(Service, AllowedAndBlockedFilterTheAnswer) {
  Service service(small_model(), "small.tflite");
  auto a = call(service, "POST", "/v1/recommend",
                R"({"history": ["3"], "k": 10, "allowed": ["7", "9", "11"], "blocked": ["9"]})");
  ASSERT_EQ(a.status, 200);
  auto ids = ids_of(a.body["items"]);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"11", "7"}));
  // Only unknown ids allowed: nothing, not everything.
  auto none = call(service, "POST", "/v1/recommend", R"({"history": [], "allowed": ["x"]})");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.body["items"].empty());
  EXPECT_EQ(none.body["unknown_ids"], json({"x"}));
}

TEST(Service, BadRequestsGetTheRightStatus) {
  Service service(small_model(), "small.tflite");
  auto expect = [&](int status, const std::string& method, const std::string& path,
                    const std::string& body, const std::string& words) {
    auto a = call(service, method, path, body);
    EXPECT_EQ(a.status, status) << method << " " << path << " " << body;
    EXPECT_EQ(a.body["error"]["status"], status);
    EXPECT_NE(a.body["error"]["message"].get<std::string>().find(words), std::string::npos)
        << a.body;
  };
  expect(400, "POST", "/v1/recommend", "{oops", "not valid JSON");
  expect(422, "POST", "/v1/recommend", "[1, 2]", "JSON object");
  expect(422, "POST", "/v1/recommend", "{}", "'history'");
  expect(422, "POST", "/v1/recommend", R"({"history": "3"})", "must be an array");
  expect(422, "POST", "/v1/recommend", R"({"history": [true]})", "strings or integers");
  expect(422, "POST", "/v1/recommend", R"({"history": [], "k": 0})", "'k'");
  expect(422, "POST", "/v1/recommend", R"({"history": [], "k": 1001})", "'k'");
  expect(422, "POST", "/v1/recommend", R"({"history": [], "exclude_seen": 1})", "exclude_seen");
  expect(405, "GET", "/v1/recommend", "", "use POST");
  expect(405, "POST", "/v1/items", "", "use GET");
  expect(404, "GET", "/v1/nothing", "", "no route");
  expect(404, "GET", "/v1/items/999", "", "no item '999'");
  auto a = call(service, "GET", "/v1/items", "", {{"limit", "0"}});
  EXPECT_EQ(a.status, 422);
  json long_history = {{"history", json::array()}};
  for (size_t i = 0; i <= Service::kMaxHistory; ++i) long_history["history"].push_back("3");
  expect(422, "POST", "/v1/recommend", long_history.dump(), "more than");
}

TEST(Service, CatalogSearchIsPopularFirstAndPaged) {
  Service service(small_model(), "small.tflite");
  // Counts fall with the row (100 - i): "Title 1" (id 3) is the most popular.
  auto page = call(service, "GET", "/v1/items", "", {{"limit", "3"}, {"offset", "1"}});
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(ids_of(page.body["items"]), (std::vector<std::string>{"5", "7", "9"}));
  EXPECT_EQ(page.body["total"], 40);
  // "title 1" matches Title 1 and Title 10..19, case-insensitively.
  auto found = call(service, "GET", "/v1/items", "", {{"query", "TITLE 1"}, {"limit", "100"}});
  EXPECT_EQ(found.body["total"], 11);
  EXPECT_EQ(found.body["items"][0]["id"], "3");
  auto one = call(service, "GET", "/v1/items/7");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(one.body["title"], "Title 3");
}

TEST(Service, SimilarItemsExcludeTheItem) {
  Service service(small_model(), "small.tflite");
  auto a = call(service, "GET", "/v1/items/7/similar", "", {{"k", "4"}});
  ASSERT_EQ(a.status, 200) << a.body;
  auto ids = ids_of(a.body["items"]);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "7"), ids.end());
  EXPECT_EQ(a.body["item"]["id"], "7");
}

TEST(Service, ModelHealthAndMetrics) {
  Service service(small_model(), "small.tflite");
  EXPECT_EQ(call(service, "GET", "/healthz").body["status"], "ok");
  auto model = call(service, "GET", "/v1/model");
  EXPECT_EQ(model.body["items"], 40);
  EXPECT_EQ(model.body["encoder"], "bow");
  EXPECT_EQ(model.body["file"], "small.tflite");
  call(service, "GET", "/v1/items/999");
  Reply metrics = service.handle({"GET", "/metrics", {}, ""});
  EXPECT_EQ(metrics.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(
      metrics.body.find("pocketrec_requests_total{route=\"/v1/items/{id}\",status=\"404\"} 1"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("pocketrec_request_seconds_count 3"), std::string::npos);
}

TEST(Service, InvalidUtf8InRequestsGivesValidJson) {
  // fuzz_serve's finding: an error message echoing a path of byte 0xFF threw from the JSON
  // serializer, which would have terminated the server.
  Service service(small_model(), "small.tflite");
  auto a = call(service, "GET", "/met\xff\xff\xff/T ");
  EXPECT_EQ(a.status, 404);
  auto b = call(service, "GET", "/v1/items/a\xff");
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(b.body["error"]["message"], "no item 'a\xef\xbf\xbd'");  // U+FFFD
  // A body that is not UTF-8 is not JSON.
  EXPECT_EQ(call(service, "POST", "/v1/recommend", "{\"history\": [\"\xff\"]}").status, 400);
}

TEST(Service, DemoPageIsServedAtTheRoot) {
  Service service(small_model(), "small.tflite");
  Reply page = service.handle({"GET", "/", {}, ""});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  // The page drives the same API: the catalog, the model and the recommendations.
  for (const char* route : {"/v1/items", "/v1/model", "/v1/recommend", "<!doctype html>"}) {
    EXPECT_NE(page.body.find(route), std::string::npos) << route;
  }
  EXPECT_EQ(service.handle({"POST", "/", {}, ""}).status, 405);
}

TEST(Service, ReplaceModelServesTheNewOne) {
  Service service(small_model(3), "a.tflite");
  auto before = call(service, "POST", "/v1/recommend", R"({"history": ["3"], "k": 10})");
  service.replace_model(small_model(4), "b.tflite");
  auto after = call(service, "POST", "/v1/recommend", R"({"history": ["3"], "k": 10})");
  EXPECT_EQ(call(service, "GET", "/v1/model").body["file"], "b.tflite");
  EXPECT_NE(ids_of(before.body["items"]), ids_of(after.body["items"]));
}

TEST(Service, ExplainGivesTheMostSimilarHistoryItems) {
  auto model = small_model();
  Service service(model, "small.tflite");
  auto a = call(service, "POST", "/v1/recommend",
                R"({"history": ["3", "5", "7", "9"], "k": 6, "explain": true})");
  ASSERT_EQ(a.status, 200) << a.body;
  Session session(model);
  const std::vector<uint32_t> history = {*model->find("3"), *model->find("5"), *model->find("7"),
                                         *model->find("9")};
  int reasons = 0;
  for (const auto& item : a.body["items"]) {
    ASSERT_TRUE(item.contains("because")) << item;
    // The same cosines as similar(): the two best positive ones, best first.
    std::vector<float> cosine(history.size());
    session.similarities(*model->find(item["id"].get<std::string>()), history, cosine);
    std::vector<std::pair<float, std::string>> want;
    for (size_t i = 0; i < history.size(); ++i) {
      if (cosine[i] > 0) want.push_back({cosine[i], model->item(history[i]).id});
    }
    std::sort(want.begin(), want.end(),
              [](const auto& x, const auto& y) { return x.first > y.first; });
    if (want.size() > 2) want.resize(2);
    ASSERT_EQ(item["because"].size(), want.size()) << item;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(item["because"][i]["id"], want[i].second);
      EXPECT_FLOAT_EQ(item["because"][i]["similarity"].get<float>(), want[i].first);
    }
    reasons += static_cast<int>(want.size());
  }
  EXPECT_GT(reasons, 0);
  // similarities() agrees with similar()'s scores.
  std::vector<Result> near;
  session.similar(history[0], 3, near);
  std::vector<uint32_t> near_items;
  for (const auto& r : near) near_items.push_back(r.item);
  std::vector<float> cosine(near_items.size());
  session.similarities(history[0], near_items, cosine);
  for (size_t i = 0; i < near.size(); ++i) EXPECT_EQ(cosine[i], near[i].score);
  EXPECT_EQ(call(service, "POST", "/v1/recommend", R"({"history": ["3"], "explain": 1})").status,
            422);
}

TEST(Service, ModelFilesAreOfferedOnlyWhenKept) {
  auto model = small_model();
  Service without(model, "small.tflite");
  EXPECT_EQ(call(without, "GET", "/v1/model/file").status, 404);
  EXPECT_FALSE(call(without, "GET", "/v1/model").body["on_device"].get<bool>());
  auto files = std::make_shared<ModelFiles>();
  files->tflite = "TFL3 bytes";
  Service with(model, "small.tflite", files);
  Reply file = with.handle({"GET", "/v1/model/file", {}, ""});
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.content_type, "application/octet-stream");
  EXPECT_EQ(file.body, "TFL3 bytes");
  EXPECT_EQ(call(with, "GET", "/v1/model/catalog").status, 404);  // loaded without a catalog
  EXPECT_EQ(call(with, "POST", "/v1/model/file").status, 405);
  // FNV-1a 64 of the bytes, as /v1/model reports it.
  EXPECT_EQ(call(with, "GET", "/v1/model").body["checksum"], "98f63d231ed1b42f");
  files = std::make_shared<ModelFiles>();
  files->catalog_json = R"([{"id": "3"}])";
  with.replace_model(model, "small.tflite", files);
  EXPECT_EQ(with.handle({"GET", "/v1/model/catalog", {}, ""}).body, R"([{"id": "3"}])");
}

TEST(Service, WasmAssetsComeOnlyFromTheirFolderByName) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pocketrec_wasm_assets_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pocketrec_runtime.wasm") << "wasm bytes";
  std::ofstream(dir / "secret.txt") << "no";
  Service service(small_model(), "small.tflite");
  EXPECT_EQ(call(service, "GET", "/wasm/pocketrec_runtime.wasm").status, 404);  // no folder set
  service.set_wasm_dir(dir.string());
  Reply wasm = service.handle({"GET", "/wasm/pocketrec_runtime.wasm", {}, ""});
  EXPECT_EQ(wasm.status, 200);
  EXPECT_EQ(wasm.content_type, "application/wasm");
  EXPECT_EQ(call(service, "GET", "/wasm/secret.txt").status, 404);
  EXPECT_EQ(call(service, "GET", "/wasm/../wasm/secret.txt").status, 404);
  EXPECT_EQ(call(service, "GET", "/wasm/pocketrec.mjs").status, 404);  // not built there
  std::filesystem::remove_all(dir);
}

TEST(Service, AdminReloadIsLoopbackOnlyAndKeepsTheOldModelOnFailure) {
  auto first = small_model(3), second = small_model(4);
  Service service(first, "a.tflite");
  EXPECT_EQ(call(service, "POST", "/v1/admin/reload").status, 404);  // no reload configured
  int calls = 0;
  bool broken = false;
  service.set_reload([&] {
    ++calls;
    if (broken) throw Error("b.tflite: not a model");
    service.replace_model(second, "b.tflite");
  });
  Request remote{"POST", "/v1/admin/reload", {}, ""};
  remote.loopback = false;
  EXPECT_EQ(service.handle(remote).status, 403);
  EXPECT_EQ(calls, 0);
  auto ok = call(service, "POST", "/v1/admin/reload");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body["reloaded"], "b.tflite");
  broken = true;
  auto refused = call(service, "POST", "/v1/admin/reload");
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("not a model"),
            std::string::npos);
  EXPECT_EQ(call(service, "GET", "/v1/model").body["file"], "b.tflite");
  EXPECT_EQ(calls, 2);
}

}  // namespace pocketrec::serve
