#include "runtime/fused_attention.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "tflite/graph_names.hpp"
#include "tflite/ops/attention_math.hpp"
#include "tflite/ops/dot_rows.hpp"
#include "tflite/ops/reduce_common.hpp"
#include "tflite_generated.h"

namespace pocketrec::runtime {
namespace {

using Op = tflite::BuiltinOperator;
namespace names = graph_names;

// The exporter's mask constant: scores of padded and later keys get -1e9.
constexpr float kMasked = 1e9f;

// The heads' FULLY_CONNECTED layers (each [head_dim, width]) as one [heads * head_dim, width]
// layer: FULLY_CONNECTED's dot products do not depend on which rows are computed together.
std::optional<DenseLayer> side_by_side(const std::vector<DenseLayer>& heads,
                                       std::vector<std::vector<float>>& storage) {
  const DenseLayer& first = heads.front();
  std::vector<float> weights, bias;
  for (const DenseLayer& h : heads) {
    if (h.size != first.size || h.units != first.units || h.act != tfl::Activation::kNone ||
        !h.bias) {
      return std::nullopt;
    }
    weights.insert(weights.end(), h.weights, h.weights + h.units * h.size);
    bias.insert(bias.end(), h.bias, h.bias + h.units);
  }
  DenseLayer layer{nullptr,
                   nullptr,
                   first.units * static_cast<int64_t>(heads.size()),
                   first.size,
                   tfl::Activation::kNone,
                   {}};
  layer.weights = storage.emplace_back(std::move(weights)).data();
  layer.bias = storage.emplace_back(std::move(bias)).data();
  if (tfl::paired_rows_help())
    layer.pairs = tfl::pair_rows(layer.weights, layer.size, layer.units, layer.size);
  return layer;
}

}  // namespace

std::unique_ptr<FusedAttention> FusedAttention::match(const tfl::Model& m, int user_tensor) {
  const auto& tensors = m.tensors();
  auto named = [&](std::string_view name) { return tensor_named(m, name); };
  GraphConstants constants(m);
  auto f = std::make_unique<FusedAttention>();
  int t = user_tensor;
  if (!dense_chain(constants, t, f->layers_) || t < 0 ||
      t != named(names::attention(names::kFinalLn) + std::string(names::kLnOut)))
    return nullptr;
  const int length = static_cast<int>(tensors[m.inputs().at(0)].shape.elements());
  const int width = static_cast<int>(tensors[t].shape.elements());
  if (length < 1 || width < 1) return nullptr;
  f->length_ = length;
  f->width_ = width;
  // A float constant of `count` values named `name`, or null.
  auto floats = [&](const std::string& name, int64_t count) -> const float* {
    const int tensor = named(name);
    const float* values = constants.f32(tensor);
    return values && tensors[tensor].shape.elements() == count ? values : nullptr;
  };
  auto scalar = [&](const std::string& name, float& out) {
    const float* v = floats(name, 1);
    if (v) out = *v;
    return v != nullptr;
  };
  auto layer_norm = [&](const std::string& name, LayerNorm& ln) {
    ln.gamma = floats(name + std::string(names::kGamma), width);
    ln.beta = floats(name + std::string(names::kBeta), width);
    return ln.gamma && ln.beta && scalar(name + std::string(names::kEpsilon), ln.epsilon);
  };
  auto fc = [&](const std::string& name, int64_t units, int64_t size) -> std::optional<DenseLayer> {
    const tfl::OpSpec* op = constants.producer(named(name), Op::FULLY_CONNECTED);
    std::optional<DenseLayer> layer = op ? dense_layer(constants, *op) : std::nullopt;
    if (!layer || layer->units != units || layer->size != size) return std::nullopt;
    return layer;
  };

  // The ids, the embedding, the 0/1 item mask, positions and the constants of the masks.
  const int ids_tensor = named(std::string(names::kIds));
  const tfl::OpSpec* valid = constants.producer(named(std::string(names::kValid)), Op::GATHER);
  if (ids_tensor < 0 || !valid || valid->inputs[1] != ids_tensor ||
      !reshapes_graph_input(constants, constants.producer(ids_tensor, Op::RESHAPE)) ||
      !(tensors[ids_tensor].shape == tfl::Shape{1, length})) {
    return nullptr;
  }
  f->embeddings_ = embedding_rows(constants, named(std::string(names::kEmbedded)), ids_tensor);
  const int64_t rows = f->embeddings_.count;
  if (!f->embeddings_ || f->embeddings_.dim != width || rows < 1 || rows > INT32_MAX) {
    return nullptr;
  }
  f->rows_ = static_cast<int>(rows);
  f->valid_ = constants.f32(valid->inputs[0]);
  if (!f->valid_ || tensors[valid->inputs[0]].shape.elements() != rows) return nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    if (f->valid_[r] != 0.0f && f->valid_[r] != 1.0f) return nullptr;
  }
  f->position_ = floats(names::attention(names::kPosition), static_cast<int64_t>(length) * width);
  float zero = -1, one = 0, masked = 0;
  const float* query_positions = floats(names::attention(names::kQueryPositions), length);
  const float* key_positions = floats(names::attention(names::kKeyPositions), length);
  if (!f->position_ || !query_positions || !key_positions ||
      !scalar(names::attention(names::kInputScale), f->input_scale_) ||
      !scalar(names::attention(names::kScoreScale), f->score_scale_) ||
      !scalar(names::attention(names::kZero), zero) ||
      !scalar(names::attention(names::kOne), one) ||
      !scalar(names::attention(names::kMasked), masked) || zero != 0.0f || one != 1.0f ||
      masked != kMasked) {
    return nullptr;
  }
  for (int i = 0; i < length; ++i) {
    if (query_positions[i] != static_cast<float>(i) || key_positions[i] != static_cast<float>(i))
      return nullptr;
  }

