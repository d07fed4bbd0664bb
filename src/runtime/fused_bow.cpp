#include "runtime/fused_bow.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "tflite/ops/dot_rows.hpp"
#include "tflite_generated.h"

namespace pocketrec::runtime {
namespace {

using Op = tflite::BuiltinOperator;

}  // namespace

std::optional<FusedBow> FusedBow::match(const tfl::Model& m, int user_tensor) {
  const auto& ops = m.ops();
  const auto& tensors = m.tensors();
  auto op_of = [&](int tensor, Op code) -> const tfl::OpSpec* {
    if (tensor < 0) return nullptr;
    const int o = m.producer(tensor);
    return o >= 0 && ops[o].code == static_cast<int>(code) ? &ops[o] : nullptr;
  };
  FusedBow f;
  // A float constant, or the output of a DEQUANTIZE of an int8 (uint8) constant (the weights of
  // --quantize int8 exports), dequantized here with the kernel's arithmetic: real = scale[c] *
  // (q - zero_point[c]).
  auto constant_f32 = [&](int tensor) -> const float* {
    if (tensor < 0) return nullptr;
    if (tensors[tensor].data && tensors[tensor].type == tfl::DType::kFloat32)
      return reinterpret_cast<const float*>(tensors[tensor].data);
    const tfl::OpSpec* dequantize = op_of(tensor, Op::DEQUANTIZE);
    if (!dequantize || dequantize->inputs.size() != 1 || dequantize->inputs[0] < 0) return nullptr;
    const tfl::TensorSpec& in = tensors[dequantize->inputs[0]];
    const tfl::Quantization& q = in.quant;
    const bool int8 = in.type == tfl::DType::kInt8;
    if (!in.data || (!int8 && in.type != tfl::DType::kUInt8) || q.scale.empty() ||
        q.zero_point.size() != q.scale.size() || !(in.shape == tensors[tensor].shape)) {
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
    std::vector<float>& values = f.dequantized_.emplace_back(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = (i / inner) % channels;
      const int64_t raw = int8 ? static_cast<int64_t>(reinterpret_cast<const int8_t*>(in.data)[i])
                               : static_cast<int64_t>(reinterpret_cast<const uint8_t*>(in.data)[i]);
      values[i] = q.scale[c] * static_cast<float>(raw - q.zero_point[c]);
    }
    return values.data();
  };
  auto activation = [](const tfl::OpSpec& op) {
    const auto* o = op.raw ? op.raw->builtin_options_as_FullyConnectedOptions() : nullptr;
    return tfl::activation_of(o ? o->fused_activation_function()
                                : tflite::ActivationFunctionType::NONE);
  };
  // The dense layers, last first, down to the mean.
  int t = user_tensor;
  while (const tfl::OpSpec* fc = op_of(t, Op::FULLY_CONNECTED)) {
    if (fc->inputs.size() < 2) return std::nullopt;
    const auto& w = tensors[fc->inputs[1]];
    const float* weights = constant_f32(fc->inputs[1]);
    const float* bias = fc->inputs.size() > 2 ? constant_f32(fc->inputs[2]) : nullptr;
    if (fc->inputs.size() > 2 && fc->inputs[2] >= 0 && !bias) return std::nullopt;
    const auto act = activation(*fc);
    if (!weights || w.shape.rank != 2 || !act) return std::nullopt;
    if (bias && tensors[fc->inputs[2]].shape.elements() != w.shape[0]) return std::nullopt;
    if (tensors[fc->inputs[0]].shape.elements() != w.shape[1]) return std::nullopt;
    f.layers_.push_back({weights, bias, w.shape[0], w.shape[1], *act});
    t = fc->inputs[0];
  }
  if (f.layers_.empty()) return std::nullopt;
  std::reverse(f.layers_.begin(), f.layers_.end());
  // The mean, in one of the two forms the known exports write:
  //  pocketrec: SUM(MUL(GATHER(E, ids), RESHAPE(GATHER(M, ids)))) / MAXIMUM(SUM(GATHER(M, ids)), c)
  //  reference: SELECT(NOT_EQUAL(n, z), DIV(SUM(MUL(GATHER(E, ids), w)), n), fallback) with
  //             n = MUL(SUM(w), k) and w = RESHAPE(CAST(NOT_EQUAL(ids, pad)))
  const tfl::OpSpec* sum = nullptr;  // of the weighted embeddings
  const tfl::OpSpec* count = nullptr;
  int weights_tensor = -1;  // [1, L, 1]
  if (const tfl::OpSpec* div = op_of(t, Op::DIV)) {
    const tfl::OpSpec* maximum = op_of(div->inputs[1], Op::MAXIMUM);
    if (!maximum) return std::nullopt;
    sum = op_of(div->inputs[0], Op::SUM);
    count = op_of(maximum->inputs[0], Op::SUM);
    const float* min_count = constant_f32(maximum->inputs[1]);
    if (!min_count || tensors[maximum->inputs[1]].shape.elements() != 1 || !count) {
      return std::nullopt;
    }
    const tfl::OpSpec* gather_m = op_of(count->inputs[0], Op::GATHER);
    if (!gather_m) return std::nullopt;
    f.mask_ = constant_f32(gather_m->inputs[0]);
    f.ids_tensor_ = gather_m->inputs[1];
    if (!f.mask_ || tensors[gather_m->inputs[0]].shape.rank != 1) return std::nullopt;
    f.mask_rows_ = tensors[gather_m->inputs[0]].shape[0];
    const tfl::OpSpec* reshape_m = nullptr;
    for (const auto& op : ops) {
      if (op.code == static_cast<int>(Op::RESHAPE) && op.inputs[0] == gather_m->outputs[0])
        reshape_m = &op;
    }
    if (!reshape_m) return std::nullopt;
    weights_tensor = reshape_m->outputs[0];
    f.min_count_ = *min_count;
    if (tensors[div->outputs[0]].shape.elements() != tensors[div->inputs[0]].shape.elements())
      return std::nullopt;
  } else {
    const tfl::OpSpec* select = op_of(t, Op::SELECT);
    if (!select) select = op_of(t, Op::SELECT_V2);
    if (!select || select->inputs.size() != 3) return std::nullopt;
    const tfl::OpSpec* nonzero = op_of(select->inputs[0], Op::NOT_EQUAL);
    const tfl::OpSpec* quotient = op_of(select->inputs[1], Op::DIV);
    f.fallback_ = constant_f32(select->inputs[2]);
    if (!nonzero || !quotient || !f.fallback_) return std::nullopt;
    const int n = quotient->inputs[1];
    const float* zero = constant_f32(nonzero->inputs[1]);
    const tfl::OpSpec* scale = op_of(n, Op::MUL);
    if (nonzero->inputs[0] != n || !zero || tensors[nonzero->inputs[1]].shape.elements() != 1 ||
        !scale) {
      return std::nullopt;
    }
    f.zero_ = *zero;
    f.count_scale_ = constant_f32(scale->inputs[1]);
    count = op_of(scale->inputs[0], Op::SUM);
    sum = op_of(quotient->inputs[0], Op::SUM);
    if (!f.count_scale_ || !count || tensors[count->outputs[0]].shape.elements() != 1) {
      return std::nullopt;
    }
    weights_tensor = count->inputs[0];
    const tfl::OpSpec* reshape_w = op_of(weights_tensor, Op::RESHAPE);
    const tfl::OpSpec* cast = reshape_w ? op_of(reshape_w->inputs[0], Op::CAST) : nullptr;
    const tfl::OpSpec* not_pad = cast ? op_of(cast->inputs[0], Op::NOT_EQUAL) : nullptr;
    if (!not_pad) return std::nullopt;
    const auto& pad = tensors[not_pad->inputs[1]];
    if (!pad.data || pad.type != tfl::DType::kInt32 || pad.shape.elements() != 1) {
      return std::nullopt;
    }
    f.pad_id_ = *reinterpret_cast<const int32_t*>(pad.data);
    f.ids_tensor_ = not_pad->inputs[0];
    for (int tensor :
         {select->inputs[2], scale->inputs[1], select->outputs[0], quotient->outputs[0]}) {
      if (tensors[tensor].shape.elements() != tensors[quotient->inputs[0]].shape.elements())
        return std::nullopt;
    }
  }
  if (!sum || !count) return std::nullopt;
  const tfl::OpSpec* mul = op_of(sum->inputs[0], Op::MUL);
  if (!mul || mul->inputs[1] != weights_tensor) return std::nullopt;
  const tfl::OpSpec* reshape_ids = op_of(f.ids_tensor_, Op::RESHAPE);
  if (!reshape_ids || reshape_ids->inputs[0] != m.inputs().at(0)) return std::nullopt;
  // The embedded rows: GATHER(E, ids), or for int8 tables MUL(CAST(GATHER(E8, ids)), GATHER(S,
  // ids)), whose rows are float(code) * scale, one product each: that table is built here.
  int64_t rows = 0, emb_dim = 0;
  if (const tfl::OpSpec* gather_e = op_of(mul->inputs[0], Op::GATHER)) {
    const auto& e = tensors[gather_e->inputs[0]];
    f.embeddings_ = constant_f32(gather_e->inputs[0]);
    if (gather_e->inputs[1] != f.ids_tensor_ || !f.embeddings_ || e.shape.rank != 2)
      return std::nullopt;
    rows = e.shape[0];
    emb_dim = e.shape[1];
  } else if (const tfl::OpSpec* scaled = op_of(mul->inputs[0], Op::MUL)) {
    const tfl::OpSpec* cast = op_of(scaled->inputs[0], Op::CAST);
    const tfl::OpSpec* gather_q = cast ? op_of(cast->inputs[0], Op::GATHER) : nullptr;
    const tfl::OpSpec* gather_s = op_of(scaled->inputs[1], Op::GATHER);
    if (!gather_q || !gather_s || gather_q->inputs[1] != f.ids_tensor_ ||
        gather_s->inputs[1] != f.ids_tensor_) {
      return std::nullopt;
    }
    const auto& q = tensors[gather_q->inputs[0]];
    const float* scales = constant_f32(gather_s->inputs[0]);
    if (!q.data || q.type != tfl::DType::kInt8 || q.quant.quantized() || q.shape.rank != 2 ||
        !scales || tensors[gather_s->inputs[0]].shape.elements() != q.shape[0] ||
        q.bytes < static_cast<size_t>(q.shape.elements()) ||
        tensors[gather_s->outputs[0]].shape.elements() != tensors[f.ids_tensor_].shape.elements()) {
      return std::nullopt;
    }
    rows = q.shape[0];
    emb_dim = q.shape[1];
    std::vector<float>& table = f.dequantized_.emplace_back(static_cast<size_t>(rows * emb_dim));
    const auto* codes = reinterpret_cast<const int8_t*>(q.data);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t d = 0; d < emb_dim; ++d) {
        table[r * emb_dim + d] = static_cast<float>(codes[r * emb_dim + d]) * scales[r];
      }
    }
    f.embeddings_ = table.data();
  } else {
    return std::nullopt;
  }
  if (f.mask_ && f.mask_rows_ != rows) return std::nullopt;
  // Shapes as the interpreter planned them: ids [1, L], embeddings [1, L, D], weights [1, L, 1],
  // sums [1, D] and a single count; anything else (another axis, keep_dims) is another graph.
  f.rows_ = static_cast<int>(rows);
  f.emb_dim_ = static_cast<int>(emb_dim);
  f.length_ = static_cast<int>(tensors[m.inputs().at(0)].shape.elements());
  if (f.length_ > kMaxLength) return std::nullopt;
  const tfl::Shape ids_shape{1, f.length_};
  const tfl::Shape embedded{1, f.length_, f.emb_dim_};
  const tfl::Shape weights{1, f.length_, 1};
  if (!(tensors[f.ids_tensor_].shape == ids_shape) ||
      !(tensors[mul->inputs[0]].shape == embedded) ||
      !(tensors[mul->outputs[0]].shape == embedded) ||
      !(tensors[weights_tensor].shape == weights) ||
      tensors[sum->outputs[0]].shape.elements() != f.emb_dim_ ||
      tensors[count->outputs[0]].shape.elements() != 1 || f.layers_.front().size != f.emb_dim_) {
    return std::nullopt;
  }
  f.out_dim_ = static_cast<int>(f.layers_.back().units);
  size_t widest = static_cast<size_t>(f.emb_dim_);
  for (const auto& layer : f.layers_) widest = std::max(widest, static_cast<size_t>(layer.units));
  f.scratch_floats_ = 2 * widest;
  return f;
}

