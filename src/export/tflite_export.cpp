#include "export/tflite_export.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/context_window.hpp"
#include "tflite/pocketrec_metadata.hpp"
#include "tflite/writer_options.hpp"

namespace pocketrec {
namespace {

using tfl::DType;
using tfl::GraphWriter;
using tfl::Shape;
using Op = tflite::BuiltinOperator;
using Act = tflite::ActivationFunctionType;

// Non-items (padding, ids without an item) get this label bias, so they rank below every item
// and a top-K with K <= items never returns them.
constexpr float kNotAnItem = -1e30f;

// Smaller weight matrices stay float32 under --quantize int8: their scales would cost more than
// the bytes saved.
constexpr int64_t kMinQuantizedWeights = 1024;

// Largest external id accepted for an id-space export: tables grow to max id + 1 rows.
constexpr int64_t kMaxExternalId = 1 << 24;

const nn::Matrix& param(const DualEncoder& model, const std::string& name) {
  for (const auto& p : model.parameters()) {
    if (p.name == name) return p.value;
  }
  throw Error("export: the model has no parameter '" + name + "'");
}

// Row-major transpose of a [rows, cols] matrix's column block [c0, c0 + n): returns [n, rows].
std::vector<float> transposed_columns(const nn::Matrix& m, int c0, int n) {
  std::vector<float> out(static_cast<size_t>(n) * m.rows);
  for (int c = 0; c < n; ++c) {
    for (int r = 0; r < m.rows; ++r) out[static_cast<size_t>(c) * m.rows + r] = m.at(r, c0 + c);
  }
  return out;
}

std::vector<float> row_block(const nn::Matrix& m, int row, int c0, int n) {
  return std::vector<float>(m.row(row) + c0, m.row(row) + c0 + n);
}

// Maps model rows (0 = padding, 1..N items) to the rows of the exported tables.
struct IdSpace {
  bool external = false;
  int rows = 0;                    // V
  std::vector<int32_t> model_row;  // exported row -> model row, -1 = not an item
};

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

// A [V, cols] table in the exported id space; rows without an item are zero.
std::vector<float> remap_rows(const nn::Matrix& m, const IdSpace& space) {
  std::vector<float> out(static_cast<size_t>(space.rows) * m.cols, 0.0f);
  for (int r = 0; r < space.rows; ++r) {
    int src = space.model_row[r];
    if (src >= 0)
      std::copy(m.row(src), m.row(src) + m.cols, out.begin() + static_cast<size_t>(r) * m.cols);
  }
  return out;
}

// Symmetric int8 per row: q = round(x / s), s = max|row| / 127.
struct QuantizedRows {
  std::vector<int8_t> values;
  std::vector<float> scales;
};

QuantizedRows quantize_rows(const std::vector<float>& table, int rows, int cols) {
  QuantizedRows q;
  q.values.resize(table.size());
  q.scales.resize(rows);
  for (int r = 0; r < rows; ++r) {
    const float* x = table.data() + static_cast<size_t>(r) * cols;
    float max_abs = 0.0f;
    for (int c = 0; c < cols; ++c) max_abs = std::max(max_abs, std::fabs(x[c]));
    float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    q.scales[r] = scale;
    for (int c = 0; c < cols; ++c) {
      q.values[static_cast<size_t>(r) * cols + c] =
          static_cast<int8_t>(std::clamp(std::lround(x[c] / scale), -127L, 127L));
    }
  }
  return q;
}

class GraphBuilder {
 public:
  GraphBuilder(const DualEncoder& model, const IdSpace& space, const ExportOptions& options)
      : model_(model), config_(model.config()), space_(space), options_(options) {}

