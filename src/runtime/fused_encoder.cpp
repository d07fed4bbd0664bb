#include "runtime/fused_encoder.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

#include "tflite/ops/dot_rows.hpp"
#include "tflite_generated.h"

namespace pocketrec::runtime {

void FusedEncoder::outside_table(int32_t id) const {
  throw Error("item index " + std::to_string(id) + " is outside the embedding table (" +
              std::to_string(rows_) + " rows)");
}

const tfl::OpSpec* GraphConstants::producer(int tensor, tflite::BuiltinOperator code) const {
  using Op = tflite::BuiltinOperator;
  if (tensor < 0) return nullptr;
  const int o = m_.producer(tensor);
  if (o < 0 || m_.ops()[o].code != static_cast<int>(code)) return nullptr;
  // The matchers read an operator's inputs by position: they must be there. Omitted (-1) inputs
  // are allowed only where the operator has optional ones, past the first two.
  const tfl::OpSpec& op = m_.ops()[o];
  size_t required = 1;
  switch (code) {
    case Op::UNIDIRECTIONAL_SEQUENCE_LSTM:
      required = 20;
      break;
    case Op::STRIDED_SLICE:
      required = 4;
      break;
    case Op::SELECT:
    case Op::SELECT_V2:
      required = 3;
      break;
    case Op::CAST:
    case Op::DEQUANTIZE:
    case Op::MAX_POOL_2D:
    case Op::SOFTMAX:
    case Op::GELU:
      required = 1;
      break;
    default:
      required = 2;
  }
  if (op.inputs.size() < required) return nullptr;
  const bool has_optional = code == Op::FULLY_CONNECTED || code == Op::UNIDIRECTIONAL_SEQUENCE_LSTM;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    if (op.inputs[i] < 0 && (!has_optional || i < 2)) return nullptr;
  }
  return &op;
}

const float* GraphConstants::f32(int tensor) {
  const auto& tensors = m_.tensors();
  if (tensor < 0) return nullptr;
  if (tensors[tensor].data && tensors[tensor].type == tfl::DType::kFloat32)
    return reinterpret_cast<const float*>(tensors[tensor].data);
  const tfl::OpSpec* dequantize = producer(tensor, tflite::BuiltinOperator::DEQUANTIZE);
  if (!dequantize || dequantize->inputs.size() != 1 || dequantize->inputs[0] < 0) return nullptr;
  const tfl::TensorSpec& in = tensors[dequantize->inputs[0]];
  const tfl::Quantization& q = in.quant;
  const bool int8 = in.type == tfl::DType::kInt8;
  if (!in.data || (!int8 && in.type != tfl::DType::kUInt8) || q.scale.empty() ||
      (q.zero_point.size() != q.scale.size() && q.zero_point.size() != 1) ||
      !(in.shape == tensors[tensor].shape)) {
    return nullptr;
  }
  const int64_t n = in.shape.elements();
  if (in.bytes < static_cast<size_t>(n)) return nullptr;
  int64_t inner = 1, channels = 1;
  if (q.scale.size() > 1) {
    if (q.axis < 0 || q.axis >= in.shape.rank ||
        static_cast<int64_t>(q.scale.size()) != in.shape[q.axis]) {
      return nullptr;
    }
    for (int d = q.axis + 1; d < in.shape.rank; ++d) inner *= in.shape[d];
    channels = in.shape[q.axis];
  }
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / inner) % channels;
    const int64_t raw = int8 ? static_cast<int64_t>(reinterpret_cast<const int8_t*>(in.data)[i])
                             : static_cast<int64_t>(reinterpret_cast<const uint8_t*>(in.data)[i]);
    values[i] = q.scale[c] * static_cast<float>(raw - q.zero(c));
  }
  return keep(std::move(values)).data();
}

namespace {

// The int32 constant `tensor` holds, or null.
const int32_t* int32_constant(const tfl::Model& m, int tensor, int64_t& count) {
  if (tensor < 0) return nullptr;
  const auto& t = m.tensors()[tensor];
  count = t.shape.elements();
  if (!t.data || t.type != tfl::DType::kInt32 || t.bytes < static_cast<size_t>(count) * 4) {
    return nullptr;
  }
  return reinterpret_cast<const int32_t*>(t.data);
}

}  // namespace

int tensor_named(const tfl::Model& model, std::string_view name) {
  const auto& tensors = model.tensors();
  for (int i = 0; i < static_cast<int>(tensors.size()); ++i) {
    if (tensors[i].name == name) return i;
  }
  return -1;
}

