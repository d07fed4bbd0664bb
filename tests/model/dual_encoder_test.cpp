#include "model/dual_encoder.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "model/model_grad_check.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec {
namespace {

ModelConfig small_config() {
  ModelConfig config;
  config.items = 7;
  config.context_length = 4;
  config.embedding_dim = 3;
  config.hidden = {5};
  config.output_dim = 3;
  return config;
}

// Full model loss (encode + softmax) against finite differences for every parameter.
void check_model(const ModelConfig& config) {
  DualEncoder model(config);
  model.initialize(9);
  testing::randomize_biases(model, 5);
  std::vector<int32_t> contexts = {0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 7, 0, 0, 0, 0};
  testing::expect_model_gradients(
      model, {3, 1, 7, 2}, [&](EncoderWorkspace& ws) { model.encode(contexts.data(), 4, ws); });
}

}  // namespace

TEST(DualEncoder, GradientsMatchFiniteDifferences) {
  check_model(small_config());
}

TEST(DualEncoder, GradientsWithFinalReluAndNoBias) {
  auto config = small_config();
  config.final_relu = true;
  config.label_bias = false;
  config.hidden = {4, 6};
  check_model(config);
}

TEST(DualEncoder, GradientsWithTiedTablesAndNoProjection) {
  auto config = small_config();
  config.hidden = {};
  config.output_dim = 0;
  config.tie_embeddings = true;
  check_model(config);
}

TEST(DualEncoder, GradientsWithGruEncoder) {
  auto config = small_config();
  config.encoder = parse_encoder("gru");
  config.rnn_units = 4;
  config.hidden = {};  // no ReLU kinks: the recurrent path is what this checks
  check_model(config);
}

TEST(DualEncoder, GradientsWithLstmEncoder) {
  auto config = small_config();
  config.encoder = parse_encoder("lstm");
  config.rnn_units = 3;
  config.hidden = {};
  check_model(config);
}

TEST(DualEncoder, EveryStepGradientsForCausalTraining) {
  for (std::string encoder : {"gru", "lstm"}) {
    auto config = small_config();
    config.encoder = parse_encoder(encoder);
    config.rnn_units = 3;
    config.hidden = {};
    DualEncoder model(config);
    model.initialize(9);
    std::vector<int32_t> contexts = {0, 0, 1, 2, 3, 4, 5, 6};
    // Targets per (sequence, step); 0 = no target (padding).
    EncoderWorkspace ws = testing::expect_model_gradients(
        model, {0, 1, 2, 7, 4, 5, 6, 3},
        [&](EncoderWorkspace& w) { model.encode_steps(contexts.data(), 2, w); }, encoder);
    EXPECT_EQ(ws.user().rows, 8);
    // The last step's user vector equals the ordinary encoding of the same context.
    EncoderWorkspace single;
    model.encode(contexts.data() + 4, 1, single);
    for (int k = 0; k < single.user().cols; ++k) {
      EXPECT_FLOAT_EQ(single.user().at(0, k), ws.user().at(7, k));
    }
  }
}

ModelConfig attention_config() {
  auto config = small_config();
  config.encoder = parse_encoder("attention");
  config.embedding_dim = 4;
  config.hidden = {};
  config.output_dim = 0;
  config.attention.blocks = 2;
  config.attention.heads = 2;
  config.attention.ffn_dim = 6;
  return config;
}

TEST(DualEncoder, AttentionEncoderGradients) {
  check_model(attention_config());
}

TEST(DualEncoder, AttentionEncoderGradientsWithRelu) {
  auto config = attention_config();
  config.attention.activation = Activation::kRelu;
  DualEncoder model(config);
  model.initialize(9);
  testing::randomize_biases(model, 5);
  // Feed-forward pre-activations far from ReLU's kink, where finite differences would straddle it;
  // one unit per block stays off, so the zero branch is checked too.
  for (auto& p : model.parameters()) {
    if (p.name.find("ffn1/bias") == std::string::npos) continue;
    for (float& v : p.value.data) v = 3.0f;
    p.value.data[0] = -3.0f;
  }
  std::vector<int32_t> contexts = {0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 7, 0, 0, 0, 0};
  testing::expect_model_gradients(
      model, {3, 1, 7, 2}, [&](EncoderWorkspace& ws) { model.encode(contexts.data(), 4, ws); });
}