  // The blocks.
  for (int b = 0;; ++b) {
    const std::string base = names::attention_block(b);
    if (named(base + std::string(names::kLn1) + std::string(names::kGamma)) < 0) break;
    Block block;
    std::vector<DenseLayer> q, k, v;
    int head_dim = 0;
    for (int h = 0; named(names::attention_head(b, h) + std::string(names::kQuery)) >= 0; ++h) {
      const std::string hn = names::attention_head(b, h);
      const int query_bias = named(hn + std::string(names::kQuery) + std::string(names::kBias));
      if (h == 0 && query_bias >= 0)
        head_dim = static_cast<int>(tensors[query_bias].shape.elements());
      if (head_dim < 1 || head_dim > width) return nullptr;
      const auto qh = fc(hn + std::string(names::kQuery), head_dim, width);
      const auto kh = fc(hn + std::string(names::kKey), head_dim, width);
      const auto vh = fc(hn + std::string(names::kValue), head_dim, width);
      const tfl::OpSpec* softmax =
          constants.producer(named(hn + std::string(names::kWeights)), Op::SOFTMAX);
      const auto* o =
          softmax && softmax->raw ? softmax->raw->builtin_options_as_SoftmaxOptions() : nullptr;
      if (!qh || !kh || !vh || !o) return nullptr;
      q.push_back(*qh);
      k.push_back(*kh);
      v.push_back(*vh);
      block.betas.push_back(o->beta());
    }
    const int heads = static_cast<int>(q.size());
    if (heads < 1 || heads * head_dim != width || (b > 0 && heads != f->heads_)) return nullptr;
    f->heads_ = heads;
    f->head_dim_ = head_dim;
    auto query = side_by_side(q, f->storage_);
    auto key = side_by_side(k, f->storage_);
    auto value = side_by_side(v, f->storage_);
    if (!query || !key || !value) return nullptr;
    block.query = std::move(*query);
    block.key = std::move(*key);
    block.value = std::move(*value);
    auto out = fc(base + std::string(names::kOut), width, width);
    // ffn1's output has one row in the last block and L in the others: its width is its bias's.
    const int ffn1_bias = named(base + std::string(names::kFfn1) + std::string(names::kBias));
    const int units = ffn1_bias >= 0 ? static_cast<int>(tensors[ffn1_bias].shape.elements()) : 0;
    auto ffn1 = fc(base + std::string(names::kFfn1), units, width);
    auto ffn2 = fc(base + std::string(names::kFfn2), width, units);
    if (!out || !ffn1 || !ffn2 || units < 1 || (b > 0 && units != f->ffn_) ||
        out->act != tfl::Activation::kNone || ffn2->act != tfl::Activation::kNone ||
        (ffn1->act != tfl::Activation::kNone && ffn1->act != tfl::Activation::kRelu) ||
        !layer_norm(base + std::string(names::kLn1), block.ln1) ||
        !layer_norm(base + std::string(names::kLn2), block.ln2)) {
      return nullptr;
    }
    f->ffn_ = units;
    const tfl::OpSpec* gelu = constants.producer(named(base + std::string(names::kGelu)), Op::GELU);
    if (gelu) {
      const auto* o = gelu->raw ? gelu->raw->builtin_options_as_GeluOptions() : nullptr;
      block.gelu = true;
      block.gelu_approximate = o && o->approximate();
      if (ffn1->act != tfl::Activation::kNone) return nullptr;
    }
    block.out = std::move(*out);
    block.ffn1 = std::move(*ffn1);
    block.ffn2 = std::move(*ffn2);
    f->blocks_.push_back(std::move(block));
  }
  if (f->blocks_.empty() || !layer_norm(names::attention(names::kFinalLn), f->final_))
    return nullptr;
  if (!f->layers_.empty() && f->layers_.front().size != width) return nullptr;
  f->out_dim_ = f->layers_.empty() ? width : static_cast<int>(f->layers_.back().units);
  // x, z, queries, keys, values, contexts, hidden, the second layer's output ([L, width] each),
  // the feed-forward layer [L, ffn], the scores and weights [L], the dense layers' two buffers,
  // the final LayerNorm's output, LayerNorm's squares and a dequantized row [width] each.
  f->scratch_floats_ = static_cast<size_t>(length) * (8 * static_cast<size_t>(width) + f->ffn_) +
                       2 * static_cast<size_t>(length) + 2 * widest(f->layers_) + 3 * width;
  if (f->scratch_floats_ * sizeof(float) > kMaxScratchBytes) return nullptr;
  std::vector<std::vector<float>> dequantized = constants.take_storage();
  for (auto& values : dequantized) f->storage_.push_back(std::move(values));
  return f;
}

