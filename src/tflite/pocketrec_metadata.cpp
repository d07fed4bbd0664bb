#include "tflite/pocketrec_metadata.hpp"

#include <charconv>

#include "core/error.hpp"

namespace pocketrec::tfl {
namespace {

std::vector<std::string_view> split_view(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

template <typename T = int>
T to_int(std::string_view v, const std::string& where) {
  T out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size())
    throw Error(where + ": not an integer: '" + std::string(v) + "'");
  return out;
}

// Tabs and newlines inside a field would break the line format.
std::string clean(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string format_model_info(const ModelInfo& info) {
  std::string s;
  s += "format=" + std::to_string(info.format) + "\n";
  s += "encoder=" + info.encoder + "\n";
  s += "context_length=" + std::to_string(info.context_length) + "\n";
  s += "layout=" + info.layout + "\n";
  s += std::string("ids=") + (info.external_ids ? "external" : "catalog-row") + "\n";
  s += "top_k=" + std::to_string(info.top_k) + "\n";
  s += "scores=" + info.scores + "\n";
  s += std::string("weights=") + (info.quantized ? "int8" : "float32") + "\n";
  return s;
}

ModelInfo parse_model_info(std::string_view text, const std::string& origin) {
  ModelInfo info;
  const std::string where = origin + ": metadata '" + kInfoMetadata + "'";
  int line_no = 0;
  for (std::string_view line : split_view(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      throw Error(where + " line " + std::to_string(line_no) + ": no '='");
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "format") {
      info.format = to_int(value, where);
    } else if (key == "encoder") {
      info.encoder = value;
    } else if (key == "context_length") {
      info.context_length = to_int(value, where);
    } else if (key == "layout") {
      info.layout = value;
    } else if (key == "ids") {
      info.external_ids = value == "external";
    } else if (key == "top_k") {
      info.top_k = to_int(value, where);
    } else if (key == "scores") {
      info.scores = value;
    } else if (key == "weights") {
      info.quantized = value == "int8";
    }  // unknown keys: written by a newer pocketrec, safe to ignore
  }
  if (info.format != 1)
    throw Error(where + ": format " + std::to_string(info.format) + " is not supported");
  if (info.layout != "newest-last" && info.layout != "oldest-first") {
    throw Error(where + ": unknown history layout '" + info.layout + "'");
  }
  return info;
}

std::string format_catalog(const std::vector<CatalogEntry>& items) {
  std::string s;
  for (const CatalogEntry& item : items) {
    s += clean(item.id) + '\t' + clean(item.title) + '\t';
    for (size_t g = 0; g < item.genres.size(); ++g) {
      if (g) s += '|';
      s += clean(item.genres[g]);
    }
    s += '\t' + std::to_string(item.count) + '\n';
  }
  return s;
}

bool parse_catalog_line(std::string_view line, std::string_view fields[3], uint32_t& count,
                        std::string& error) {
  std::string_view rest = line;
  for (int f = 0; f < 3; ++f) {
    const size_t tab = rest.find('\t');
    if (tab == std::string_view::npos) {
      error = "expected 4 tab-separated fields, found " + std::to_string(f + 1);
      return false;
    }
    fields[f] = rest.substr(0, tab);
    rest = rest.substr(tab + 1);
  }
  if (rest.find('\t') != std::string_view::npos) {
    error =
        "expected 4 tab-separated fields, found " + std::to_string(split_view(line, '\t').size());
    return false;
  }
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), count);
  if (ec != std::errc() || ptr != rest.data() + rest.size()) {
    error = "not an integer: '" + std::string(rest) + "'";
    return false;
  }
  return true;
}

std::vector<CatalogEntry> parse_catalog(std::string_view text, const std::string& origin) {
  std::vector<CatalogEntry> items;
  for_each_catalog_entry(
      text, origin,
      [&](std::string_view id, std::string_view title, std::string_view genres, uint32_t count) {
        CatalogEntry e;
        e.id = id;
        e.title = title;
        if (!genres.empty()) {
          for (auto g : split_view(genres, '|')) e.genres.emplace_back(g);
        }
        e.count = count;
        items.push_back(std::move(e));
      });
  return items;
}

}  // namespace pocketrec::tfl
