#include "model/model_file.hpp"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <map>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace pocketrec {
namespace {

constexpr char kMagic[8] = {'P', 'K', 'R', 'E', 'C', 'M', 'D', 'L'};
constexpr uint32_t kVersion = 1;

class Writer {
 public:
  void u32(uint32_t v) { bytes_.append(reinterpret_cast<const char*>(&v), 4); }
  void u64(uint64_t v) { bytes_.append(reinterpret_cast<const char*>(&v), 8); }
  void raw(const void* data, size_t size) { bytes_.append(static_cast<const char*>(data), size); }
  void section(const std::string& name, const std::string& payload) {
    u32(static_cast<uint32_t>(name.size()));
    raw(name.data(), name.size());
    u64(payload.size());
    raw(payload.data(), payload.size());
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

std::string tensor_bytes(const nn::Matrix& m) {
  Writer w;
  w.u32(static_cast<uint32_t>(m.rows));
  w.u32(static_cast<uint32_t>(m.cols));
  w.raw(m.data.data(), m.data.size() * sizeof(float));
  return w.bytes();
}

nn::Matrix read_tensor(const std::string& payload, const std::string& where) {
  if (payload.size() < 8) throw Error(where + ": tensor header truncated");
  uint32_t rows, cols;
  std::memcpy(&rows, payload.data(), 4);
  std::memcpy(&cols, payload.data() + 4, 4);
  uint64_t count = static_cast<uint64_t>(rows) * cols;
  if (rows > (1u << 30) || cols > (1u << 20) || payload.size() != 8 + count * sizeof(float)) {
    throw Error(where + ": tensor shape " + std::to_string(rows) + "x" + std::to_string(cols) +
                " does not match its " + std::to_string(payload.size()) + " bytes");
  }
  nn::Matrix m(static_cast<int>(rows), static_cast<int>(cols));
  std::memcpy(m.data.data(), payload.data() + 8, count * sizeof(float));
  for (float v : m.data) {
    if (!std::isfinite(v)) throw Error(where + ": contains NaN or infinity");
  }
  return m;
}

nlohmann::json catalog_json(const Catalog& catalog) {
  auto items = nlohmann::json::array();
  for (uint32_t i = 1; i <= catalog.size(); ++i) {
    const auto& item = catalog.item(i);
    items.push_back({item.id, item.title, item.genres, item.year, item.count});
  }
  return items;
}

Catalog catalog_from_json(const nlohmann::json& items) {
  Catalog catalog;
  for (const auto& entry : items) {
    CatalogItem item;
    item.id = entry.at(0).get<std::string>();
    item.title = entry.at(1).get<std::string>();
    item.genres = entry.at(2).get<std::vector<std::string>>();
    item.year = entry.at(3).get<int>();
    item.count = entry.at(4).get<uint32_t>();
    catalog.add(std::move(item));
  }
  return catalog;
}

std::map<std::string, std::string> read_sections(const std::string& bytes,
                                                 const std::string& origin) {
  size_t header = sizeof kMagic + 8;
  if (bytes.size() < header + 4 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw Error(origin + ": not a pocketrec model file (bad magic)");
  }
  uint32_t stored_crc;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size() - 4));
  if (crc != stored_crc) throw Error(origin + ": checksum mismatch (file corrupt or truncated)");
  uint32_t version, count;
  std::memcpy(&version, bytes.data() + sizeof kMagic, 4);
  std::memcpy(&count, bytes.data() + sizeof kMagic + 4, 4);
  if (version != kVersion) {
    throw Error(origin + ": model file version " + std::to_string(version) +
                " is not supported (this build reads version " + std::to_string(kVersion) + ")");
  }
  std::map<std::string, std::string> sections;
  size_t at = header, end = bytes.size() - 4;
  for (uint32_t s = 0; s < count; ++s) {
    uint32_t name_size;
    uint64_t size;
    if (end - at < 4) throw Error(origin + ": section table truncated");
    std::memcpy(&name_size, bytes.data() + at, 4);
    at += 4;
    if (end - at < name_size + 8ull) throw Error(origin + ": section name truncated");
    std::string name(bytes.data() + at, name_size);
    at += name_size;
    std::memcpy(&size, bytes.data() + at, 8);
    at += 8;
    if (size > end - at) throw Error(origin + ": section '" + name + "' runs past the end");
    sections[name] = bytes.substr(at, size);
    at += size;
  }
  if (at != end) throw Error(origin + ": trailing bytes after the last section");
  return sections;
}

const std::string& section(const std::map<std::string, std::string>& sections,
                           const std::string& name, const std::string& origin) {
  auto it = sections.find(name);
  if (it == sections.end()) throw Error(origin + ": missing section '" + name + "'");
  return it->second;
}

}  // namespace

