#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <charconv>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/error.hpp"
#include "runtime/fused_attention.hpp"
#include "runtime/fused_bow.hpp"
#include "runtime/fused_cnn.hpp"
#include "runtime/fused_rnn.hpp"
#include "runtime/recommender_impl.hpp"
#include "tflite/interpreter.hpp"
#include "tflite/pocketrec_metadata.hpp"
#include "tflite_generated.h"

namespace pocketrec {
namespace {

using Op = tflite::BuiltinOperator;

std::optional<int64_t> to_integer(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct LabelScoring {
  int fc_op = -1;
  int user = -1;
  int rows = 0, dim = 0;
  const float* f32 = nullptr;
  const int8_t* i8 = nullptr;
  std::vector<float> scales;
  const float* bias = nullptr;
  bool sigmoid = false;
};

// Recognises the dual encoder's scoring tail: FULLY_CONNECTED(user [1, D], label [V, D] (constant,
// or DEQUANTIZE of an int8 constant with per-row scales), bias [V]?) -> RESHAPE* -> TOPK_V2
// -> (LOGISTIC). Returns nothing for graphs of any other shape; they run whole.
std::optional<LabelScoring> find_label_scoring(const tfl::Model& m, int ids_output,
                                               int scores_output) {
  const auto& ops = m.ops();
  const auto& tensors = m.tensors();
  // A damaged file can give an operator fewer inputs or outputs than its code needs; the
  // operators' own checks run later, so every index is checked here before it is read.
  auto input = [&](int o, size_t i) {
    return o >= 0 && i < ops[o].inputs.size() ? ops[o].inputs[i] : -1;
  };
  auto output = [&](int o, size_t i) {
    return o >= 0 && i < ops[o].outputs.size() ? ops[o].outputs[i] : -1;
  };
  int topk = m.producer(m.outputs()[ids_output]);
  if (topk < 0 || ops[topk].code != static_cast<int>(Op::TOPK_V2)) return std::nullopt;
  if (output(topk, 0) < 0 || input(topk, 0) < 0) return std::nullopt;
  LabelScoring s;
  int scores_tensor = m.outputs()[scores_output];
  if (scores_tensor != output(topk, 0)) {
    int p = m.producer(scores_tensor);
    if (p < 0 || ops[p].code != static_cast<int>(Op::LOGISTIC) || input(p, 0) != output(topk, 0)) {
      return std::nullopt;
    }
    s.sigmoid = true;
  }
  int t = input(topk, 0);
  int op = m.producer(t);
  while (op >= 0 && ops[op].code == static_cast<int>(Op::RESHAPE) && input(op, 0) >= 0)
    op = m.producer(input(op, 0));
  if (op < 0 || ops[op].code != static_cast<int>(Op::FULLY_CONNECTED)) return std::nullopt;
  if (const auto* o = ops[op].raw->builtin_options_as_FullyConnectedOptions();
      o && o->fused_activation_function() != tflite::ActivationFunctionType::NONE) {
    return std::nullopt;
  }
  const auto& in = ops[op].inputs;
  if (in.size() < 2 || in[0] < 0 || in[1] < 0) return std::nullopt;
  int w = in[1];
  if (tensors[w].shape.rank != 2) return std::nullopt;
  s.rows = tensors[w].shape[0];
  s.dim = tensors[w].shape[1];
  if (tensors[in[0]].shape.elements() != s.dim) return std::nullopt;
  if (tensors[w].data && tensors[w].type == tfl::DType::kFloat32) {
    s.f32 = reinterpret_cast<const float*>(tensors[w].data);
  } else {
    int dq = m.producer(w);
    if (dq < 0 || ops[dq].code != static_cast<int>(Op::DEQUANTIZE) || input(dq, 0) < 0) {
      return std::nullopt;
    }
    const auto& q = tensors[input(dq, 0)];
    if (!q.data || q.type != tfl::DType::kInt8 || !q.quant.quantized()) return std::nullopt;
    if (q.quant.scale.size() != 1 &&
        (q.quant.axis != 0 || q.quant.scale.size() != static_cast<size_t>(s.rows))) {
      return std::nullopt;
    }
    for (int64_t z : q.quant.zero_point) {
      if (z != 0) return std::nullopt;
    }
    s.i8 = reinterpret_cast<const int8_t*>(q.data);
    s.scales = q.quant.scale;
  }
  if (in.size() > 2 && in[2] >= 0) {
    const auto& b = tensors[in[2]];
    if (!b.data || b.type != tfl::DType::kFloat32 || b.shape.elements() != s.rows)
      return std::nullopt;
    s.bias = reinterpret_cast<const float*>(b.data);
  }
  s.fc_op = op;
  s.user = in[0];
  return s;
}

// A fused encoder of this graph, if one matches it and gives the interpreter's user vectors to
// the bit on a spread of inputs (padding at either end, repeats, every part of the id range).
std::unique_ptr<const runtime::FusedEncoder> verified_fused_encoder(
    const std::shared_ptr<const tfl::Model>& model, int user_tensor, int dim, int context_length) {
  if (model->inputs().size() != 1) return nullptr;
  std::unique_ptr<runtime::FusedEncoder> fused = runtime::FusedBow::match(*model, user_tensor);
  if (!fused) fused = runtime::FusedRnn::match(*model, user_tensor);
  if (!fused) fused = runtime::FusedSequenceLstm::match(*model, user_tensor);
  if (!fused) fused = runtime::FusedCnn::match(*model, user_tensor);
  if (!fused) fused = runtime::FusedAttention::match(*model, user_tensor);
  if (!fused || fused->dim() != dim || fused->length() != context_length || fused->rows() < 1)
    return nullptr;
  tfl::Interpreter interp(model, user_tensor);
  if (interp.input(0).type != tfl::DType::kInt32 || interp.input(0).elements() != fused->length())
    return nullptr;
  std::vector<float> scratch(fused->scratch_floats()), user(dim);
  const int length = fused->length();
  for (int trial = 0; trial < 16; ++trial) {
    int32_t* ids = interp.input(0).as<int32_t>();
    for (int i = 0; i < length; ++i) {
      const bool padding =
          (trial % 4 == 1 && i < trial % length) || (trial % 4 == 2 && i > trial % length);
      ids[i] = padding ? 0
                       : static_cast<int32_t>((trial * 7919u + i * 104729u) % 1000003u %
                                              static_cast<uint32_t>(fused->rows()));
    }
    if (trial == 3) std::fill(ids, ids + length, 0);  // nothing but padding
    interp.reset_variables();
    interp.invoke();
    fused->encode(ids, user.data(), scratch.data());
    if (std::memcmp(user.data(), interp.tensor(user_tensor).data, dim * sizeof(float)) != 0)
      return nullptr;
  }
  return fused;
}

}  // namespace

Recommender::Recommender() : impl_(std::make_unique<Impl>()) {}
Recommender::~Recommender() = default;

std::shared_ptr<const Recommender> Recommender::load_file(const std::string& path,
                                                          ModelLoadOptions options) {
  return from_model(tfl::Model::load_file(path), std::move(options));
}

std::shared_ptr<const Recommender> Recommender::load_buffer(const void* data, size_t size,
                                                            const std::string& origin,
                                                            ModelLoadOptions options) {
  return from_model(tfl::Model::from_bytes(data, size, origin), std::move(options));
}

namespace {

using Impl = Recommender::Impl;

// The graph: one int32 history input; top-K outputs bound by name, else by dtype. Read from the
// verified tensor specs: no interpreter (which would plan the whole graph) is needed for this.
void bind_graph_io(const tfl::Model& model, Impl& d) {
  const std::string& origin = model.origin();
  const auto& tensors = model.tensors();
  const auto& outputs = model.outputs();
  if (model.inputs().size() != 1 || tensors[model.inputs()[0]].type != tfl::DType::kInt32 ||
      tensors[model.inputs()[0]].shape.elements() < 1) {
    throw Error(origin + ": expected one int32 history input");
  }
  d.summary.context_length = static_cast<int>(tensors[model.inputs()[0]].shape.elements());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& t = tensors[outputs[i]];
    if (t.name == "top_prediction_ids") d.ids_output = static_cast<int>(i);
    if (t.name == "top_prediction_scores") d.scores_output = static_cast<int>(i);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& t = tensors[outputs[i]];
    if (d.ids_output < 0 && t.type == tfl::DType::kInt32) d.ids_output = static_cast<int>(i);
    if (d.scores_output < 0 && t.type == tfl::DType::kFloat32)
      d.scores_output = static_cast<int>(i);
  }
  if (d.ids_output < 0 || d.scores_output < 0 ||
      tensors[outputs[d.ids_output]].shape.elements() !=
          tensors[outputs[d.scores_output]].shape.elements()) {
    throw Error(origin + ": expected top-K outputs: int32 ids and float32 scores of one length");
  }
  d.summary.graph_top_k = static_cast<int>(tensors[outputs[d.ids_output]].shape.elements());
}

// The catalog: given, from the metadata, or (foreign models) every graph id of the table; each
// item mapped to its graph id.
void load_catalog(const tfl::Model& model, const std::optional<LabelScoring>& scoring,
                  bool rows_are_ids, ModelLoadOptions& options, Impl& d) {
  const std::string& origin = model.origin();
  if (options.catalog) {
    for (const Item& item : *options.catalog) d.items.add(item);
    options.catalog.reset();
  } else if (auto text = model.metadata(tfl::kCatalogMetadata)) {
    tfl::for_each_catalog_entry(
        *text, origin,
        [&](std::string_view id, std::string_view title, std::string_view genres, uint32_t count) {
          d.items.add(id, title, genres, count);
        });
  } else if (scoring) {
    for (int g = 1; g < scoring->rows; ++g) d.items.add(std::to_string(g), "", "", 0);
  } else {
    throw Error(origin + ": the model has no catalog; give one (sorted_movie_vocab.json)");
  }
  d.items.finish(origin);
  bool identity = true;
  for (uint32_t i = 0; i < d.items.size(); ++i) {
    int64_t g = i + 1;
    if (rows_are_ids) {
      auto v = to_integer(d.items.id(i));
      if (!v || *v <= 0 || *v > INT32_MAX) {
        throw Error(origin + ": catalog id '" + std::string(d.items.id(i)) +
                    "' is not a positive integer id");
      }
      g = *v;
    }
    if (scoring && g >= scoring->rows) {
      throw Error(origin + ": catalog id '" + std::string(d.items.id(i)) +
                  "' is beyond the model's " + std::to_string(scoring->rows) + "-row table");
    }
    if (identity && g != i + 1) {
      identity = false;
      d.graph_ids.reserve(d.items.size());
      for (uint32_t j = 0; j < i; ++j) d.graph_ids.push_back(static_cast<int32_t>(j) + 1);
    }
    if (!identity) d.graph_ids.push_back(static_cast<int32_t>(g));
    if (!scoring) d.item_of_graph_id.emplace_back(static_cast<int32_t>(g), i);
  }
  std::sort(d.item_of_graph_id.begin(), d.item_of_graph_id.end());
  d.summary.items = d.items.size();
}

// The label rows of the catalog's items, in catalog order, as the scoring kernels' table (and
// each row's inverse norm, for similar-item queries).
void build_score_table(const LabelScoring& scoring, const ModelLoadOptions& options,
                       const std::string& origin, Impl& d) {
  const size_t n = d.items.size();
  std::vector<float> bias(scoring.bias ? n : 0);
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = scoring.bias[d.graph_id(i)];
  const int dim = scoring.dim;
  d.inv_norm.resize(n);
  auto set_norm = [&](size_t i, auto row, float scale) {
    double sq = 0.0;
    for (int k = 0; k < dim; ++k) sq += double(row[k]) * row[k];
    sq *= double(scale) * scale;
    d.inv_norm[i] = sq > 0.0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
  };
  if (scoring.f32) {
    std::vector<float> rows(n * dim);
    for (size_t i = 0; i < n; ++i) {
      std::copy_n(scoring.f32 + static_cast<size_t>(d.graph_id(i)) * dim, dim,
                  rows.begin() + i * dim);
      set_norm(i, rows.data() + i * dim, 1.0f);
    }
    d.table = runtime::ScoreTable::from_float(rows, static_cast<int>(n), dim, bias, origin);
    if (!options.prefilter) d.table.disable_prefilter();
  } else {
    std::vector<int8_t> rows(n * dim);
    std::vector<float> scales(n);
    for (size_t i = 0; i < n; ++i) {
      std::copy_n(scoring.i8 + static_cast<size_t>(d.graph_id(i)) * dim, dim,
                  rows.begin() + i * dim);
      scales[i] = scoring.scales.size() == 1 ? scoring.scales[0] : scoring.scales[d.graph_id(i)];
      set_norm(i, rows.data() + i * dim, scales[i]);
    }
    d.table = runtime::ScoreTable::from_int8(rows, scales, static_cast<int>(n), dim, bias, origin);
    d.summary.quantized = true;
  }
  d.user_tensor = scoring.user;
  d.summary.fast_path = true;
  d.summary.prefilter = d.table.has_prefilter();
  d.summary.dim = dim;
  d.summary.sigmoid_scores = scoring.sigmoid;
  d.summary.table_bytes = d.table.bytes();
  d.summary.filter_bytes = d.table.filter_bytes();
}

// Loading reads the whole file once (the label rows and bias go into the score table, the catalog
// into the item table, the verification of the fused encoder reads scattered embedding rows);
// queries then read a few rows each. So the file's pages leave the resident set when the load is
// done, and come back one by one from the page cache as queries read them; the load's freed
// temporaries are returned too. A 1M-item int8 model then holds less than the file's size plus
// its filter codes (runtime_memory_bound, docs/BENCHMARKS.md).
void release_load_memory(const tfl::Model& model) {
  model.release_pages(model.file_bytes(), model.file_size());
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

std::shared_ptr<const Recommender> Recommender::from_model(std::shared_ptr<const tfl::Model> model,
                                                           ModelLoadOptions options) {
  std::shared_ptr<Recommender> r(new Recommender());
  r->impl_->model = model;
  Impl& d = *r->impl_;
  const std::string& origin = model->origin();

  std::optional<tfl::ModelInfo> info;
  if (auto text = model->metadata(tfl::kInfoMetadata)) info = tfl::parse_model_info(*text, origin);
  d.newest_last = info && info->layout == "newest-last";
  d.summary.encoder = info ? info->encoder : "unknown";
  d.summary.layout = d.newest_last ? "newest-last" : "oldest-first";
  d.summary.file_bytes = model->file_size();

  bind_graph_io(*model, d);
  auto scoring = find_label_scoring(*model, d.ids_output, d.scores_output);
  // Prepare the part of the graph sessions will run once now, so an unsupported operator or
  // inconsistent shapes fail the load, not the first session.
  tfl::Interpreter check(model, scoring ? scoring->user : -1);
  load_catalog(*model, scoring, info ? info->external_ids : true, options, d);
  if (scoring) {
    build_score_table(*scoring, options, origin, d);
    if (options.fused_encoders) {
      d.fused =
          verified_fused_encoder(model, d.user_tensor, d.summary.dim, d.summary.context_length);
    }
    d.summary.fused_encoder = d.fused != nullptr;
    if (d.fused) d.summary.fused_encoder_name = d.fused->name();
  }
  release_load_memory(*model);
  return r;
}

size_t Recommender::item_count() const {
  return impl_->items.size();
}
Item Recommender::item(uint32_t index) const {
  return impl_->items.item(index);
}
std::string_view Recommender::item_id(uint32_t index) const {
  if (index >= impl_->items.size()) {
    throw Error("item index " + std::to_string(index) + " is out of range");
  }
  return impl_->items.id(index);
}
std::optional<uint32_t> Recommender::find(std::string_view id) const {
  return impl_->items.find(id);
}
const ModelSummary& Recommender::summary() const {
  return impl_->summary;
}
std::unique_ptr<Session> Recommender::new_session() const {
  return std::make_unique<Session>(shared_from_this());
}

}  // namespace pocketrec
