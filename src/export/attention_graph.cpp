// The self-attention encoder as builtin operators: LayerNorm as MEAN / SUB / MUL / RSQRT, one
// FULLY_CONNECTED per head for queries, keys and values, BATCH_MATMUL + SOFTMAX for attention,
// GELU (or a fused RELU) in the feed-forward layer. Masking adds -1e9 to the scores of padded
// keys and of later positions, so their softmax weights are exactly zero, as in training.
// Only the newest position's output is needed: the last block computes its queries, attention
// and feed-forward layer for that one row.
#include "export/graph_builder.hpp"
#include "tflite/graph_names.hpp"

namespace pocketrec::export_graph {
namespace {

constexpr float kMasked = -1e9f;

}  // namespace

int GraphBuilder::attention(int embedded, int valid) {
  const int length = config_.context_length;
  const int width = config_.embedding_dim;
  const auto& settings = config_.attention;
  const int heads = settings.heads;
  const int head_dim = width / heads;
  const int ffn = settings.ffn_dim > 0 ? settings.ffn_dim : width;
  namespace names = graph_names;
  const std::string base = names::attention("");

  // x = embedded * sqrt(W) + position
  int rows = reshape_float(embedded, Shape{length, width}, base + "input");
  int scale = g.add_floats(names::attention(names::kInputScale), Shape{},
                           {std::sqrt(static_cast<float>(width))});
  const nn::Matrix& position = param(model_, base + "position");
  int pos = g.add_floats(names::attention(names::kPosition), Shape{length, width},
                         std::vector<float>(position.data.begin(), position.data.end()));
  int x = binary(Op::ADD, binary(Op::MUL, rows, scale, base + "scaled"), pos, base + "x0");

  // The [L, L] masks are computed from two position vectors rather than stored: stored, they
  // were 320 KB of a 1.5 MB file at L = 200. later[i][j] = min(max(j - i, 0), 1) is 1 exactly
  // above the diagonal; every value is a small integer, so the masks are exact.
  std::vector<float> positions(static_cast<size_t>(length));
  for (int i = 0; i < length; ++i) positions[static_cast<size_t>(i)] = static_cast<float>(i);
  int query_pos =
      g.add_floats(names::attention(names::kQueryPositions), Shape{length, 1}, positions);
  int key_pos = g.add_floats(names::attention(names::kKeyPositions), Shape{1, length}, positions);
  int offset = g.add_tensor(base + "key_offset", DType::kFloat32, Shape{length, length});
  g.add_op(tfl::op(Op::SUB), {key_pos, query_pos}, {offset});
  int zero = g.add_floats(names::attention(names::kZero), Shape{}, {0.0f});
  int one = g.add_floats(names::attention(names::kOne), Shape{}, {1.0f});
  int later = binary(Op::MINIMUM, binary(Op::MAXIMUM, offset, zero, base + "key_ahead"), one,
                     base + "later");
  // Score bias [L, L]: (valid - 1 - later) * 1e9, so -1e9 (or -2e9) at padded and later keys.
  int big = g.add_floats(names::attention(names::kMasked), Shape{}, {-kMasked});
  int invalid = binary(Op::SUB, valid, one, base + "invalid");  // [1, L]
  int excluded = binary(Op::SUB, invalid, later, base + "excluded");
  int score_bias = binary(Op::MUL, excluded, big, base + "score_bias");
  int last_index = g.add_ints(base + "last", Shape{1}, {length - 1});
  // Training gives a position with no unmasked key at or before it a zero attention output; the
  // graph's softmax would spread over the masked keys instead. has_key[t] = c / max(c, 1), with
  // c the count of unmasked keys up to t, zeroes those rows' contexts.
  int lower_t = binary(Op::SUB, one, later, base + "lower_ones");
  int valid_column = reshape_float(valid, Shape{length, 1}, base + "valid_column");
  int key_count = g.add_tensor(base + "key_count", DType::kFloat32, Shape{length, 1});
  g.add_op(tfl::op(Op::BATCH_MATMUL), {lower_t, valid_column}, {key_count},
           tfl::options<tflite::BatchMatMulOptions>([](auto& fbb) {
             return tflite::CreateBatchMatMulOptions(fbb, false, false, false);
           }));
  int has_key = binary(Op::DIV, key_count, binary(Op::MAXIMUM, key_count, one, base + "count_1"),
                       base + "has_key");

  auto layer_norm = [&](int input, const std::string& name) {
    int mean = reduce(Op::MEAN, input, {1}, true, name + "/mean");
    int centered = binary(Op::SUB, input, mean, name + "/centered");
    int squares = binary(Op::MUL, centered, centered, name + "/squares");
    int var = reduce(Op::MEAN, squares, {1}, true, name + "/var");
    int eps = g.add_floats(name + std::string(names::kEpsilon), Shape{}, {nn::kLayerNormEpsilon});
    int rstd = unary(Op::RSQRT, binary(Op::ADD, var, eps, name + "/var_eps"), name + "/rstd");
    int normalized = binary(Op::MUL, centered, rstd, name + "/normalized");
    const nn::Matrix& gamma = param(model_, name + "/gamma");
    const nn::Matrix& beta = param(model_, name + "/beta");
    int gamma_t = g.add_floats(name + std::string(names::kGamma), Shape{width},
                               std::vector<float>(gamma.data.begin(), gamma.data.end()));
    int beta_t = g.add_floats(name + std::string(names::kBeta), Shape{width},
                              std::vector<float>(beta.data.begin(), beta.data.end()));
    return binary(Op::ADD, binary(Op::MUL, normalized, gamma_t, name + "/scaled"), beta_t,
                  name + std::string(names::kLnOut));
  };
  auto last_row = [&](int input, int cols, const std::string& name) {
    return gather(input, last_index, Shape{1, cols}, DType::kFloat32, name);
  };
  auto matmul = [&](int a, int b, bool adj_y, const Shape& shape, const std::string& name) {
    int out = g.add_tensor(name, DType::kFloat32, shape);
    g.add_op(tfl::op(Op::BATCH_MATMUL), {a, b}, {out},
             tfl::options<tflite::BatchMatMulOptions>([adj_y](auto& fbb) {
               return tflite::CreateBatchMatMulOptions(fbb, false, adj_y, false);
             }));
    return out;
  };

  const float inv_sqrt_dh = 1.0f / std::sqrt(static_cast<float>(head_dim));
  int score_scale = g.add_floats(names::attention(names::kScoreScale), Shape{}, {inv_sqrt_dh});
  for (int block = 0; block < settings.blocks; ++block) {
    const std::string b = names::attention_block(block);
    const bool last = block + 1 == settings.blocks;
    const int q_rows = last ? 1 : length;
    int z = layer_norm(x, b + std::string(names::kLn1));
    int z_query = last ? last_row(z, width, b + "ln1/last") : z;
    int x_query = last ? last_row(x, width, b + "x_last") : x;
    int bias_rows = last ? last_row(score_bias, length, b + "score_bias_last") : score_bias;
    int key_rows = last ? last_row(has_key, 1, b + "has_key_last") : has_key;
    const nn::Matrix& qkv = param(model_, b + "qkv/weight");
    const nn::Matrix& qkv_bias = param(model_, b + "qkv/bias");
    std::vector<int> contexts;
    for (int h = 0; h < heads; ++h) {
      const std::string hn = names::attention_head(block, h);
      auto projection = [&](int input, int part, const std::string& name) {
        const int c0 = part * width + h * head_dim;
        return fc(input, transposed_columns(qkv, c0, head_dim), head_dim, width,
                  bias(row_block(qkv_bias, 0, c0, head_dim), name), Act::NONE, name);
      };
      int q = projection(z_query, 0, hn + std::string(names::kQuery));
      int k = projection(z, 1, hn + std::string(names::kKey));
      int v = projection(z, 2, hn + std::string(names::kValue));
      int scores = matmul(q, k, true, Shape{q_rows, length}, hn + "/scores");
      scores = binary(Op::MUL, scores, score_scale, hn + "/scaled_scores");
      scores = binary(Op::ADD, scores, bias_rows, hn + "/masked_scores");
      int weights_t =
          g.add_tensor(hn + std::string(names::kWeights), DType::kFloat32, Shape{q_rows, length});
      g.add_op(tfl::op(Op::SOFTMAX), {scores}, {weights_t},
               tfl::options<tflite::SoftmaxOptions>(
                   [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f); }));
      contexts.push_back(matmul(weights_t, v, false, Shape{q_rows, head_dim}, hn + "/context"));
    }
    int context = contexts[0];
    if (heads > 1) {
      context = g.add_tensor(b + "context", DType::kFloat32, Shape{q_rows, width});
      g.add_op(tfl::op(Op::CONCATENATION), contexts, {context},
               tfl::options<tflite::ConcatenationOptions>([](auto& fbb) {
                 return tflite::CreateConcatenationOptions(fbb, 1, Act::NONE);
               }));
    }
    context = binary(Op::MUL, context, key_rows, b + "context_if_keys");
    const nn::Matrix& out_w = param(model_, b + "out/weight");
    int attended = fc(
        context, transposed_columns(out_w, 0, width), width, width,
        bias(row_block(param(model_, b + "out/bias"), 0, 0, width), b + std::string(names::kOut)),
        Act::NONE, b + std::string(names::kOut));
    int hidden = binary(Op::ADD, x_query, attended, b + "hidden");
    int z2 = layer_norm(hidden, b + std::string(names::kLn2));
    const bool gelu = settings.activation == Activation::kGelu;
    const nn::Matrix& w1 = param(model_, b + "ffn1/weight");
    int f = fc(
        z2, transposed_columns(w1, 0, ffn), ffn, width,
        bias(row_block(param(model_, b + "ffn1/bias"), 0, 0, ffn), b + std::string(names::kFfn1)),
        gelu ? Act::NONE : Act::RELU, b + std::string(names::kFfn1));
    if (gelu) {
      int activated =
          g.add_tensor(b + std::string(names::kGelu), DType::kFloat32, Shape{q_rows, ffn});
      g.add_op(tfl::op(Op::GELU), {f}, {activated},
               tfl::options<tflite::GeluOptions>(
                   [](auto& fbb) { return tflite::CreateGeluOptions(fbb, false); }));
      f = activated;
    }
    const nn::Matrix& w2 = param(model_, b + "ffn2/weight");
    int out = fc(
        f, transposed_columns(w2, 0, width), width, ffn,
        bias(row_block(param(model_, b + "ffn2/bias"), 0, 0, width), b + std::string(names::kFfn2)),
        Act::NONE, b + std::string(names::kFfn2));
    x = binary(Op::ADD, hidden, out, b + "out_x");
  }
  return layer_norm(x, names::attention(names::kFinalLn));
}

}  // namespace pocketrec::export_graph
