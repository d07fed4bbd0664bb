#pragma once
// Small random dual encoders with catalogs, their exports, and the model's own ranking to compare
// exported graphs against.
#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "data/catalog.hpp"
#include "export/tflite_export.hpp"
#include "model/dual_encoder.hpp"

namespace pocketrec::testing {

struct ExportCase {
  std::string name;
  ModelConfig config;
};

inline std::vector<ExportCase> export_cases() {
  std::vector<ExportCase> cases;
  auto base = [](const std::string& encoder) {
    ModelConfig c;
    c.encoder = parse_encoder(encoder);
    c.items = 40;
    c.context_length = 7;
    c.embedding_dim = 6;
    c.hidden = {5};
    c.output_dim = 4;
    c.rnn_units = 5;
    c.conv_kernel = 2;
    c.conv_ratios = {2, 1};
    return c;
  };
  cases.push_back({"bow", base("bow")});
  cases.push_back({"cnn", base("cnn")});
  cases.push_back({"gru", base("gru")});
  cases.push_back({"lstm", base("lstm")});
  ModelConfig attention = base("attention");
  attention.attention.heads = 2;
  attention.attention.ffn_dim = 9;
  cases.push_back({"attention", attention});
  ModelConfig attention_relu = base("attention");
  attention_relu.attention.blocks = 1;
  attention_relu.attention.activation = Activation::kRelu;
  attention_relu.hidden = {};
  attention_relu.output_dim = 0;
  attention_relu.tie_embeddings = true;
  cases.push_back({"attention_relu_tied", attention_relu});
  ModelConfig tied = base("bow");
  tied.hidden = {};
  tied.output_dim = 6;
  tied.tie_embeddings = true;
  tied.label_bias = false;
  tied.final_relu = true;
  cases.push_back({"bow_tied_relu", tied});
  ModelConfig reference = base("cnn");
  reference.layout = HistoryLayout::kOldestFirst;
  reference.output_dim = 0;
  cases.push_back({"cnn_oldest_first", reference});
  return cases;
}

// External ids 3, 5, 7, ... (integers, so the export keeps them) or "item-i" strings.
inline Catalog make_catalog(int items, bool integer_ids) {
  Catalog catalog;
  for (int i = 1; i <= items; ++i) {
    CatalogItem item;
    item.id = integer_ids ? std::to_string(2 * i + 1) : "item-" + std::to_string(i);
    item.title = "Title " + std::to_string(i);
    item.genres = {i % 2 ? "Drama" : "Comedy"};
    item.count = static_cast<uint32_t>(100 - i);
    catalog.add(item);
  }
  return catalog;
}

inline DualEncoder make_model(const ModelConfig& config, uint64_t seed) {
  DualEncoder model(config);
  model.initialize(seed);
  // Random biases, so bias handling is exercised.
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (auto& p : model.parameters()) {
    if (p.name.find("bias") != std::string::npos) {
      for (float& v : p.value.data) v = normal(rng);
    }
  }
  return model;
}

// Histories of catalog rows (1..N), oldest first: empty, short, full, longer than L, repeats.
inline std::vector<std::vector<uint32_t>> sample_histories(int items, int length) {
  std::vector<std::vector<uint32_t>> out = {{}, {3}, {1, 2}, {5, 5, 9}};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> item(1, items);
  for (int n : {length - 1, length, length + 3}) {
    std::vector<uint32_t> h;
    for (int i = 0; i < n; ++i) h.push_back(static_cast<uint32_t>(item(rng)));
    out.push_back(h);
  }
  return out;
}

struct Ranked {
  std::vector<uint32_t> rows;  // catalog rows, best first
  std::vector<float> scores;
};

// The trained model's own top-k over items 1..N for one history.
Ranked model_top_k(const DualEncoder& model, const std::vector<uint32_t>& history, int k);

}  // namespace pocketrec::testing