bool reshapes_graph_input(GraphConstants& constants, const tfl::OpSpec* ids_reshape) {
  using Op = tflite::BuiltinOperator;
  const tfl::Model& m = constants.model();
  if (!ids_reshape || m.inputs().size() != 1 || ids_reshape->inputs.empty()) return false;
  const int input = m.inputs()[0];
  if (ids_reshape->inputs[0] == input) return true;
  const tfl::OpSpec* remap = constants.producer(ids_reshape->inputs[0], Op::GATHER);
  const tfl::OpSpec* upper = remap ? constants.producer(remap->inputs[1], Op::MINIMUM) : nullptr;
  const tfl::OpSpec* lower = upper ? constants.producer(upper->inputs[0], Op::MAXIMUM) : nullptr;
  if (!lower || lower->inputs[0] != input) return false;
  int64_t n_zero = 0, n_top = 0, n_remap = 0;
  const int32_t* zero = int32_constant(m, lower->inputs[1], n_zero);
  const int32_t* top = int32_constant(m, upper->inputs[1], n_top);
  const int32_t* table = int32_constant(m, remap->inputs[0], n_remap);
  if (!zero || !top || !table || n_zero != 1 || n_top != 1 || *zero != 0 || *top != n_remap - 1 ||
      n_remap < 1) {
    return false;
  }
  for (int64_t r = 0; r + 1 < n_remap; ++r) {
    if (table[r] != r) return false;
  }
  return true;
}

EmbeddingRows embedding_rows(GraphConstants& constants, int embedded, int ids_tensor) {
  using Op = tflite::BuiltinOperator;
  const auto& tensors = constants.model().tensors();
  EmbeddingRows rows;
  if (const tfl::OpSpec* gather_e = constants.producer(embedded, Op::GATHER)) {
    const auto& e = tensors[gather_e->inputs[0]];
    const float* table = constants.f32(gather_e->inputs[0]);
    if (gather_e->inputs[1] != ids_tensor || !table || e.shape.rank != 2) return rows;
    rows.f32 = table;
    rows.count = e.shape[0];
    rows.dim = e.shape[1];
    return rows;
  }
  const tfl::OpSpec* scaled = constants.producer(embedded, Op::MUL);
  if (!scaled) return rows;
  const tfl::OpSpec* cast = constants.producer(scaled->inputs[0], Op::CAST);
  const tfl::OpSpec* gather_q = cast ? constants.producer(cast->inputs[0], Op::GATHER) : nullptr;
  const tfl::OpSpec* gather_s = constants.producer(scaled->inputs[1], Op::GATHER);
  if (!gather_q || !gather_s || gather_q->inputs[1] != ids_tensor ||
      gather_s->inputs[1] != ids_tensor) {
    return rows;
  }
  const auto& q = tensors[gather_q->inputs[0]];
  const float* scales = constants.f32(gather_s->inputs[0]);
  if (!q.data || q.type != tfl::DType::kInt8 || q.quant.quantized() || q.shape.rank != 2 ||
      !scales || tensors[gather_s->inputs[0]].shape.elements() != q.shape[0] ||
      q.bytes < static_cast<size_t>(q.shape.elements()) ||
      tensors[gather_s->outputs[0]].shape.elements() != tensors[ids_tensor].shape.elements()) {
    return rows;
  }
  rows.codes = reinterpret_cast<const int8_t*>(q.data);
  rows.scales = scales;
  rows.count = q.shape[0];
  rows.dim = q.shape[1];
  return rows;
}

std::optional<MaskedEmbedding> masked_embedding(GraphConstants& constants, int x_tensor) {
  using Op = tflite::BuiltinOperator;
  const tfl::Model& m = constants.model();
  const auto& tensors = m.tensors();
  const tfl::OpSpec* mul = constants.producer(x_tensor, Op::MUL);
  const tfl::OpSpec* gather = mul ? constants.producer(mul->inputs[0], Op::GATHER) : nullptr;
  const tfl::OpSpec* reshape = mul ? constants.producer(mul->inputs[1], Op::RESHAPE) : nullptr;
  const tfl::OpSpec* cast = reshape ? constants.producer(reshape->inputs[0], Op::CAST) : nullptr;
  const tfl::OpSpec* not_pad = cast ? constants.producer(cast->inputs[0], Op::NOT_EQUAL) : nullptr;
  if (!gather || !not_pad || gather->inputs[1] != not_pad->inputs[0]) return std::nullopt;
  const int ids_tensor = gather->inputs[1];
  const tfl::OpSpec* ids_reshape = constants.producer(ids_tensor, Op::RESHAPE);
  const auto& pad = tensors[not_pad->inputs[1]];
  const auto& x = tensors[x_tensor];
  if (!reshapes_graph_input(constants, ids_reshape) || !pad.data ||
      pad.type != tfl::DType::kInt32 || pad.shape.elements() != 1 || x.shape.rank != 3 ||
      x.shape[0] != 1) {
    return std::nullopt;
  }
  MaskedEmbedding e;
  e.length = x.shape[1];
  if (!(tensors[ids_tensor].shape == tfl::Shape{1, e.length}) ||
      !(tensors[mul->inputs[1]].shape == tfl::Shape{1, e.length, 1})) {
    return std::nullopt;
  }
  e.pad_id = *reinterpret_cast<const int32_t*>(pad.data);
  e.rows = embedding_rows(constants, mul->inputs[0], ids_tensor);
  e.count = e.rows.count;
  e.dim = e.rows.dim;
  if (!e.rows || !(x.shape == tfl::Shape{1, e.length, static_cast<int32_t>(e.dim)}))
    return std::nullopt;
  return e;
}

