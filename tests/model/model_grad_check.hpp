#pragma once
// The whole model's gradients (an encoding + the full softmax over the catalog) against finite
// differences, for every parameter. Shared by the item-id, causal and feature-model tests.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "model/dual_encoder.hpp"
#include "nn/grad_check.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec::testing {

// Non-zero biases keep pre-activations off the ReLU kink at 0 (an all-padding row pools to 0).
inline void randomize_biases(DualEncoder& model, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (auto& p : model.parameters()) {
    if (p.name.find("bias") != std::string::npos) {
      for (float& v : p.value.data) v = normal(rng);
    }
  }
}

// `encode(ws)` runs the forward pass; `targets` has one entry per row of the user matrix (0 =
// none). Returns the workspace of the analytic pass, for further checks.
template <class Encode>
EncoderWorkspace expect_model_gradients(DualEncoder& model, const std::vector<uint32_t>& targets,
                                        Encode encode, const std::string& label = "") {
  auto forward = [&](EncoderWorkspace& ws, Gradients& grads) {
    encode(ws);
    nn::Matrix logits;
    const int b = model.label_bias_index();
    return softmax_cross_entropy(ws.user(), targets.data(), model.label_table(), model.label_bias(),
                                 1.0f, logits, ws.user_grad(), grads[model.label_index()],
                                 b >= 0 ? &grads[b] : nullptr);
  };
  auto loss = [&] {
    EncoderWorkspace ws;
    auto grads = model.make_gradients();
    return forward(ws, grads);
  };
  EncoderWorkspace ws;
  auto grads = model.make_gradients();
  forward(ws, grads);
  model.encode_backward(ws, grads);
  for (size_t p = 0; p < model.parameters().size(); ++p) {
    auto& param = model.parameters()[p];
    // Row 0 (padding) of the tables is excluded: it is masked and never a class.
    const size_t skip = param.name.find("embedding") != std::string::npos ? param.value.cols : 0;
    auto result = nn::check_gradient(param.value.data.data() + skip, param.value.size() - skip,
                                     grads[p].values.data.data() + skip, loss, 5e-3f);
    EXPECT_LT(result.max_error, 5e-3)
        << label << " " << param.name << " index " << result.worst_index << " numeric "
        << result.worst_numeric << " analytic " << result.worst_analytic;
  }
  return ws;
}

}  // namespace pocketrec::testing
