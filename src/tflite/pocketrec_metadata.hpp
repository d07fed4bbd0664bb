#pragma once
// pocketrec's own entries in a .tflite file's metadata, so one file is a complete model: model
// info (key=value lines), the catalog (tab-separated lines) and the training config (JSON, for
// tools). Plain text formats so the runtime parses them without a JSON library.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pocketrec/error.hpp"

namespace pocketrec::tfl {

inline constexpr const char* kInfoMetadata = "pocketrec_info";
inline constexpr const char* kCatalogMetadata = "pocketrec_catalog";
inline constexpr const char* kConfigMetadata = "pocketrec_config";

struct ModelInfo {
  int format = 1;
  std::string encoder;
  int context_length = 0;
  std::string layout;         // newest-last | oldest-first
  bool external_ids = false;  // graph ids are the catalog's integer ids, else catalog rows 1..N
  int top_k = 0;
  std::string scores;  // logit | sigmoid
  bool quantized = false;
};

struct CatalogEntry {
  std::string id;
  std::string title;
  std::vector<std::string> genres;
  uint32_t count = 0;
};

std::string format_model_info(const ModelInfo& info);
// Throws Error naming `origin` on a malformed entry.
ModelInfo parse_model_info(std::string_view text, const std::string& origin);

std::string format_catalog(const std::vector<CatalogEntry>& items);
std::vector<CatalogEntry> parse_catalog(std::string_view text, const std::string& origin);
// The same entries one at a time, without building them: fn(id, title, genres, count), with
// genres the '|'-separated field as stored.
template <typename Fn>
void for_each_catalog_entry(std::string_view text, const std::string& origin, Fn&& fn);
// One line of the catalog; false (and `error` set) when it is malformed.
bool parse_catalog_line(std::string_view line, std::string_view fields[3], uint32_t& count,
                        std::string& error);

template <typename Fn>
void for_each_catalog_entry(std::string_view text, const std::string& origin, Fn&& fn) {
  int line_no = 0;
  std::string_view fields[3];
  std::string error;
  while (!text.empty()) {
    ++line_no;
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    uint32_t count = 0;
    if (!parse_catalog_line(line, fields, count, error)) {
      throw Error(origin + ": metadata '" + kCatalogMetadata + "' line " + std::to_string(line_no) +
                  ": " + error);
    }
    fn(fields[0], fields[1], fields[2], count);
  }
}

}  // namespace pocketrec::tfl