void MaskedEmbedding::embed(const int32_t* ids, float* x) const {
  for (int i = 0; i < length; ++i) {
    const float mask = ids[i] != pad_id ? 1.0f : 0.0f;
    float* out = x + static_cast<size_t>(i) * dim;
    // One pass over float rows (the starter models' per-query path); int8 rows dequantize first.
    const float* row = rows.row(ids[i], out);  // may be `out` itself
    for (int64_t d = 0; d < dim; ++d) out[d] = row[d] * mask;
  }
}

std::optional<DenseLayer> dense_layer(GraphConstants& constants, const tfl::OpSpec& fc) {
  const auto& tensors = constants.model().tensors();
  if (fc.inputs.size() < 2) return std::nullopt;
  const auto& w = tensors[fc.inputs[1]];
  const float* weights = constants.f32(fc.inputs[1]);
  const float* bias = fc.inputs.size() > 2 ? constants.f32(fc.inputs[2]) : nullptr;
  if (fc.inputs.size() > 2 && fc.inputs[2] >= 0 && !bias) return std::nullopt;
  const auto* o = fc.raw ? fc.raw->builtin_options_as_FullyConnectedOptions() : nullptr;
  const auto act =
      tfl::activation_of(o ? o->fused_activation_function() : tflite::ActivationFunctionType::NONE);
  if (!weights || w.shape.rank != 2 || !act) return std::nullopt;
  if (bias && tensors[fc.inputs[2]].shape.elements() != w.shape[0]) return std::nullopt;
  if (tensors[fc.inputs[0]].shape.elements() % w.shape[1] != 0) return std::nullopt;
  DenseLayer layer{weights, bias, w.shape[0], w.shape[1], *act, {}};
  if (tfl::paired_rows_help())
    layer.pairs = tfl::pair_rows(weights, w.shape[1], w.shape[0], w.shape[1]);
  return layer;
}

bool dense_chain(GraphConstants& constants, int& tensor, std::vector<DenseLayer>& layers) {
  const auto& tensors = constants.model().tensors();
  while (const tfl::OpSpec* fc =
             constants.producer(tensor, tflite::BuiltinOperator::FULLY_CONNECTED)) {
    std::optional<DenseLayer> layer = dense_layer(constants, *fc);
    if (!layer || tensors[fc->inputs[0]].shape.elements() != layer->size) return false;
    layers.push_back(std::move(*layer));
    tensor = fc->inputs[0];
  }
  std::reverse(layers.begin(), layers.end());
  return true;
}

size_t widest(const std::vector<DenseLayer>& layers) {
  size_t n = 0;
  for (const auto& layer : layers) n = std::max(n, static_cast<size_t>(layer.units));
  return n;
}

void run_dense_rows(const DenseLayer& layer, const float* in, int64_t rows, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * layer.size;
    float* y = out + r * layer.units;
    std::fill(y, y + layer.units, 0.0f);
    if (layer.pairs.empty()) {
      tfl::dot_rows_add(x, layer.weights, layer.size, layer.units, layer.size, y);
    } else {
      tfl::dot_rows_add_paired(x, layer.pairs.data(), layer.units, layer.size, y);
    }
    tfl::add_bias_activate(y, layer.bias, layer.units, layer.act);
  }
}

void run_dense(const std::vector<DenseLayer>& layers, const float* in, float* out, float* a,
               float* b) {
  // FULLY_CONNECTED as its kernel computes it: zeros, the dot products, then bias and activation.
  for (size_t l = 0; l < layers.size(); ++l) {
    float* result = l + 1 == layers.size() ? out : (in == a ? b : a);
    run_dense_rows(layers[l], in, 1, result);
    in = result;
  }
}

}  // namespace pocketrec::runtime