  int fc(int input, const std::vector<float>& weight, int units, int in_size, int bias, Act act,
         const std::string& name) {
    int w = weights(name + "/weight", Shape{units, in_size}, weight);
    Shape in = g.shape(input);
    int rows = static_cast<int>(in.elements() / in_size);
    int out = g.add_tensor(name, DType::kFloat32, Shape{rows, units});
    g.add_op(tfl::op(Op::FULLY_CONNECTED), {input, w, bias}, {out},
             tfl::options<tflite::FullyConnectedOptions>(
                 [act](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb, act); }));
    return out;
  }
  // A weight matrix (output channels first). With --quantize int8 it is stored int8 with one
  // scale per output channel and dequantized by the graph: weight-only quantization, so the
  // activations stay float and the scores equal dot(x, q_row) * scale_row, as in pocketrec's own
  // int8 kernel. Runtimes fold the constant DEQUANTIZE once at load.
  int weights(const std::string& name, const Shape& shape, const std::vector<float>& values) {
    if (!options_.quantize_int8 || shape.elements() < kMinQuantizedWeights) {
      return g.add_floats(name, shape, values);
    }
    const int rows = shape[0];
    const int cols = static_cast<int>(shape.elements() / rows);
    QuantizedRows q = quantize_rows(values, rows, cols);
    tfl::Quantization quant;
    quant.scale = q.scales;
    quant.zero_point.assign(q.scales.size(), 0);
    quant.axis = 0;
    int w8 = g.add_constant(name + "_int8", DType::kInt8, shape, q.values.data(), q.values.size(),
                            quant);
    int w = g.add_tensor(name, DType::kFloat32, shape);
    g.add_op(tfl::op(Op::DEQUANTIZE), {w8}, {w}, nullptr, 2);
    return w;
  }
  int bias(const std::vector<float>& values, const std::string& name) {
    return g.add_floats(name + "/bias", Shape{static_cast<int>(values.size())}, values);
  }
  int binary(Op code, int a, int b, const std::string& name) {
    Shape s = g.shape(a).elements() >= g.shape(b).elements() ? g.shape(a) : g.shape(b);
    int out = g.add_tensor(name, DType::kFloat32, s);
    g.add_op(tfl::op(code), {a, b}, {out});
    return out;
  }
  int unary(Op code, int a, const std::string& name) {
    int out = g.add_tensor(name, DType::kFloat32, g.shape(a));
    g.add_op(tfl::op(code), {a}, {out});
    return out;
  }
  int reshape(int input, const Shape& shape, const std::string& name) {
    std::vector<int32_t> dims(shape.dims.begin(), shape.dims.begin() + shape.rank);
    int s = g.add_ints(name + "/shape", Shape{shape.rank}, dims);
    int out = g.add_tensor(name, g.type(input), shape);
    g.add_op(tfl::op(Op::RESHAPE), {input, s}, {out});
    return out;
  }
  int gather(int params, int indices, const Shape& out_shape, DType type, const std::string& name) {
    int out = g.add_tensor(name, type, out_shape);
    g.add_op(tfl::op(Op::GATHER), {params, indices}, {out},
             tfl::options<tflite::GatherOptions>(
                 [](auto& fbb) { return tflite::CreateGatherOptions(fbb, 0); }),
             type == DType::kInt8 ? 2 : 1);
    return out;
  }
  int reduce(Op code, int input, std::vector<int32_t> axes, bool keep_dims,
             const std::string& name) {
    int a = g.add_ints(name + "/axes", Shape{static_cast<int>(axes.size())}, axes);
    Shape in = g.shape(input), out;
    for (int d = 0; d < in.rank; ++d) {
      bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
      if (!reduced) out[out.rank++] = in[d];
      if (reduced && keep_dims) out[out.rank++] = 1;
    }
    int o = g.add_tensor(name, DType::kFloat32, out);
    g.add_op(tfl::op(code), {input, a}, {o},
             tfl::options<tflite::ReducerOptions>(
                 [keep_dims](auto& fbb) { return tflite::CreateReducerOptions(fbb, keep_dims); }));
    return o;
  }
  // Embedding rows of the context ids, [1, L, E] float; int8 tables are gathered, cast and scaled
  // by their gathered row scales.
  int embed(int ids, const std::vector<float>& table, int dim) {
    const int length = config_.context_length;
    if (!options_.quantize_int8) {
      int t = g.add_floats("context_embedding", Shape{space_.rows, dim}, table);
      return gather(t, ids, Shape{1, length, dim}, DType::kFloat32, "embedded");
    }
    QuantizedRows q = quantize_rows(table, space_.rows, dim);
    int t = g.add_constant("context_embedding_int8", DType::kInt8, Shape{space_.rows, dim},
                           q.values.data(), q.values.size());
    int s = g.add_floats("context_embedding_scale", Shape{space_.rows, 1}, q.scales);
    int rows = gather(t, ids, Shape{1, length, dim}, DType::kInt8, "embedded_int8");
    int as_float = g.add_tensor("embedded_unscaled", DType::kFloat32, Shape{1, length, dim});
    g.add_op(tfl::op(Op::CAST), {rows}, {as_float}, nullptr, 3);
    int scales = gather(s, ids, Shape{1, length, 1}, DType::kFloat32, "embedded_scale");
    return binary(Op::MUL, as_float, scales, "embedded");
  }

  int bow(int embedded, int valid) {
    const int length = config_.context_length;
    int valid3 = reshape_float(valid, Shape{1, length, 1}, "valid_column");
    int masked = binary(Op::MUL, embedded, valid3, "masked_embedded");
    int sum = reduce(Op::SUM, masked, {1}, false, "embedded_sum");
    int count = reduce(Op::SUM, valid, {1}, true, "history_count");
    int one = g.add_floats("one", Shape{}, {1.0f});
    int safe_count = binary(Op::MAXIMUM, count, one, "history_count_at_least_one");
    return binary(Op::DIV, sum, safe_count, "pooled");
  }

