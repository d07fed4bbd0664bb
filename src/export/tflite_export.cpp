#include "export/tflite_export.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/context_window.hpp"
#include "export/graph_builder.hpp"
#include "tflite/graph_names.hpp"
#include "tflite/pocketrec_metadata.hpp"
#include "tflite/writer_options.hpp"

namespace pocketrec {
namespace {

using namespace export_graph;

IdSpace make_id_space(const Catalog& catalog, bool require_external) {
  IdSpace space;
  int64_t max_id = 0;
  bool integers = true;
  for (uint32_t i = 1; i <= catalog.size() && integers; ++i) {
    auto v = parse_int(catalog.item(i).id);
    if (!v || *v < 1 || *v >= kMaxExternalId) {
      integers = false;
    } else {
      max_id = std::max<int64_t>(max_id, *v);
    }
  }
  const int64_t items = static_cast<int64_t>(catalog.size());
  space.external = integers && max_id + 1 <= 8 * (items + 1);
  if (require_external && !space.external) {
    throw Error(
        "export: --io reference needs item ids that are positive integers (at most 8 times the "
        "item count), as the Android app passes raw ids; this catalog's ids are not");
  }
  if (space.external) {
    space.rows = static_cast<int>(max_id + 1);
    space.model_row.assign(space.rows, -1);
    space.model_row[0] = 0;
    for (uint32_t i = 1; i <= catalog.size(); ++i) {
      space.model_row[*parse_int(catalog.item(i).id)] = static_cast<int32_t>(i);
    }
  } else {
    space.rows = static_cast<int>(items + 1);
    space.model_row.resize(space.rows);
    for (int r = 0; r < space.rows; ++r) space.model_row[r] = r;
  }
  return space;
}

}  // namespace

namespace export_graph {

ExportResult GraphBuilder::build() {
  const int length = config_.context_length;
  const int dim = config_.embedding_dim;
  ExportResult result;
  result.external_ids = space_.external;
  result.vocabulary = space_.rows;
  result.top_k = std::min<int>(options_.top_k, config_.items);
  if (result.top_k < 1) throw Error("export: --top-k must be at least 1");

  const std::string input_name = options_.reference_io ? "serving_default_context:0" : "context";
  int context = g.add_tensor(input_name, DType::kInt32, Shape{length});
  int ids = reshape(guard_ids(context, length, space_.rows), Shape{1, length},
                    std::string(graph_names::kIds));
  std::vector<float> valid_table(space_.rows, 0.0f);
  for (int r = 1; r < space_.rows; ++r) valid_table[r] = space_.model_row[r] > 0 ? 1.0f : 0.0f;
  int valid_t = g.add_floats(std::string(graph_names::kIsItem), Shape{space_.rows}, valid_table);
  int valid =
      gather(valid_t, ids, Shape{1, length}, DType::kFloat32, std::string(graph_names::kValid));
  const nn::Matrix& context_table = param(model_, "context_embedding");
  int embedded = embed(ids, remap_rows(context_table, space_), dim);

  int x;
  switch (config_.encoder) {
    case EncoderKind::kBow:
      x = bow(embedded, valid);
      break;
    case EncoderKind::kCnn:
      x = cnn(embedded, valid);
      break;
    case EncoderKind::kGru:
    case EncoderKind::kLstm:
      x = recurrent(embedded, valid, config_.encoder == EncoderKind::kLstm);
      break;
    case EncoderKind::kAttention:
      x = attention(embedded, valid);
      break;
  }
  int width = config_.encoder_dim();
  for (const auto& layer : model_.dense_layers()) {
    const int out = layer.weight->cols;
    x = fc(x, transposed_columns(*layer.weight, 0, out), out, width,
           bias(row_block(*layer.bias, 0, 0, out), layer.name), layer.relu ? Act::RELU : Act::NONE,
           layer.name);
    width = out;
  }

  // Scores of every id: dot(user, label) + bias, with non-items pushed to the bottom.
  std::vector<float> label = remap_rows(model_.label_table(), space_);
  std::vector<float> label_bias(space_.rows, kNotAnItem);
  const nn::Matrix* model_bias = model_.label_bias();
  for (int r = 1; r < space_.rows; ++r) {
    int src = space_.model_row[r];
    if (src > 0) label_bias[r] = model_bias ? model_bias->at(0, src) : 0.0f;
  }
  int bias_t = g.add_floats("label_bias", Shape{space_.rows}, label_bias);
  int scores = g.add_tensor("scores", DType::kFloat32, Shape{1, space_.rows});
  // Tied tables are one tensor in the file, read by the GATHER and the scores' FULLY_CONNECTED.
  int w = config_.tie_embeddings && float_context_table_ >= 0
              ? float_context_table_
              : weights("label_embedding", Shape{space_.rows, width}, label);
  g.add_op(tfl::op(Op::FULLY_CONNECTED), {x, w, bias_t}, {scores});
  int flat = reshape(scores, Shape{space_.rows}, "scores_flat");
  int k = g.add_ints("top_k", Shape{}, {result.top_k});
  // Default layout: the top values are the scores; reference: sigmoid of them, as the starters.
  int top_values = g.add_tensor(options_.reference_io ? "top_values" : "top_prediction_scores",
                                DType::kFloat32, Shape{result.top_k});
  int top_ids = g.add_tensor("top_prediction_ids", DType::kInt32, Shape{result.top_k});
  int top_scores;
  if (options_.reference_io) {
    g.add_op(tfl::op(Op::TOPK_V2), {flat, k}, {top_values, top_ids});
    top_scores = g.add_tensor("top_prediction_scores", DType::kFloat32, Shape{result.top_k});
    g.add_op(tfl::op(Op::LOGISTIC), {top_values}, {top_scores});
  } else {
    top_scores = top_values;
    g.add_op(tfl::op(Op::TOPK_V2), {flat, k}, {top_scores, top_ids});
  }
  g.set_inputs({context});
  g.set_outputs({top_ids, top_scores});
  g.add_signature("serving_default", {{"context", context}},
                  {{"top_prediction_ids", top_ids}, {"top_prediction_scores", top_scores}});
  return result;
}

}  // namespace export_graph

ExportResult export_tflite(const DualEncoder& model, const Catalog& catalog,
                           const ExportOptions& options) {
  const ModelConfig& config = model.config();
  if (config.has_features()) {
    throw Error(
        "export: models with side features (genre, year, rating, user attributes) cannot be "
        "exported to .tflite yet; the exported signature takes item ids only");
  }
  if (static_cast<size_t>(config.items) != catalog.size()) {
    throw Error("export: the model has " + std::to_string(config.items) +
                " items but its catalog " + std::to_string(catalog.size()));
  }
  IdSpace space = make_id_space(catalog, options.reference_io);
  GraphBuilder builder(model, space, options);
  ExportResult result = builder.build();
  tfl::ModelInfo info;
  info.encoder = std::string(name(config.encoder));
  info.context_length = config.context_length;
  info.layout = history_layout_name(config.layout);
  info.external_ids = space.external;
  info.top_k = result.top_k;
  info.scores = options.reference_io ? "sigmoid" : "logit";
  info.quantized = options.quantize_int8;
  nlohmann::json config_json = config;
  std::vector<tfl::CatalogEntry> entries;
  for (uint32_t i = 1; i <= catalog.size(); ++i) {
    const auto& item = catalog.item(i);
    entries.push_back({item.id, item.title, item.genres, item.count});
  }
  builder.g.add_metadata(tfl::kInfoMetadata, tfl::format_model_info(info));
  builder.g.add_metadata(tfl::kCatalogMetadata, tfl::format_catalog(entries));
  builder.g.add_metadata(tfl::kConfigMetadata, config_json.dump());
  result.bytes = builder.g.finish("pocketrec " + info.encoder + " dual encoder");
  return result;
}

std::string reference_app_config(const std::string& model_file, const ExportResult& result,
                                 int context_length) {
  nlohmann::ordered_json j;
  j["model"] = model_file;
  j["inputs"] = nlohmann::json::array(
      {{{"name", "movieFeature"}, {"index", 0}, {"inputLength", context_length}}});
  j["movieList"] = "sorted_movie_vocab.json";
  j["topK"] = std::min(10, result.top_k);
  j["outputLength"] = result.top_k;
  j["outputIdsIndex"] = 0;
  j["outputScoresIndex"] = 1;
  return j.dump(2) + "\n";
}

std::string reference_movie_vocab(const Catalog& catalog) {
  std::vector<uint32_t> order;
  for (uint32_t i = 1; i <= catalog.size(); ++i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return catalog.item(a).count > catalog.item(b).count;
  });
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (uint32_t i : order) {
    const auto& item = catalog.item(i);
    nlohmann::ordered_json j;
    j["id"] = *parse_int(item.id);
    j["title"] = item.title;
    j["genres"] = item.genres;
    j["count"] = item.count;
    items.push_back(j);
  }
  return items.dump() + "\n";
}

}  // namespace pocketrec
