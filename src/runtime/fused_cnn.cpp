#include "runtime/fused_cnn.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "tflite_generated.h"

namespace pocketrec::runtime {
namespace {

using Op = tflite::BuiltinOperator;

constexpr int kMaxLength = 256;  // the longest history accepted (the scratch grows with it)

}  // namespace

std::unique_ptr<FusedCnn> FusedCnn::match(const tfl::Model& m, int user_tensor) {
  const auto& tensors = m.tensors();
  GraphConstants constants(m);
  auto f = std::make_unique<FusedCnn>();
  int t = user_tensor;
  if (!dense_chain(constants, t, f->layers_)) return nullptr;
  const tfl::OpSpec* reduce = constants.producer(t, Op::REDUCE_MAX);
  if (!reduce) return nullptr;
  f->pooled_ = static_cast<int>(tensors[t].shape.elements());
  // The starter's form: REDUCE_MAX(RESHAPE(last convolution)) over axes of size 1 (the same
  // values). pocketrec's: REDUCE_MAX(MUL(last convolution, last window mask)) over the positions.
  const tfl::OpSpec* reshape = constants.producer(reduce->inputs[0], Op::RESHAPE);
  const tfl::OpSpec* masked = reshape ? nullptr : constants.producer(reduce->inputs[0], Op::MUL);
  int c = -1, mask = -1;
  if (reshape) {
    if (tensors[reduce->inputs[0]].shape.elements() != tensors[t].shape.elements()) return nullptr;
    c = reshape->inputs[0];
  } else if (masked) {
    c = masked->inputs[0];
    mask = masked->inputs[1];
  } else {
    return nullptr;
  }
  // The convolutions, last first, down to RESHAPE(x) [1, 1, L, E].
  std::vector<const tfl::OpSpec*> chain;
  while (const tfl::OpSpec* conv = constants.producer(c, Op::CONV_2D)) {
    chain.push_back(conv);
    c = conv->inputs[0];
  }
  const tfl::OpSpec* x_reshape = constants.producer(c, Op::RESHAPE);
  if (chain.empty() || !x_reshape) return nullptr;
  std::optional<MaskedEmbedding> embedding;
  std::vector<const tfl::OpSpec*> pools;  // pocketrec's form, last first
  if (reshape) {
    embedding = masked_embedding(constants, x_reshape->inputs[0]);
  } else {
    // The window masks, down to RESHAPE(GATHER(valid, ids)) [1, 1, L, 1], one per convolution.
    while (const tfl::OpSpec* pool = constants.producer(mask, Op::MAX_POOL_2D)) {
      pools.push_back(pool);
      mask = pool->inputs[0];
    }
    const tfl::OpSpec* mask_reshape = constants.producer(mask, Op::RESHAPE);
    const tfl::OpSpec* valid =
        mask_reshape ? constants.producer(mask_reshape->inputs[0], Op::GATHER) : nullptr;
    if (pools.size() != chain.size() || !valid) return nullptr;
    const int ids_tensor = valid->inputs[1];
    const tfl::OpSpec* ids_reshape = constants.producer(ids_tensor, Op::RESHAPE);
    if (!reshapes_graph_input(constants, ids_reshape)) return nullptr;
    MaskedEmbedding e;
    e.rows = embedding_rows(constants, x_reshape->inputs[0], ids_tensor);
    e.count = e.rows.count;
    e.dim = e.rows.dim;
    e.length = static_cast<int>(tensors[ids_tensor].shape.elements());
    f->valid_ = constants.f32(valid->inputs[0]);
    if (!e.rows || !f->valid_ || tensors[valid->inputs[0]].shape.elements() != e.count ||
        !(tensors[ids_tensor].shape == tfl::Shape{1, e.length}) ||
        !(tensors[mask].shape == tfl::Shape{1, 1, e.length, 1}) ||
        !(tensors[x_reshape->inputs[0]].shape ==
          tfl::Shape{1, e.length, static_cast<int32_t>(e.dim)})) {
      return nullptr;
    }
    embedding = e;
    std::reverse(pools.begin(), pools.end());
  }
  if (!embedding || embedding->length > kMaxLength ||
      !(tensors[c].shape ==
        tfl::Shape{1, 1, embedding->length, static_cast<int32_t>(embedding->dim)})) {
    return nullptr;
  }
  f->embedding_ = *embedding;
  std::reverse(chain.begin(), chain.end());
  for (const tfl::OpSpec* op : chain) {
    const auto& in = tensors[op->inputs[0]];
    const auto& filter = tensors[op->inputs[1]];
    const auto& out = tensors[op->outputs[0]];
    const float* weights = constants.f32(op->inputs[1]);
    const float* bias = op->inputs.size() > 2 ? constants.f32(op->inputs[2]) : nullptr;
    const auto* o = op->raw ? op->raw->builtin_options_as_Conv2DOptions() : nullptr;
    if (!weights || !o || in.shape.rank != 4 || filter.shape.rank != 4 || out.shape.rank != 4 ||
        in.shape[0] != 1 || filter.shape[3] != in.shape[3] || o->dilation_w_factor() != 1 ||
        o->stride_h() < 1 || o->stride_w() < 1 || o->dilation_h_factor() < 1 ||
        (op->inputs.size() > 2 && op->inputs[2] >= 0 &&
         (!bias || tensors[op->inputs[2]].shape.elements() != filter.shape[0]))) {
      return nullptr;
    }
    const auto act = tfl::activation_of(o->fused_activation_function());
    if (!act) return nullptr;
    Conv conv;
    tfl::ConvShape& s = conv.shape;
    s.h = in.shape[1];
    s.w = in.shape[2];
    s.cin = in.shape[3];
    s.cout = filter.shape[0];
    s.kh = filter.shape[1];
    s.kw = filter.shape[2];
    s.stride_h = o->stride_h();
    s.stride_w = o->stride_w();
    s.dilation_h = o->dilation_h_factor();
    const bool same = o->padding() == tflite::Padding::SAME;
    s.gh = tfl::window_geometry(same, s.h, s.kh, s.stride_h, s.dilation_h);
    s.gw = tfl::window_geometry(same, s.w, s.kw, s.stride_w, 1);
    if (!(out.shape == tfl::Shape{1, s.gh.out, s.gw.out, s.cout})) return nullptr;
    conv.packed.resize(static_cast<size_t>(filter.shape.elements()));
    tfl::pack_conv_filter(weights, s, conv.packed.data());
    conv.bias = bias;
    conv.act = *act;
    conv.out_floats = static_cast<size_t>(out.shape.elements());
    f->widest_conv_ = std::max(f->widest_conv_, conv.out_floats);
    if (!pools.empty()) {
      // The mask's window beside this convolution: one row, along the history.
      const tfl::OpSpec* pool = pools[f->convs_.size()];
      const auto* po = pool->raw ? pool->raw->builtin_options_as_Pool2DOptions() : nullptr;
      const auto& pin = tensors[pool->inputs[0]];
      const auto& pout = tensors[pool->outputs[0]];
      if (!po || po->filter_height() != 1 || po->stride_h() != 1 || po->filter_width() < 1 ||
          po->stride_w() < 1 ||
          po->fused_activation_function() != tflite::ActivationFunctionType::NONE ||
          !(pin.shape == tfl::Shape{1, 1, s.w, 1}) ||
          !(pout.shape == tfl::Shape{1, 1, s.gw.out, 1}) || s.gh.out != 1) {
        return nullptr;
      }
      conv.pool_width = po->filter_width();
      conv.pool_stride = po->stride_w();
      conv.pool = tfl::window_geometry(po->padding() == tflite::Padding::SAME, s.w, conv.pool_width,
                                       conv.pool_stride, 1);
    }
    f->convs_.push_back(std::move(conv));
  }
  if (!pools.empty()) {
    // The last convolution's positions each reduce to one channel vector: REDUCE_MAX over
    // [1, positions] of MUL(conv, mask).
    const auto& last = f->convs_.back().shape;
    if (tensors[t].shape.elements() != last.cout ||
        !(tensors[masked->outputs[0]].shape == tfl::Shape{1, 1, last.gw.out, last.cout})) {
      return nullptr;
    }
    f->pooled_ = last.cout;
  }
  if ((pools.empty() && f->convs_.back().out_floats != static_cast<size_t>(f->pooled_)) ||
      (!f->layers_.empty() && f->layers_.front().size != f->pooled_)) {
    return nullptr;
  }
  f->length_ = embedding->length;
  f->rows_ = static_cast<int>(embedding->count);
  f->out_dim_ = f->layers_.empty() ? f->pooled_ : static_cast<int>(f->layers_.back().units);
  // The embeddings, two buffers for the convolutions, two for the window masks, the pooled
  // vector, the dense layers' two.
  f->scratch_floats_ = static_cast<size_t>(embedding->length) * embedding->dim +
                       2 * f->widest_conv_ + 2 * static_cast<size_t>(embedding->length) +
                       static_cast<size_t>(f->pooled_) + 2 * widest(f->layers_);
  f->dequantized_ = constants.take_storage();
  return f;
}

void FusedCnn::pool_masks(const int32_t* ids, float* a, float* b, const float** last) const {
  // MAX_POOL_2D of the 0/1 mask: the largest value over the window's cells inside the history,
  // from the lowest float, as the operator computes it.
  for (int i = 0; i < length_; ++i) a[i] = valid_[ids[i]];
  const float* in = a;
  for (const Conv& conv : convs_) {
    float* out = in == a ? b : a;
    const int32_t width = conv.shape.w;
    for (int32_t o = 0; o < conv.pool.out; ++o) {
      float best = std::numeric_limits<float>::lowest();
      for (int32_t k = 0; k < conv.pool_width; ++k) {
        const int32_t i = o * conv.pool_stride - conv.pool.pad_before + k;
        if (i >= 0 && i < width) best = std::max(best, in[i]);
      }
      out[o] = best;
    }
    in = out;
  }
  *last = in;
}

void FusedCnn::encode(const int32_t* ids, float* out, float* scratch) const {
  for (int i = 0; i < length_; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) outside_table(ids[i]);
  }
  float* x = scratch;
  float* a = x + static_cast<size_t>(length_) * embedding_.dim;
  float* b = a + widest_conv_;
  float* mask_a = b + widest_conv_;
  float* mask_b = mask_a + length_;
  float* pooled = mask_b + length_;
  float* dense = pooled + pooled_;
  if (valid_) {
    for (int i = 0; i < length_; ++i) {
      embedding_.rows.copy_row(ids[i], x + static_cast<size_t>(i) * embedding_.dim);
    }
  } else {
    embedding_.embed(ids, x);
  }
  const float* in = x;
  for (const Conv& conv : convs_) {
    float* result = in == a ? b : a;
    tfl::conv_undilated(in, conv.packed.data(), conv.bias, conv.shape, conv.act, result);
    in = result;
  }
  if (valid_) {
    // MUL(conv, mask), then REDUCE_MAX over the positions: x > best ? x : best from the lowest
    // float, positions in order, as the operators compute them.
    const float* mask = nullptr;
    pool_masks(ids, mask_a, mask_b, &mask);
    const int32_t positions = convs_.back().shape.gw.out;
    std::fill(pooled, pooled + pooled_, std::numeric_limits<float>::lowest());
    for (int32_t p = 0; p < positions; ++p) {
      for (int ch = 0; ch < pooled_; ++ch) {
        const float v = in[static_cast<size_t>(p) * pooled_ + ch] * mask[p];
        pooled[ch] = v > pooled[ch] ? v : pooled[ch];
      }
    }
    in = pooled;
  }
  if (layers_.empty()) {
    std::copy(in, in + pooled_, out);
  } else {
    run_dense(layers_, in, out, dense, dense + widest(layers_));
  }
}

}  // namespace pocketrec::runtime