void FusedAttention::layer_norm(const LayerNorm& ln, const float* in, int64_t rows, float* out,
                                float* squares) const {
  const int64_t w = width_;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * w;
    float* y = out + r * w;
    const float mean = tfl::sum_in_lanes(x, w) / static_cast<float>(w);
    for (int64_t d = 0; d < w; ++d) y[d] = x[d] - mean;  // centered, kept in y
    for (int64_t d = 0; d < w; ++d) squares[d] = y[d] * y[d];
    const float var_sum = tfl::sum_in_lanes(squares, w);
    const float var = var_sum / static_cast<float>(w);
    const float rstd = tfl::rsqrt(var + ln.epsilon);
    for (int64_t d = 0; d < w; ++d) {
      const float normalized = y[d] * rstd;
      const float scaled = normalized * ln.gamma[d];
      y[d] = scaled + ln.beta[d];
    }
  }
}

void FusedAttention::encode(const int32_t* ids, float* out, float* scratch) const {
  const int64_t L = length_, W = width_, F = ffn_;
  float* x = scratch;
  float* z = x + L * W;
  float* q = z + L * W;
  float* k = q + L * W;
  float* v = k + L * W;
  float* context = v + L * W;
  float* hidden = context + L * W;
  float* o = hidden + L * W;
  float* ffn = o + L * W;
  float* scores = ffn + L * F;
  float* weights = scores + L;
  float* dense = weights + L;
  float* user = dense + 2 * widest(layers_);
  float* squares = user + W;
  float* row_buffer = squares + W;
  for (int64_t i = 0; i < L; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) outside_table(ids[i]);
  }
  // The rows that reach the user vector: the history's items in order, then the newest position
  // when it is padding (its query still reads the items).
  int64_t n = 0;
  for (int64_t i = 0; i < L; ++i) {
    const int32_t id = ids[i];
    if (valid_[id] == 0.0f && i != L - 1) continue;
    const float* e = embeddings_.row(id, row_buffer);
    const float* p = position_ + i * W;
    float* row = x + n * W;
    for (int64_t d = 0; d < W; ++d) {
      const float scaled = e[d] * input_scale_;
      row[d] = scaled + p[d];
    }
    ++n;
  }
  const int64_t items = valid_[ids[L - 1]] != 0.0f ? n : n - 1;
  const int64_t hd = head_dim_;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Block& block = blocks_[b];
    const bool last = b + 1 == blocks_.size();
    const int64_t first = last ? n - 1 : 0;  // the query rows: first .. n - 1
    const int64_t queries = n - first;
    layer_norm(block.ln1, x, n, z, squares);
    run_dense_rows(block.query, z + first * W, queries, q);
    run_dense_rows(block.key, z, items, k);
    run_dense_rows(block.value, z, items, v);
    for (int64_t a = 0; a < queries; ++a) {
      // Keys: the items at or before this row (all of them for a padded newest position).
      const int64_t keys = std::min(first + a + 1, items);
      float* ctx = context + a * W;
      std::fill(ctx, ctx + W, 0.0f);
      if (keys == 0) continue;  // the graph zeroes the context of a row with no key
      for (int h = 0; h < heads_; ++h) {
        std::fill(scores, scores + keys, 0.0f);
        tfl::dot_rows_add(q + a * W + h * hd, k + h * hd, W, keys, hd, scores);
        for (int64_t j = 0; j < keys; ++j) {
          const float scaled = scores[j] * score_scale_;
          scores[j] = scaled + 0.0f;  // the score bias of an unmasked key
        }
        tfl::softmax_row(scores, weights, keys, block.betas[h]);
        tfl::weighted_rows_add(weights, keys, v + h * hd, W, hd, ctx + h * hd);
      }
    }
    run_dense_rows(block.out, context, queries, o);
    for (int64_t i = 0; i < queries * W; ++i) hidden[i] = x[first * W + i] + o[i];
    layer_norm(block.ln2, hidden, queries, z, squares);
    run_dense_rows(block.ffn1, z, queries, ffn);
    if (block.gelu) tfl::gelu(ffn, ffn, queries * F, block.gelu_approximate);
    run_dense_rows(block.ffn2, ffn, queries, o);
    for (int64_t i = 0; i < queries * W; ++i) x[i] = hidden[i] + o[i];
  }
  if (layers_.empty()) {
    layer_norm(final_, x, 1, out, squares);
  } else {
    layer_norm(final_, x, 1, user, squares);
    run_dense(layers_, user, out, dense, dense + widest(layers_));
  }
}

}  // namespace pocketrec::runtime
