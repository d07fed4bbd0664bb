#include "model/dual_encoder.hpp"

#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "nn/grad_check.hpp"
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
  // Non-zero biases keep pre-activations off the ReLU kink at 0 (an all-padding row pools to 0).
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (auto& p : model.parameters()) {
    if (p.name.find("bias") != std::string::npos) {
      for (float& v : p.value.data) v = normal(rng);
    }
  }
  std::vector<int32_t> contexts = {0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 7, 0, 0, 0, 0};
  std::vector<uint32_t> targets = {3, 1, 7, 2};
  const int batch = 4;
  auto loss = [&] {
    EncoderWorkspace ws;
    model.encode(contexts.data(), batch, ws);
    auto grads = model.make_gradients();
    nn::Matrix logits;
    int b = model.label_bias_index();
    return softmax_cross_entropy(ws.user(), targets.data(), model.label_table(), model.label_bias(),
                                 1.0f, logits, ws.user_grad(), grads[model.label_index()],
                                 b >= 0 ? &grads[b] : nullptr);
  };
  EncoderWorkspace ws;
  auto grads = model.make_gradients();
  model.encode(contexts.data(), batch, ws);
  nn::Matrix logits;
  int b = model.label_bias_index();
  softmax_cross_entropy(ws.user(), targets.data(), model.label_table(), model.label_bias(), 1.0f,
                        logits, ws.user_grad(), grads[model.label_index()],
                        b >= 0 ? &grads[b] : nullptr);
  model.encode_backward(contexts.data(), ws, grads);
  for (size_t p = 0; p < model.parameters().size(); ++p) {
    auto& value = model.parameters()[p].value;
    // Row 0 (padding) of the tables is excluded: it is masked and never a class.
    size_t skip =
        model.parameters()[p].name.find("embedding") != std::string::npos ? value.cols : 0;
    auto result = nn::check_gradient(value.data.data() + skip, value.size() - skip,
                                     grads[p].values.data.data() + skip, loss, 5e-3f);
    EXPECT_LT(result.max_error, 5e-3)
        << model.parameters()[p].name << " index " << result.worst_index << " numeric "
        << result.worst_numeric << " analytic " << result.worst_analytic;
  }
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
  config.encoder = "gru";
  config.rnn_units = 4;
  config.hidden = {};  // no ReLU kinks: the recurrent path is what this checks
  check_model(config);
}

TEST(DualEncoder, GradientsWithLstmEncoder) {
  auto config = small_config();
  config.encoder = "lstm";
  config.rnn_units = 3;
  config.hidden = {};
  check_model(config);
}

TEST(DualEncoder, EveryStepGradientsForCausalTraining) {
  for (std::string encoder : {"gru", "lstm"}) {
    auto config = small_config();
    config.encoder = encoder;
    config.rnn_units = 3;
    config.hidden = {};
    DualEncoder model(config);
    model.initialize(9);
    std::vector<int32_t> contexts = {0, 0, 1, 2, 3, 4, 5, 6};
    // Targets per (sequence, step); 0 = no target (padding).
    std::vector<uint32_t> targets = {0, 1, 2, 7, 4, 5, 6, 3};
    auto forward = [&](EncoderWorkspace& ws, Gradients& grads) {
      model.encode_steps(contexts.data(), 2, ws);
      nn::Matrix logits;
      return softmax_cross_entropy(ws.user(), targets.data(), model.label_table(),
                                   model.label_bias(), 1.0f, logits, ws.user_grad(),
                                   grads[model.label_index()], &grads[model.label_bias_index()]);
    };
    auto loss = [&] {
      EncoderWorkspace ws;
      auto grads = model.make_gradients();
      return forward(ws, grads);
    };
    EncoderWorkspace ws;
    auto grads = model.make_gradients();
    forward(ws, grads);
    EXPECT_EQ(ws.user().rows, 8);
    model.encode_backward(contexts.data(), ws, grads);
    for (size_t p = 0; p < model.parameters().size(); ++p) {
      auto& value = model.parameters()[p].value;
      size_t skip =
          model.parameters()[p].name.find("embedding") != std::string::npos ? value.cols : 0;
      auto result = nn::check_gradient(value.data.data() + skip, value.size() - skip,
                                       grads[p].values.data.data() + skip, loss, 5e-3f);
      EXPECT_LT(result.max_error, 5e-3) << encoder << " " << model.parameters()[p].name;
    }
    // The last step's user vector equals the ordinary encoding of the same context.
    EncoderWorkspace single;
    model.encode(contexts.data() + 4, 1, single);
    for (int k = 0; k < single.user().cols; ++k) {
      EXPECT_FLOAT_EQ(single.user().at(0, k), ws.user().at(7, k));
    }
  }
}

TEST(DualEncoder, GradientsWithCnnEncoder) {
  auto config = small_config();
  config.encoder = "cnn";
  config.conv_kernel = 2;
  config.conv_ratios = {2, 1};
  config.hidden = {};
  check_model(config);
}

TEST(DualEncoder, CnnPaddingNeverWinsTheMax) {
  auto config = small_config();
  config.encoder = "cnn";
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
  config.encoder = GetParam();
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
  config.encoder = "transformer";
  EXPECT_THROW(DualEncoder{config}, Error);
  config = small_config();
  config.items = 0;
  EXPECT_THROW(DualEncoder{config}, Error);
}

}  // namespace pocketrec