TEST(DualEncoder, AttentionEveryStepGradientsWithDropout) {
  auto config = attention_config();
  config.tie_embeddings = true;
  config.attention.embedding_dropout = 0.2f;
  config.attention.attention_dropout = 0.3f;
  config.attention.residual_dropout = 0.25f;
  DualEncoder model(config);
  model.initialize(9);
  std::vector<int32_t> contexts = {0, 0, 1, 2, 3, 4, 5, 6};
  EncoderWorkspace ws =
      testing::expect_model_gradients(model, {0, 1, 2, 7, 4, 5, 6, 3}, [&](EncoderWorkspace& w) {
        w.dropout = {true, 77, 0};
        model.encode_steps(contexts.data(), 2, w);
      });
  EXPECT_EQ(ws.user().rows, 8);
  // Without training (no dropout), the last step's vector is the ordinary encoding.
  EncoderWorkspace steps, single;
  model.encode_steps(contexts.data(), 2, steps);
  model.encode(contexts.data() + 4, 1, single);
  for (int k = 0; k < single.user().cols; ++k) {
    EXPECT_FLOAT_EQ(single.user().at(0, k), steps.user().at(7, k));
  }
}

TEST(DualEncoder, AttentionPaddingNeverChangesTheEncoding) {
  auto config = attention_config();
  config.context_length = 6;
  DualEncoder model(config);
  model.initialize(4);
  // The same history behind more padding: position embeddings are by slot, so compare the same
  // slots. Masked keys mean what sits in padded slots cannot matter.
  std::vector<int32_t> a = {0, 0, 0, 3, 5, 2}, b = {0, 0, 0, 3, 5, 2};
  EncoderWorkspace wa, wb;
  model.encode(a.data(), 1, wa);
  std::vector<float> first(wa.user().data.begin(), wa.user().data.end());
  b[1] = 0;  // unchanged padding, then a different history length
  model.encode(b.data(), 1, wb);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(first[k], wb.user().at(0, k));
  std::vector<int32_t> longer = {0, 0, 7, 3, 5, 2};
  model.encode(longer.data(), 1, wb);
  bool differs = false;
  for (int k = 0; k < 4; ++k) differs |= first[k] != wb.user().at(0, k);
  EXPECT_TRUE(differs);
}

TEST(DualEncoder, GradientsWithCnnEncoder) {
  auto config = small_config();
  config.encoder = parse_encoder("cnn");
  config.conv_kernel = 2;
  config.conv_ratios = {2, 1};
  config.hidden = {};
  check_model(config);
}

TEST(DualEncoder, CnnPaddingNeverWinsTheMax) {
  auto config = small_config();
  config.encoder = parse_encoder("cnn");
  config.conv_kernel = 2;
  config.conv_ratios = {2};
  config.hidden = {};
  DualEncoder model(config);
  model.initialize(4);
  // An all-padding history pools to zeros, so only the projection bias remains.
  std::vector<int32_t> empty = {0, 0, 0, 0};
  EncoderWorkspace ws;
  model.encode(empty.data(), 1, ws);
  for (int k = 0; k < ws.layers[0].cols; ++k) EXPECT_EQ(ws.layers[0].at(0, k), 0.0f);
}

class RecurrentEncoder : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(GruAndLstm, RecurrentEncoder, ::testing::Values("gru", "lstm"));

TEST_P(RecurrentEncoder, PaddingPositionDoesNotChangeTheEncoding) {
  auto config = small_config();
  config.encoder = parse_encoder(GetParam());
  DualEncoder model(config);
  model.initialize(3);
  std::vector<int32_t> left = {0, 0, 5, 2}, right = {5, 2, 0, 0}, middle = {0, 5, 2, 0};
  EncoderWorkspace a, b, c;
  model.encode(left.data(), 1, a);
  model.encode(right.data(), 1, b);
  model.encode(middle.data(), 1, c);
  for (int k = 0; k < a.user().cols; ++k) {
    EXPECT_FLOAT_EQ(a.user().at(0, k), b.user().at(0, k));
    EXPECT_FLOAT_EQ(a.user().at(0, k), c.user().at(0, k));
  }
  // Order matters to a GRU, unlike a bag of words.
  std::vector<int32_t> swapped = {0, 0, 2, 5};
  model.encode(swapped.data(), 1, b);
  bool differs = false;
  for (int k = 0; k < a.user().cols; ++k) differs |= a.user().at(0, k) != b.user().at(0, k);
  EXPECT_TRUE(differs);
}

TEST(DualEncoder, PaddingPositionDoesNotChangeTheEncoding) {
  auto config = small_config();
  DualEncoder model(config);
  model.initialize(3);
  std::vector<int32_t> left = {0, 0, 5, 2}, right = {5, 2, 0, 0};
  EncoderWorkspace a, b;
  model.encode(left.data(), 1, a);
  model.encode(right.data(), 1, b);
  for (int c = 0; c < a.user().cols; ++c) EXPECT_FLOAT_EQ(a.user().at(0, c), b.user().at(0, c));
}

TEST(DualEncoder, BadConfigsAreRejected) {
  auto config = small_config();
  config.tie_embeddings = true;
  config.output_dim = 8;  // != embedding dim
  EXPECT_THROW(DualEncoder{config}, Error);
  config = small_config();
  EXPECT_THROW(parse_encoder("transformer"), Error);
  config = small_config();
  config.items = 0;
  EXPECT_THROW(DualEncoder{config}, Error);
}

}  // namespace pocketrec
