#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "model/model_file.hpp"
#include "model/recommend.hpp"
#include "pocketrec/recommender.hpp"

namespace pocketrec::cli {
namespace {

struct Shown {
  std::string id;
  std::string title;
  std::vector<std::string> genres;
  float score;
};

// One output for both model kinds: a numbered list, or JSON with the unknown ids.
void print_recommendations(const std::vector<Shown>& shown, const std::vector<std::string>& unknown,
                           bool json) {
  if (!unknown.empty()) {
    // A long history of foreign ids (a wrong catalog) must not flood the terminal.
    constexpr size_t kShown = 10;
    std::vector<std::string> some(unknown.begin(),
                                  unknown.begin() + std::min(unknown.size(), kShown));
    std::string more =
        unknown.size() > kShown ? " and " + std::to_string(unknown.size() - kShown) + " more" : "";
    std::fprintf(stderr, "ignored %zu unknown item id(s): %s%s\n", unknown.size(),
                 join(some, ", ").c_str(), more.c_str());
  }
  if (shown.empty()) {
    std::fprintf(stderr,
                 "nothing to recommend: every item the model knows is in the history "
                 "(--keep-history lets history items back in)\n");
  }
  if (json) {
    auto items = nlohmann::json::array();
    for (const auto& r : shown) {
      items.push_back({{"id", r.id}, {"title", r.title}, {"genres", r.genres}, {"score", r.score}});
    }
    nlohmann::json out = {{"items", items}, {"unknown_ids", unknown}};
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  for (size_t i = 0; i < shown.size(); ++i) {
    std::string label = shown[i].title;
    if (!shown[i].genres.empty()) label += " (" + join(shown[i].genres, "|") + ")";
    std::printf("%3zu. %-8s %8.4f  %s\n", i + 1, shown[i].id.c_str(), shown[i].score,
                label.c_str());
  }
}

void recommend_tflite(const std::string& path, const std::string& catalog_path,
                      const std::vector<std::string>& ids, int k, bool keep_history, bool json) {
  ModelLoadOptions options;
  if (!catalog_path.empty()) options.catalog = read_movie_vocab(catalog_path);
  auto recommender = Recommender::load_file(path, std::move(options));
  std::vector<std::string> unknown;
  std::vector<uint32_t> history;
  for (const auto& id : ids) {
    if (auto item = recommender->find(id)) {
      history.push_back(*item);
    } else {
      unknown.push_back(id);
    }
  }
  Session session(recommender);
  Query query;
  query.history = history;
  query.k = k;
  query.exclude_history = !keep_history;
  std::vector<Result> results;
  session.recommend(query, results);
  std::vector<Shown> shown;
  for (const auto& r : results) {
    Item item = recommender->item(r.item);
    shown.push_back({std::move(item.id), std::move(item.title), std::move(item.genres), r.score});
  }
  print_recommendations(shown, unknown, json);
}

}  // namespace

void register_recommend(CLI::App& app) {
  auto* command = app.add_subcommand(
      "recommend", "Top-K items for a history of external item ids, with titles and scores");
  auto model_path = std::make_shared<std::string>();
  auto history = std::make_shared<std::string>();
  auto k = std::make_shared<int>(10);
  auto keep_history = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  command->add_option("--model,-m", *model_path, "Model file")->required();
  command->add_option("--history", *history, "Comma-separated item ids, oldest first")->required();
  command->add_option("-k,--top-k", *k, "How many items")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  command->add_flag("--keep-history", *keep_history, "Allow items of the history in the results");
  command->add_flag("--json", *json, "Print JSON");
  auto catalog = std::make_shared<std::string>();
  command->add_option("--catalog", *catalog,
                      ".tflite models without pocketrec metadata: a sorted_movie_vocab.json-style "
                      "catalog for titles and to skip ids that are not items");
  command->callback([=] {
    std::vector<std::string> ids, unknown;
    for (auto part : split(*history, ",")) {
      if (!trim(part).empty()) ids.emplace_back(trim(part));
    }
    if (is_tflite_file(*model_path)) {
      recommend_tflite(*model_path, *catalog, ids, *k, *keep_history, *json);
      return;
    }
    auto loaded = load_model(*model_path);
    RecommendRequest request;
    request.history = resolve_history(loaded.catalog, ids, unknown);
    request.k = *k;
    request.exclude_history = !*keep_history;
    request.catalog = &loaded.catalog;
    auto results = recommend(*loaded.model, request);
    std::vector<Shown> shown;
    for (const auto& r : results) {
      const auto& item = loaded.catalog.item(r.item);
      shown.push_back({item.id, item.title, item.genres, r.score});
    }
    print_recommendations(shown, unknown, *json);
  });
}

}  // namespace pocketrec::cli