void FusedBow::encode(const int32_t* ids, float* out, float* scratch) const {
  float* mean = scratch;
  float* spare = scratch + scratch_floats_ / 2;
  // SUM(MUL(E[id], M[id])) over the history and SUM(M[id]), in the interpreter's order: each
  // product rounded, then added to a sum that starts at 0.
  // The sums stay in registers, eight dimensions at a time over the whole history (through
  // memory, each item's adds waited on the previous item's stores).
  const float* rows[kMaxLength];
  float weights[kMaxLength];
  float count = 0.0f;
  for (int i = 0; i < length_; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) {
      throw Error("item index " + std::to_string(ids[i]) + " is outside the embedding table (" +
                  std::to_string(rows_) + " rows)");
    }
    weights[i] = mask_ ? mask_[ids[i]] : (ids[i] != pad_id_ ? 1.0f : 0.0f);
    rows[i] = embeddings_ + static_cast<size_t>(ids[i]) * emb_dim_;
    count = count + weights[i];
  }
  int block = 0;
  for (; block + 8 <= emb_dim_; block += 8) {
    tfl::Float8 sum = {};
    for (int i = 0; i < length_; ++i) sum = sum + tfl::load8(rows[i] + block) * weights[i];
    std::memcpy(mean + block, &sum, sizeof sum);
  }
  for (int d = block; d < emb_dim_; ++d) {
    float sum = 0.0f;
    for (int i = 0; i < length_; ++i) sum = sum + rows[i][d] * weights[i];
    mean[d] = sum;
  }
  if (mask_) {
    const float denominator = count > min_count_ ? count : min_count_;
    for (int d = 0; d < emb_dim_; ++d) mean[d] = mean[d] / denominator;
  } else {
    for (int d = 0; d < emb_dim_; ++d) {
      const float n = count * count_scale_[d];
      mean[d] = n != zero_ ? mean[d] / n : fallback_[d];
    }
  }
  // FULLY_CONNECTED as its kernel computes it.
  const float* in = mean;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Dense& layer = layers_[l];
    float* result = l + 1 == layers_.size() ? out : (in == mean ? spare : mean);
    std::fill(result, result + layer.units, 0.0f);
    tfl::dot_rows_add(in, layer.weights, layer.size, layer.units, layer.size, result);
    tfl::add_bias_activate(result, layer.bias, layer.units, layer.act);
    in = result;
  }
}

}  // namespace pocketrec::runtime
