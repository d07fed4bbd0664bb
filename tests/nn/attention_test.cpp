// The self-attention encoder's layers against finite differences, and their exact behaviour on
// hand-made cases (masking, causality, dropout reproducibility).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nn/grad_check.hpp"
#include "nn/transformer_layers.hpp"

namespace pocketrec::nn {
namespace {

constexpr double kAttentionTolerance = 2e-3;

void randomize_values(std::vector<float>& v, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  for (float& x : v) x = normal(rng);
}

double probe_dot(const std::vector<float>& a, const std::vector<float>& b) {
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += static_cast<double>(a[i]) * b[i];
  return total;
}

}  // namespace

TEST(AttentionLayers, LayerNormGradients) {
  std::mt19937 rng(3);
  const int rows = 3, dim = 5;
  Matrix gamma(1, dim), beta(1, dim);
  std::vector<float> x(rows * dim), probe(rows * dim), y(rows * dim);
  randomize_values(x, rng);
  for (int i = 0; i < dim; ++i) {
    gamma.data[i] = 1.0f + 0.1f * static_cast<float>(i);
    beta.data[i] = 0.05f * static_cast<float>(i);
  }
  randomize_values(probe, rng);
  LayerNormState state;
  auto loss = [&] {
    layer_norm_forward(gamma, beta, x.data(), rows, dim, state, y.data());
    return probe_dot(y, probe);
  };
  loss();
  // Each output row has mean beta's mean-free part: check the normalization itself.
  double mean = 0, var = 0;
  for (int i = 0; i < dim; ++i) mean += state.normalized.at(0, i);
  for (int i = 0; i < dim; ++i) var += state.normalized.at(0, i) * state.normalized.at(0, i);
  EXPECT_NEAR(mean / dim, 0.0, 1e-6);
  EXPECT_NEAR(var / dim, 1.0, 1e-3);
  Gradient dgamma, dbeta;
  dgamma.init(1, dim, false);
  dbeta.init(1, dim, false);
  std::vector<float> dx(rows * dim, 0.0f);
  layer_norm_backward(gamma, state, probe.data(), dx.data(), false, dgamma, dbeta);
  EXPECT_LT(check_gradient(x.data(), x.size(), dx.data(), loss).max_error, kAttentionTolerance);
  EXPECT_LT(check_gradient(gamma.data.data(), dim, dgamma.values.data.data(), loss).max_error,
            kAttentionTolerance);
  EXPECT_LT(check_gradient(beta.data.data(), dim, dbeta.values.data.data(), loss).max_error,
            kAttentionTolerance);
}

TEST(AttentionLayers, GeluValuesAndGradient) {
  std::vector<float> x = {-3.0f, -1.0f, -0.2f, 0.0f, 0.5f, 1.0f, 2.5f};
  std::vector<float> y(x.size()), probe = {0.3f, -1.0f, 0.5f, 2.0f, 1.5f, -0.7f, 0.9f};
  gelu_forward(x.data(), y.data(), x.size());
  // GELU(1) = 0.5 * (1 + erf(1/sqrt 2)) = 0.841344746...
  EXPECT_NEAR(y[5], 0.8413447f, 1e-6);
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_NEAR(y[1], -0.1586553f, 1e-6);
  auto loss = [&] {
    gelu_forward(x.data(), y.data(), x.size());
    return probe_dot(y, probe);
  };
  std::vector<float> dx(x.size());
  gelu_backward(x.data(), probe.data(), dx.data(), x.size());
  EXPECT_LT(check_gradient(x.data(), x.size(), dx.data(), loss, 1e-3f).max_error,
            kAttentionTolerance);
}

TEST(AttentionLayers, DropoutIsSeededScaledAndReproducible) {
  std::vector<float> x(10000, 1.0f), again(10000, 1.0f), other(10000, 1.0f);
  DropoutMask mask, mask_again, mask_other;
  dropout_forward(x.data(), x.size(), 0.25f, 7, 0, mask);
  dropout_forward(again.data(), again.size(), 0.25f, 7, 0, mask_again);
  dropout_forward(other.data(), other.size(), 0.25f, 8, 0, mask_other);
  EXPECT_EQ(x, again);
  EXPECT_NE(x, other);
  size_t kept = 0;
  for (float v : x) {
    EXPECT_TRUE(v == 0.0f || std::fabs(v - 1.0f / 0.75f) < 1e-6f);
    kept += v != 0.0f;
  }
  EXPECT_NEAR(static_cast<double>(kept) / x.size(), 0.75, 0.02);
  // A mask depends on where a value sits, not on how the batch was cut: the second half drawn on
  // its own (first_index 5000) is the second half drawn whole.
  std::vector<float> half(5000, 1.0f);
  DropoutMask half_mask;
  dropout_forward(half.data(), half.size(), 0.25f, 7, 5000, half_mask);
  EXPECT_TRUE(std::equal(half.begin(), half.end(), x.begin() + 5000));
  std::vector<float> dx(10000, 2.0f);
  dropout_backward(mask, dx.data(), dx.size());
  for (size_t i = 0; i < dx.size(); ++i) EXPECT_EQ(dx[i], x[i] * 2.0f);
  // Rate 0 (and inference) leaves values alone.
  std::vector<float> untouched(4, 3.0f);
  DropoutMask none;
  dropout_forward(untouched.data(), 4, 0.0f, 7, 0, none);
  EXPECT_FALSE(none.active);
  EXPECT_EQ(untouched, std::vector<float>(4, 3.0f));
}

TEST(AttentionLayers, CausalAttentionByHand) {
  // One sequence, L = 3, dim 2, one head; the first slot is padding. Position 1 sees only
  // itself; position 2 sees positions 1 and 2 with softmax weights of q2.k1 and q2.k2 / sqrt 2.
  const AttentionShape shape{1, 3, 2, 1};
  std::vector<float> qkv = {
      9, 9, 9, 9, 9, 9,  // padding: never attended to
      1, 0, 1, 0, 2, 4,  // q1 k1 v1
      0, 1, 0, 2, 6, 8,  // q2 k2 v2
  };
  std::vector<int32_t> mask = {0, 5, 6};
  AttentionState state;
  std::vector<float> out(6);
  causal_attention_forward(qkv.data(), mask.data(), shape, 0.0f, 0, 0, state, out.data());
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_FLOAT_EQ(out[2], 2.0f);
  EXPECT_FLOAT_EQ(out[3], 4.0f);
  const double s1 = 0.0, s2 = 2.0 / std::sqrt(2.0);  // q2.k1, q2.k2 scaled
  const double w1 = std::exp(s1) / (std::exp(s1) + std::exp(s2)), w2 = 1 - w1;
  EXPECT_NEAR(out[4], w1 * 2 + w2 * 6, 1e-5);
  EXPECT_NEAR(out[5], w1 * 4 + w2 * 8, 1e-5);
}

TEST(AttentionLayers, CausalAttentionGradientsWithHeadsHolesAndDropout) {
  std::mt19937 rng(11);
  const AttentionShape shape{3, 5, 4, 2};
  const size_t rows = static_cast<size_t>(shape.batch) * shape.length;
  std::vector<float> qkv(rows * 3 * shape.dim), probe(rows * shape.dim), out(rows * shape.dim);
  randomize_values(qkv, rng);
  randomize_values(probe, rng);
  // Sequence 0 left-padded, 1 with a hole, 2 all padding.
  std::vector<int32_t> mask = {0, 0, 3, 4, 5, 1, 2, 0, 4, 5, 0, 0, 0, 0, 0};
  for (float rate : {0.0f, 0.3f}) {
    AttentionState state;
    auto loss = [&] {
      causal_attention_forward(qkv.data(), mask.data(), shape, rate, 42, 0, state, out.data());
      return probe_dot(out, probe);
    };
    loss();
    std::vector<float> dqkv(qkv.size());
    causal_attention_backward(qkv.data(), state, probe.data(), dqkv.data());
    EXPECT_LT(check_gradient(qkv.data(), qkv.size(), dqkv.data(), loss).max_error,
              kAttentionTolerance)
        << "dropout " << rate;
    // Keys and values at padded positions get no gradient: nothing ever attends to them.
    for (int k = 0; k < 2 * shape.dim; ++k) {
      EXPECT_EQ(dqkv[0 * 3 * shape.dim + shape.dim + k], 0.0f);
      EXPECT_EQ(dqkv[7 * 3 * shape.dim + shape.dim + k], 0.0f);
    }
    for (size_t i = 10 * shape.dim; i < rows * shape.dim; ++i) EXPECT_EQ(out[i], 0.0f);
  }
}

TEST(AttentionLayers, LaterPositionsNeverReachEarlierOutputs) {
  std::mt19937 rng(5);
  const AttentionShape shape{1, 4, 4, 2};
  std::vector<float> qkv(4 * 12), out(16), changed(16);
  randomize_values(qkv, rng);
  std::vector<int32_t> mask = {1, 2, 3, 4};
  AttentionState state;
  causal_attention_forward(qkv.data(), mask.data(), shape, 0.0f, 0, 0, state, out.data());
  for (int k = 0; k < 12; ++k) qkv[3 * 12 + k] += 1.0f;  // the last position's q, k, v
  causal_attention_forward(qkv.data(), mask.data(), shape, 0.0f, 0, 0, state, changed.data());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(out[i], changed[i]);
  bool last_changed = false;
  for (int i = 12; i < 16; ++i) last_changed |= out[i] != changed[i];
  EXPECT_TRUE(last_changed);
}

TEST(AttentionLayers, PackedRowsGiveThePaddedLayoutsValuesAndGradients) {
  std::mt19937 rng(17);
  const AttentionShape shape{3, 5, 4, 2};
  const int L = shape.length, stride = 3 * shape.dim;
  const size_t rows = static_cast<size_t>(shape.batch) * L;
  std::vector<float> qkv(rows * stride), dout(rows * shape.dim), out(rows * shape.dim);
  randomize_values(qkv, rng);
  randomize_values(dout, rng);
  // Left-padded, with a hole, all padding (which keeps only its newest position).
  std::vector<int32_t> mask = {0, 0, 3, 4, 5, 1, 2, 0, 4, 5, 0, 0, 0, 0, 0};
  PackedRows packed;
  packed.start = {2, 0, 4};
  packed.row0 = {0, 3, 8};
  packed.rows = 9;
  std::vector<float> packed_qkv(packed.rows * stride), packed_dout(packed.rows * shape.dim);
  for (int b = 0; b < shape.batch; ++b) {
    for (int t = packed.start[b]; t < L; ++t) {
      const size_t from = static_cast<size_t>(b) * L + t, to = packed.row(b, t);
      std::copy_n(qkv.begin() + from * stride, stride, packed_qkv.begin() + to * stride);
      std::copy_n(dout.begin() + from * shape.dim, shape.dim, packed_dout.begin() + to * shape.dim);
    }
  }
  for (float rate : {0.0f, 0.3f}) {
    AttentionState padded_state, packed_state;
    std::vector<float> packed_out(packed.rows * shape.dim, -1.0f);
    causal_attention_forward(qkv.data(), mask.data(), shape, rate, 42, 3, padded_state, out.data());
    causal_attention_forward(packed_qkv.data(), mask.data(), shape, packed, rate, 42, 3,
                             packed_state, packed_out.data());
    std::vector<float> dqkv(qkv.size()), packed_dqkv(packed_qkv.size(), -1.0f);
    causal_attention_backward(qkv.data(), padded_state, dout.data(), dqkv.data());
    causal_attention_backward(packed_qkv.data(), packed_state, packed_dout.data(),
                              packed_dqkv.data());
    for (int b = 0; b < shape.batch; ++b) {
      for (int t = packed.start[b]; t < L; ++t) {
        const size_t from = static_cast<size_t>(b) * L + t, to = packed.row(b, t);
        for (int k = 0; k < shape.dim; ++k) {
          EXPECT_EQ(packed_out[to * shape.dim + k], out[from * shape.dim + k])
              << "rate " << rate << " sequence " << b << " position " << t;
        }
        for (int k = 0; k < stride; ++k) {
          EXPECT_EQ(packed_dqkv[to * stride + k], dqkv[from * stride + k])
              << "rate " << rate << " sequence " << b << " position " << t;
        }
      }
    }
    // The all-padding sequence's one row attends to nothing.
    for (int k = 0; k < shape.dim; ++k) EXPECT_EQ(packed_out[8 * shape.dim + k], 0.0f);
  }
}

}  // namespace pocketrec::nn
