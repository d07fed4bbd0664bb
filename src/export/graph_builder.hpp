#pragma once
// The exporter's graph builder: adds a dual encoder's tensors and builtin operators to a TFLite
// graph. Each context encoder is one method; the attention encoder's lives in attention_graph.cpp.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "export/tflite_export.hpp"
#include "model/dual_encoder.hpp"
#include "tflite/graph_names.hpp"
#include "tflite/writer.hpp"
#include "tflite/writer_options.hpp"

namespace pocketrec::export_graph {

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

inline const nn::Matrix& param(const DualEncoder& model, const std::string& name) {
  for (const auto& p : model.parameters()) {
    if (p.name == name) return p.value;
  }
  throw Error("export: the model has no parameter '" + name + "'");
}

// Row-major transpose of a [rows, cols] matrix's column block [c0, c0 + n): returns [n, rows].
inline std::vector<float> transposed_columns(const nn::Matrix& m, int c0, int n) {
  std::vector<float> out(static_cast<size_t>(n) * m.rows);
  for (int c = 0; c < n; ++c) {
    for (int r = 0; r < m.rows; ++r) out[static_cast<size_t>(c) * m.rows + r] = m.at(r, c0 + c);
  }
  return out;
}

inline std::vector<float> row_block(const nn::Matrix& m, int row, int c0, int n) {
  return std::vector<float>(m.row(row) + c0, m.row(row) + c0 + n);
}

// Maps model rows (0 = padding, 1..N items) to the rows of the exported tables.
struct IdSpace {
  bool external = false;
  int rows = 0;                    // V
  std::vector<int32_t> model_row;  // exported row -> model row, -1 = not an item
};

// A [V, cols] table in the exported id space; rows without an item are zero.
inline std::vector<float> remap_rows(const nn::Matrix& m, const IdSpace& space) {
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

inline QuantizedRows quantize_rows(const std::vector<float>& table, int rows, int cols) {
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
  // An app may feed any int32: ids below 0 or past the tables become the padding id 0, so every
  // GATHER stays in bounds (TFLite fails the query otherwise) and the id is masked like padding.
  // GATHER(remap, MINIMUM(MAXIMUM(ids, 0), rows)) with remap = [0, 1, ..., rows - 1, 0].
  int guard_ids(int ids, int length, int rows) {
    int zero = g.add_ints("id_guard/zero", Shape{}, {0});
    int top = g.add_ints("id_guard/rows", Shape{}, {rows});
    int low = g.add_tensor("id_guard/at_least_0", DType::kInt32, Shape{length});
    g.add_op(tfl::op(Op::MAXIMUM), {ids, zero}, {low});
    int clamped = g.add_tensor("id_guard/at_most_rows", DType::kInt32, Shape{length});
    g.add_op(tfl::op(Op::MINIMUM), {low, top}, {clamped});
    std::vector<int32_t> remap(static_cast<size_t>(rows) + 1, 0);
    for (int r = 0; r < rows; ++r) remap[r] = r;
    int table = g.add_ints("id_guard/remap", Shape{rows + 1}, remap);
    return gather(table, clamped, Shape{length}, DType::kInt32, "id_guard/ids");
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
      float_context_table_ = t;
      return gather(t, ids, Shape{1, length, dim}, DType::kFloat32,
                    std::string(graph_names::kEmbedded));
    }
    QuantizedRows q = quantize_rows(table, space_.rows, dim);
    int t = g.add_constant("context_embedding_int8", DType::kInt8, Shape{space_.rows, dim},
                           q.values.data(), q.values.size());
    int s = g.add_floats("context_embedding_scale", Shape{space_.rows, 1}, q.scales);
    int rows = gather(t, ids, Shape{1, length, dim}, DType::kInt8, "embedded_int8");
    int as_float = g.add_tensor("embedded_unscaled", DType::kFloat32, Shape{1, length, dim});
    g.add_op(tfl::op(Op::CAST), {rows}, {as_float}, nullptr, 3);
    int scales = gather(s, ids, Shape{1, length, 1}, DType::kFloat32, "embedded_scale");
    return binary(Op::MUL, as_float, scales, std::string(graph_names::kEmbedded));
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
    int mask = reshape_float(valid, Shape{length, 1}, std::string(graph_names::kStepMask));
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
                 graph_names::rnn_state(prefix, t));
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

  ExportResult build();
  // The self-attention encoder's graph: the newest position's output, [1, W].
  int attention(int embedded, int valid);

  GraphWriter g;

 private:
  int float_context_table_ = -1;  // the float32 context table's tensor, for tied labels
  const DualEncoder& model_;
  const ModelConfig& config_;
  const IdSpace& space_;
  const ExportOptions& options_;
};

}  // namespace pocketrec::export_graph
