#include "serve/movie_vocab.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace pocketrec::serve {

std::vector<Item> parse_movie_vocab(std::string_view json, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": not valid JSON: " + e.what());
  }
  if (!j.is_array()) throw Error(origin + ": expected a JSON array of movies");
  std::vector<Item> items;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& m = j[i];
    const std::string entry = origin + ": entry " + std::to_string(i);
    if (!m.is_object() || !m.contains("id")) throw Error(entry + " has no id");
    Item e;
    e.id = m["id"].is_string() ? m["id"].get<std::string>() : m["id"].dump();
    if (m.contains("title")) {
      if (!m["title"].is_string()) throw Error(entry + ": title is not a string");
      e.title = m["title"].get<std::string>();
    }
    if (m.contains("genres") && m["genres"].is_array()) {
      for (const auto& g : m["genres"])
        e.genres.push_back(g.is_string() ? g.get<std::string>() : g.dump());
    }
    if (m.contains("count")) {
      if (!m["count"].is_number_unsigned() || m["count"].get<uint64_t>() > UINT32_MAX)
        throw Error(entry + ": count is not a whole number below 2^32");
      e.count = m["count"].get<uint32_t>();
    }
    items.push_back(std::move(e));
  }
  return items;
}

}  // namespace pocketrec::serve
