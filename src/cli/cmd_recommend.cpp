#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/text.hpp"
#include "model/model_file.hpp"
#include "runtime/recommend.hpp"

namespace pocketrec::cli {

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
  command->callback([=] {
    auto loaded = load_model(*model_path);
    std::vector<std::string> ids, unknown;
    for (auto part : split(*history, ",")) {
      if (!trim(part).empty()) ids.emplace_back(trim(part));
    }
    RecommendRequest request;
    request.history = resolve_history(loaded.catalog, ids, unknown);
    request.k = *k;
    request.exclude_history = !*keep_history;
    if (!unknown.empty()) {
      std::fprintf(stderr, "ignored %zu unknown item id(s): %s\n", unknown.size(),
                   join(unknown, ", ").c_str());
    }
    auto results = recommend(*loaded.model, request);
    if (*json) {
      auto items = nlohmann::json::array();
      for (const auto& r : results) {
        const auto& item = loaded.catalog.item(r.item);
        items.push_back(
            {{"id", item.id}, {"title", item.title}, {"genres", item.genres}, {"score", r.score}});
      }
      nlohmann::json out = {{"items", items}, {"unknown_ids", unknown}};
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& item = loaded.catalog.item(results[i].item);
      std::printf("%3zu. %-8s %8.4f  %s\n", i + 1, item.id.c_str(), results[i].score,
                  loaded.catalog.label(results[i].item).c_str());
    }
  });
}

}  // namespace pocketrec::cli