  int cnn(int embedded, int valid) {
    const int length = config_.context_length;
    const int k = config_.conv_kernel;
    int x = reshape_float(embedded, Shape{1, 1, length, config_.embedding_dim}, "conv_input");
    int mask = reshape_float(valid, Shape{1, 1, length, 1}, "conv_mask_0");
    int channels = config_.embedding_dim;
    int steps = length;
    for (size_t i = 0; i < config_.conv_ratios.size(); ++i) {
      const std::string name = "conv_" + std::to_string(i);
      const nn::Matrix& w = param(model_, name + "/weight");  // [k * C, F]
      const nn::Matrix& b = param(model_, name + "/bias");
      const int filters = w.cols;
      std::vector<float> filter(static_cast<size_t>(filters) * k * channels);
      for (int f = 0; f < filters; ++f) {
        for (int j = 0; j < k; ++j) {
          for (int c = 0; c < channels; ++c) {
            filter[(static_cast<size_t>(f) * k + j) * channels + c] = w.at(j * channels + c, f);
          }
        }
      }
      int wf = weights(name + "/filter", Shape{filters, 1, k, channels}, filter);
      int wb = bias(row_block(b, 0, 0, filters), name);
      steps = (steps + k - 1) / k;
      int y = g.add_tensor(name, DType::kFloat32, Shape{1, 1, steps, filters});
      g.add_op(tfl::op(Op::CONV_2D), {x, wf, wb}, {y},
               tfl::options<tflite::Conv2DOptions>([k](auto& fbb) {
                 return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, k, 1, Act::RELU);
               }));
      // A window is valid when any position in it is: the max of the 0/1 mask over the window.
      int next_mask = g.add_tensor("conv_mask_" + std::to_string(i + 1), DType::kFloat32,
                                   Shape{1, 1, steps, 1});
      g.add_op(tfl::op(Op::MAX_POOL_2D), {mask}, {next_mask},
               tfl::options<tflite::Pool2DOptions>([k](auto& fbb) {
                 return tflite::CreatePool2DOptions(fbb, tflite::Padding::SAME, k, 1, k, 1);
               }));
      x = y;
      mask = next_mask;
      channels = filters;
    }
    // After the ReLU every value is >= 0, so zeroing invalid windows before the max equals a
    // masked max (and gives 0 when nothing is valid, as training does).
    int masked = binary(Op::MUL, x, mask, "conv_masked");
    return reduce(Op::REDUCE_MAX, masked, {1, 2}, false, "pooled");
  }

