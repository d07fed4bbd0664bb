#pragma once
// pocketrec's own entries in a .tflite file's metadata, so one file is a complete model: model
// info (key=value lines), the catalog (tab-separated lines) and the training config (JSON, for
// tools). Plain text formats so the runtime parses them without a JSON library.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace pocketrec::tfl
