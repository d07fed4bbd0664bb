#include "runtime/fused_cnn.hpp"

#include <algorithm>

#include "tflite_generated.h"

namespace pocketrec::runtime {
namespace {

using Op = tflite::BuiltinOperator;

constexpr int kMaxLength = 256;  // the longest history accepted (the scratch grows with it)

}  // namespace

std::unique_ptr<FusedCnn> FusedCnn::match(const tfl::Model& m, int user_tensor) {
  const auto& tensors = m.tensors();
  GraphConstants constants(m);
  auto op_of = [&](int tensor, Op code) {
    return constants.producer(tensor, static_cast<int>(code));
  };
  auto f = std::make_unique<FusedCnn>();
  int t = user_tensor;
  if (!dense_chain(constants, t, f->layers_)) return nullptr;
  // REDUCE_MAX(RESHAPE(last convolution)) over axes of size 1: the same values.
  const tfl::OpSpec* reduce = op_of(t, Op::REDUCE_MAX);
  const tfl::OpSpec* reshape = reduce ? op_of(reduce->inputs[0], Op::RESHAPE) : nullptr;
  if (!reshape || tensors[reduce->inputs[0]].shape.elements() != tensors[t].shape.elements())
    return nullptr;
  f->pooled_ = static_cast<int>(tensors[t].shape.elements());
  // The convolutions, last first, down to RESHAPE(x) [1, 1, L, E].
  int c = reshape->inputs[0];
  std::vector<const tfl::OpSpec*> chain;
  while (const tfl::OpSpec* conv = op_of(c, Op::CONV_2D)) {
    chain.push_back(conv);
    c = conv->inputs[0];
  }
  const tfl::OpSpec* x_reshape = op_of(c, Op::RESHAPE);
  if (chain.empty() || !x_reshape) return nullptr;
  auto embedding = masked_embedding(constants, x_reshape->inputs[0]);
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
    f->convs_.push_back(std::move(conv));
  }
  if (f->convs_.back().out_floats != static_cast<size_t>(f->pooled_) ||
      (!f->layers_.empty() && f->layers_.front().size != f->pooled_)) {
    return nullptr;
  }
  f->length_ = embedding->length;
  f->rows_ = static_cast<int>(embedding->count);
  f->out_dim_ = f->layers_.empty() ? f->pooled_ : static_cast<int>(f->layers_.back().units);
  // The masked embeddings, two buffers for the convolutions, the dense layers' two.
  f->scratch_floats_ = static_cast<size_t>(embedding->length) * embedding->dim +
                       2 * f->widest_conv_ + 2 * widest(f->layers_);
  f->dequantized_ = constants.take_storage();
  return f;
}

void FusedCnn::encode(const int32_t* ids, float* out, float* scratch) const {
  for (int i = 0; i < length_; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) outside_table(ids[i]);
  }
  float* x = scratch;
  float* a = x + static_cast<size_t>(length_) * embedding_.dim;
  float* b = a + widest_conv_;
  float* dense = b + widest_conv_;
  embedding_.embed(ids, x);
  const float* in = x;
  for (const Conv& conv : convs_) {
    float* result = in == a ? b : a;
    tfl::conv_undilated(in, conv.packed.data(), conv.bias, conv.shape, conv.act, result);
    in = result;
  }
  if (layers_.empty()) {
    std::copy(in, in + pooled_, out);
  } else {
    run_dense(layers_, in, out, dense, dense + widest(layers_));
  }
}

}  // namespace pocketrec::runtime
