#pragma once
// pocketrec's own model and checkpoint file: magic, version, named sections (config JSON, catalog,
// tensors, optimizer slots, trainer state) and a CRC-32 of everything before it. A model file is
// untrusted input: every size is checked and the checksum verified before anything is used.
// Written atomically.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/catalog.hpp"
#include "model/dual_encoder.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

struct TrainingState {
  TrainConfig train;
  std::vector<nn::Matrix> optimizer_slots;
  uint64_t optimizer_steps = 0;
  nlohmann::json progress;  // epoch, RNG state, best validation score, ...
};

struct LoadedModel {
  std::unique_ptr<DualEncoder> model;
  Catalog catalog;
  std::optional<TrainingState> training;  // present in checkpoints only
};

void save_model(const std::string& path, const DualEncoder& model, const Catalog& catalog,
                const TrainingState* training = nullptr);
LoadedModel load_model(const std::string& path);
LoadedModel load_model_from_bytes(const std::string& bytes, const std::string& origin);

}  // namespace pocketrec