  int recurrent(int embedded, int valid, bool lstm) {
    const int length = config_.context_length;
    const int units = config_.rnn_units;
    const int dim = config_.embedding_dim;
    const int gates = lstm ? 4 : 3;
    const std::string prefix = lstm ? "lstm" : "gru";
    const nn::Matrix& w_in = param(model_, prefix + "/input");       // [E, gates * H]
    const nn::Matrix& w_rec = param(model_, prefix + "/recurrent");  // [H, gates * H]
    const nn::Matrix& b = param(model_, prefix + "/bias");           // [1, gates * H]
    const char* gate_names = lstm ? "ifgo" : "rzn";
    int x2 = reshape_float(embedded, Shape{length, dim}, "steps");
    std::vector<int> x_gate(gates), r_gate(gates);
    for (int q = 0; q < gates; ++q) {
      std::string name = prefix + "/x_" + gate_names[q];
      x_gate[q] = fc(x2, transposed_columns(w_in, q * units, units), units, dim,
                     bias(row_block(b, 0, q * units, units), name), Act::NONE, name);
      r_gate[q] = weights(prefix + "/recurrent_" + gate_names[q], Shape{units, units},
                          transposed_columns(w_rec, q * units, units));
    }
    int mask = reshape_float(valid, Shape{length, 1}, "step_mask");
    int h = g.add_floats(prefix + "/h0", Shape{1, units}, std::vector<float>(units, 0.0f));
    int c =
        lstm ? g.add_floats(prefix + "/c0", Shape{1, units}, std::vector<float>(units, 0.0f)) : -1;
    for (int t = 0; t < length; ++t) {
      const std::string s = prefix + "/t" + std::to_string(t);
      int index = g.add_ints(s + "/index", Shape{1}, {t});
      int m = gather(mask, index, Shape{1, 1}, DType::kFloat32, s + "/mask");
      std::vector<int> pre(gates), xs(gates);
      for (int q = 0; q < gates; ++q) {
        std::string gname = s + "/" + gate_names[q];
        int xq = gather(x_gate[q], index, Shape{1, units}, DType::kFloat32, gname + "_x");
        int hq = g.add_tensor(gname + "_h", DType::kFloat32, Shape{1, units});
        g.add_op(tfl::op(Op::FULLY_CONNECTED), {h, r_gate[q], -1}, {hq});
        xs[q] = xq;
        if (!lstm && q == 2) {
          pre[q] = hq;  // the GRU candidate adds x after the reset gate scales h
        } else {
          pre[q] = binary(Op::ADD, xq, hq, gname + "_pre");
        }
      }
      int h_new, c_new = -1;
      if (lstm) {
        int i = unary(Op::LOGISTIC, pre[0], s + "/i");
        int f = unary(Op::LOGISTIC, pre[1], s + "/f");
        int gg = unary(Op::TANH, pre[2], s + "/g");
        int o = unary(Op::LOGISTIC, pre[3], s + "/o");
        c_new = binary(Op::ADD, binary(Op::MUL, f, c, s + "/fc"), binary(Op::MUL, i, gg, s + "/ig"),
                       s + "/c_new");
        h_new = binary(Op::MUL, o, unary(Op::TANH, c_new, s + "/tanh_c"), s + "/h_new");
      } else {
        int r = unary(Op::LOGISTIC, pre[0], s + "/r");
        int z = unary(Op::LOGISTIC, pre[1], s + "/z");
        int n = unary(Op::TANH,
                      binary(Op::ADD, xs[2], binary(Op::MUL, r, pre[2], s + "/rh"), s + "/n_pre"),
                      s + "/n");
        // (1 - z) n + z h = n + z (h - n)
        h_new = binary(Op::ADD, n,
                       binary(Op::MUL, z, binary(Op::SUB, h, n, s + "/h_minus_n"), s + "/zd"),
                       s + "/h_new");
      }
      // Padding (mask 0) keeps the state: h + m (h_new - h).
      h = binary(Op::ADD, h, binary(Op::MUL, m, binary(Op::SUB, h_new, h, s + "/dh"), s + "/mdh"),
                 s + "/h");
      if (lstm) {
        c = binary(Op::ADD, c, binary(Op::MUL, m, binary(Op::SUB, c_new, c, s + "/dc"), s + "/mdc"),
                   s + "/c");
      }
    }
    return h;
  }

  int reshape_float(int input, const Shape& shape, const std::string& name) {
    return reshape(input, shape, name);
  }

  ExportResult build() {
    const int length = config_.context_length;
    const int dim = config_.embedding_dim;
    ExportResult result;
    result.external_ids = space_.external;
    result.vocabulary = space_.rows;
    result.top_k = std::min<int>(options_.top_k, config_.items);
    if (result.top_k < 1) throw Error("export: --top-k must be at least 1");

    const std::string input_name = options_.reference_io ? "serving_default_context:0" : "context";
    int context = g.add_tensor(input_name, DType::kInt32, Shape{length});
    int ids = reshape(context, Shape{1, length}, "context_row");
    std::vector<float> valid_table(space_.rows, 0.0f);
    for (int r = 1; r < space_.rows; ++r) valid_table[r] = space_.model_row[r] > 0 ? 1.0f : 0.0f;
    int valid_t = g.add_floats("is_item", Shape{space_.rows}, valid_table);
    int valid = gather(valid_t, ids, Shape{1, length}, DType::kFloat32, "valid");
    const nn::Matrix& context_table = param(model_, "context_embedding");
    int embedded = embed(ids, remap_rows(context_table, space_), dim);

    int x;
    if (config_.encoder == "bow") {
      x = bow(embedded, valid);
    } else if (config_.encoder == "cnn") {
      x = cnn(embedded, valid);
    } else if (config_.encoder == "gru" || config_.encoder == "lstm") {
      x = recurrent(embedded, valid, config_.encoder == "lstm");
    } else {
      throw Error("export: encoder '" + config_.encoder + "' cannot be exported");
    }
    int width = config_.encoder_dim();
    for (const auto& layer : model_.dense_layers()) {
      const int out = layer.weight->cols;
      x = fc(x, transposed_columns(*layer.weight, 0, out), out, width,
             bias(row_block(*layer.bias, 0, 0, out), layer.name),
             layer.relu ? Act::RELU : Act::NONE, layer.name);
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
    int w = weights("label_embedding", Shape{space_.rows, width}, label);
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

  GraphWriter g;

 private:
  const DualEncoder& model_;
  const ModelConfig& config_;
  const IdSpace& space_;
  const ExportOptions& options_;
};

}  // namespace

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
  info.encoder = config.encoder;
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
  result.bytes = builder.g.finish("pocketrec " + config.encoder + " dual encoder");
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