void save_model(const std::string& path, const DualEncoder& model, const Catalog& catalog,
                const TrainingState* training) {
  const auto& params = model.parameters();
  std::vector<std::pair<std::string, std::string>> sections;
  nlohmann::json config = {{"model", model.config()}, {"format", "pocketrec-model"}};
  sections.emplace_back("config", config.dump());
  sections.emplace_back("catalog", catalog_json(catalog).dump());
  for (const auto& p : params) sections.emplace_back("tensor/" + p.name, tensor_bytes(p.value));
  if (training) {
    nlohmann::json state = {{"train", training->train},
                            {"optimizer_steps", training->optimizer_steps},
                            {"progress", training->progress},
                            {"slots", training->optimizer_slots.size()}};
    sections.emplace_back("training", state.dump());
    for (size_t i = 0; i < training->optimizer_slots.size(); ++i) {
      sections.emplace_back("slot/" + std::to_string(i),
                            tensor_bytes(training->optimizer_slots[i]));
    }
  }
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.u32(kVersion);
  w.u32(static_cast<uint32_t>(sections.size()));
  for (const auto& [name, payload] : sections) w.section(name, payload);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(w.bytes().data()),
                    static_cast<uInt>(w.bytes().size()));
  w.u32(static_cast<uint32_t>(crc));
  write_file_atomically(path, w.bytes());
}

LoadedModel load_model_from_bytes(const std::string& bytes, const std::string& origin) {
  auto sections = read_sections(bytes, origin);
  LoadedModel loaded;
  try {
    auto config = nlohmann::json::parse(section(sections, "config", origin));
    loaded.catalog = catalog_from_json(nlohmann::json::parse(section(sections, "catalog", origin)));
    auto model_config = config.at("model").get<ModelConfig>();
    if (static_cast<size_t>(model_config.items) != loaded.catalog.size()) {
      throw Error(origin + ": the config says " + std::to_string(model_config.items) +
                  " items but the catalog has " + std::to_string(loaded.catalog.size()));
    }
    try {
      model_config.validate();
    } catch (const Error& e) {
      throw Error(origin + ": " + e.what());
    }
    // The label table ((items + 1) x user dim floats) is stored in the file: a config that
    // declares more than the file holds must not make the loader allocate it first.
    const double label_bytes = (static_cast<double>(model_config.items) + 1) *
                               static_cast<double>(model_config.user_dim()) * sizeof(float);
    if (label_bytes > static_cast<double>(bytes.size())) {
      throw Error(origin + ": the config declares tables larger than the file (" +
                  std::to_string(bytes.size()) + " bytes)");
    }
    loaded.model = std::make_unique<DualEncoder>(model_config);
    for (auto& p : loaded.model->parameters()) {
      auto tensor =
          read_tensor(section(sections, "tensor/" + p.name, origin), origin + ": " + p.name);
      if (tensor.rows != p.value.rows || tensor.cols != p.value.cols) {
        throw Error(origin + ": tensor " + p.name + " is " + std::to_string(tensor.rows) + "x" +
                    std::to_string(tensor.cols) + ", the config needs " +
                    std::to_string(p.value.rows) + "x" + std::to_string(p.value.cols));
      }
      p.value = std::move(tensor);
    }
    if (auto it = sections.find("training"); it != sections.end()) {
      auto state = nlohmann::json::parse(it->second);
      TrainingState training;
      training.train = state.at("train").get<TrainConfig>();
      training.optimizer_steps = state.at("optimizer_steps").get<uint64_t>();
      training.progress = state.at("progress");
      size_t slots = state.at("slots").get<size_t>();
      for (size_t i = 0; i < slots; ++i) {
        training.optimizer_slots.push_back(read_tensor(
            section(sections, "slot/" + std::to_string(i), origin), origin + ": optimizer slot"));
      }
      loaded.training = std::move(training);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": malformed model metadata: " + e.what());
  }
  return loaded;
}

LoadedModel load_model(const std::string& path) {
  return load_model_from_bytes(read_whole_file(path), path);
}

}  // namespace pocketrec
