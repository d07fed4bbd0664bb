#include "runtime/fused_bow.hpp"

#include <algorithm>
#include <cstring>

#include "tflite_generated.h"

namespace pocketrec::runtime {
namespace {

using Op = tflite::BuiltinOperator;

}  // namespace

std::unique_ptr<FusedBow> FusedBow::match(const tfl::Model& m, int user_tensor) {
  const auto& ops = m.ops();
  const auto& tensors = m.tensors();
  GraphConstants constants(m);
  auto f = std::make_unique<FusedBow>();
  // The dense layers down to the mean.
  int t = user_tensor;
  if (!dense_chain(constants, t, f->layers_) || f->layers_.empty()) return nullptr;
  // The mean, in one of the two forms the known exports write:
  //  pocketrec: SUM(MUL(GATHER(E, ids), RESHAPE(GATHER(M, ids)))) / MAXIMUM(SUM(GATHER(M, ids)), c)
  //  reference: SELECT(NOT_EQUAL(n, z), DIV(SUM(MUL(GATHER(E, ids), w)), n), fallback) with
  //             n = MUL(SUM(w), k) and w = RESHAPE(CAST(NOT_EQUAL(ids, pad)))
  const tfl::OpSpec* sum = nullptr;  // of the weighted embeddings
  const tfl::OpSpec* count = nullptr;
  int weights_tensor = -1;  // [1, L, 1]
  if (const tfl::OpSpec* div = constants.producer(t, Op::DIV)) {
    const tfl::OpSpec* maximum = constants.producer(div->inputs[1], Op::MAXIMUM);
    if (!maximum) return nullptr;
    sum = constants.producer(div->inputs[0], Op::SUM);
    count = constants.producer(maximum->inputs[0], Op::SUM);
    const float* min_count = constants.f32(maximum->inputs[1]);
    if (!min_count || tensors[maximum->inputs[1]].shape.elements() != 1 || !count) {
      return nullptr;
    }
    const tfl::OpSpec* gather_m = constants.producer(count->inputs[0], Op::GATHER);
    if (!gather_m) return nullptr;
    f->mask_ = constants.f32(gather_m->inputs[0]);
    f->ids_tensor_ = gather_m->inputs[1];
    if (!f->mask_ || tensors[gather_m->inputs[0]].shape.rank != 1) return nullptr;
    f->mask_rows_ = tensors[gather_m->inputs[0]].shape[0];
    const tfl::OpSpec* reshape_m = nullptr;
    for (const auto& op : ops) {
      if (op.code == static_cast<int>(Op::RESHAPE) && !op.inputs.empty() &&
          op.inputs[0] == gather_m->outputs[0])
        reshape_m = &op;
    }
    if (!reshape_m) return nullptr;
    weights_tensor = reshape_m->outputs[0];
    f->min_count_ = *min_count;
    if (tensors[div->outputs[0]].shape.elements() != tensors[div->inputs[0]].shape.elements())
      return nullptr;
  } else {
    const tfl::OpSpec* select = constants.producer(t, Op::SELECT);
    if (!select) select = constants.producer(t, Op::SELECT_V2);
    if (!select || select->inputs.size() != 3) return nullptr;
    const tfl::OpSpec* nonzero = constants.producer(select->inputs[0], Op::NOT_EQUAL);
    const tfl::OpSpec* quotient = constants.producer(select->inputs[1], Op::DIV);
    f->fallback_ = constants.f32(select->inputs[2]);
    if (!nonzero || !quotient || !f->fallback_) return nullptr;
    const int n = quotient->inputs[1];
    const float* zero = constants.f32(nonzero->inputs[1]);
    const tfl::OpSpec* scale = constants.producer(n, Op::MUL);
    if (nonzero->inputs[0] != n || !zero || tensors[nonzero->inputs[1]].shape.elements() != 1 ||
        !scale) {
      return nullptr;
    }
    f->zero_ = *zero;
    f->count_scale_ = constants.f32(scale->inputs[1]);
    count = constants.producer(scale->inputs[0], Op::SUM);
    sum = constants.producer(quotient->inputs[0], Op::SUM);
    if (!f->count_scale_ || !count || tensors[count->outputs[0]].shape.elements() != 1) {
      return nullptr;
    }
    weights_tensor = count->inputs[0];
    const tfl::OpSpec* reshape_w = constants.producer(weights_tensor, Op::RESHAPE);
    const tfl::OpSpec* cast =
        reshape_w ? constants.producer(reshape_w->inputs[0], Op::CAST) : nullptr;
    const tfl::OpSpec* not_pad =
        cast ? constants.producer(cast->inputs[0], Op::NOT_EQUAL) : nullptr;
    if (!not_pad) return nullptr;
    const auto& pad = tensors[not_pad->inputs[1]];
    if (!pad.data || pad.type != tfl::DType::kInt32 || pad.shape.elements() != 1) {
      return nullptr;
    }
    f->pad_id_ = *reinterpret_cast<const int32_t*>(pad.data);
    f->ids_tensor_ = not_pad->inputs[0];
    for (int tensor :
         {select->inputs[2], scale->inputs[1], select->outputs[0], quotient->outputs[0]}) {
      if (tensors[tensor].shape.elements() != tensors[quotient->inputs[0]].shape.elements())
        return nullptr;
    }
  }
  if (!sum || !count) return nullptr;
  const tfl::OpSpec* mul = constants.producer(sum->inputs[0], Op::MUL);
  if (!mul || mul->inputs[1] != weights_tensor) return nullptr;
  const tfl::OpSpec* reshape_ids = constants.producer(f->ids_tensor_, Op::RESHAPE);
  if (!reshapes_graph_input(constants, reshape_ids)) return nullptr;
  f->embeddings_ = embedding_rows(constants, mul->inputs[0], f->ids_tensor_);
  if (!f->embeddings_) return nullptr;
  const int64_t rows = f->embeddings_.count, emb_dim = f->embeddings_.dim;
  if (f->mask_ && f->mask_rows_ != rows) return nullptr;
  // Shapes as the interpreter planned them: ids [1, L], embeddings [1, L, D], weights [1, L, 1],
  // sums [1, D] and a single count; anything else (another axis, keep_dims) is another graph.
  f->rows_ = static_cast<int>(rows);
  f->emb_dim_ = static_cast<int>(emb_dim);
  f->length_ = static_cast<int>(tensors[m.inputs().at(0)].shape.elements());
  if (f->length_ > kMaxLength) return nullptr;
  const tfl::Shape ids_shape{1, f->length_};
  const tfl::Shape embedded{1, f->length_, f->emb_dim_};
  const tfl::Shape weights{1, f->length_, 1};
  if (!(tensors[f->ids_tensor_].shape == ids_shape) ||
      !(tensors[mul->inputs[0]].shape == embedded) ||
      !(tensors[mul->outputs[0]].shape == embedded) ||
      !(tensors[weights_tensor].shape == weights) ||
      tensors[sum->outputs[0]].shape.elements() != f->emb_dim_ ||
      tensors[count->outputs[0]].shape.elements() != 1 || f->layers_.front().size != f->emb_dim_) {
    return nullptr;
  }
  f->out_dim_ = static_cast<int>(f->layers_.back().units);
  f->halves_ = std::max(static_cast<size_t>(f->emb_dim_), widest(f->layers_));
  // Then one dequantized row per position for int8 tables.
  f->scratch_floats_ =
      2 * f->halves_ +
      (f->embeddings_.quantized() ? static_cast<size_t>(f->length_) * f->emb_dim_ : 0);
  f->dequantized_ = constants.take_storage();
  return f;
}

void FusedBow::encode(const int32_t* ids, float* out, float* scratch) const {
  float* mean = scratch;
  float* spare = scratch + halves_;
  float* dequantized = spare + halves_;
  // SUM(MUL(E[id], M[id])) over the history and SUM(M[id]), in the interpreter's order: each
  // product rounded, then added to a sum that starts at 0.
  // The sums stay in registers, eight dimensions at a time over the whole history (through
  // memory, each item's adds waited on the previous item's stores).
  const float* rows[kMaxLength];
  float weights[kMaxLength];
  float count = 0.0f;
  for (int i = 0; i < length_; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) outside_table(ids[i]);
    weights[i] = mask_ ? mask_[ids[i]] : (ids[i] != pad_id_ ? 1.0f : 0.0f);
    rows[i] = embeddings_.row(ids[i], dequantized + static_cast<size_t>(i) * emb_dim_);
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
  run_dense(layers_, mean, out, mean, spare);
}

}  // namespace pocketrec::runtime
