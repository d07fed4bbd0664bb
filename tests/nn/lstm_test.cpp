#include "nn/lstm.hpp"

#include <gtest/gtest.h>

#include <random>

#include "nn/grad_check.hpp"

namespace pocketrec::nn {
namespace {

struct LstmFixture {
  int batch = 3, length = 4, embed = 3, units = 4;
  Matrix input{embed, 4 * units}, recurrent{units, 4 * units}, bias{1, 4 * units};
  Matrix x{batch * length, embed};
  std::vector<int32_t> ids = {0, 0, 4, 2, 1, 3, 5, 6, 7, 2, 0, 0};
  std::vector<float> probe;

  LstmFixture() {
    std::mt19937 rng(21);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    for (auto* m : {&input, &recurrent, &bias, &x}) {
      for (float& v : m->data) v = normal(rng);
    }
    probe.resize(batch * units);
    for (float& p : probe) p = normal(rng);
  }
  LstmWeights weights() const { return {input, recurrent, bias}; }
  std::vector<float> run() const {
    LstmState state;
    std::vector<float> out(batch * units);
    lstm_forward(weights(), x.data.data(), ids.data(), batch, length, state, out.data());
    return out;
  }
  double loss() const {
    auto out = run();
    double total = 0;
    for (size_t i = 0; i < out.size(); ++i) total += static_cast<double>(out[i]) * probe[i];
    return total;
  }
};

}  // namespace

TEST(GradCheck, MaskedLstm) {
  LstmFixture f;
  LstmState state;
  std::vector<float> out(f.batch * f.units);
  lstm_forward(f.weights(), f.x.data.data(), f.ids.data(), f.batch, f.length, state, out.data());
  Gradient gi, gr, gb;
  gi.init(f.input.rows, f.input.cols, false);
  gr.init(f.recurrent.rows, f.recurrent.cols, false);
  gb.init(1, f.bias.cols, false);
  Matrix dx(f.batch * f.length, f.embed);
  lstm_backward(f.weights(), f.x.data.data(), f.ids.data(), state, f.probe.data(), nullptr,
                dx.data.data(), gi, gr, gb);
  auto loss = [&] { return f.loss(); };
  for (auto [values, grad] : {std::pair{&f.input, &gi.values}, std::pair{&f.recurrent, &gr.values},
                              std::pair{&f.bias, &gb.values}, std::pair{&f.x, &dx}}) {
    auto result =
        check_gradient(values->data.data(), values->size(), grad->data.data(), loss, 1e-3f);
    EXPECT_LT(result.max_error, 2e-3) << "index " << result.worst_index;
  }
  for (int e = 0; e < f.embed; ++e) EXPECT_EQ(dx.at(0, e), 0.0f);
}

TEST(Lstm, PaddingNeverChangesTheState) {
  LstmFixture f;
  f.ids = {0, 0, 4, 2, 4, 2, 0, 0, 0, 4, 2, 0};
  for (int e = 0; e < f.embed; ++e) {
    f.x.at(4, e) = f.x.at(2, e);
    f.x.at(5, e) = f.x.at(3, e);
    f.x.at(9, e) = f.x.at(2, e);
    f.x.at(10, e) = f.x.at(3, e);
    f.x.at(0, e) = 100.0f;
    f.x.at(7, e) = -50.0f;
  }
  auto out = f.run();
  for (int u = 0; u < f.units; ++u) {
    EXPECT_FLOAT_EQ(out[u], out[f.units + u]);
    EXPECT_FLOAT_EQ(out[u], out[2 * f.units + u]);
  }
}

TEST(Lstm, KnownValueForOneStep) {
  // One unit, one step, all weights zero except the biases: gates are fixed numbers.
  Matrix input(1, 4), recurrent(1, 4), bias(1, 4), x(1, 1);
  bias.data = {0.5f, 0.0f, 0.3f, -0.2f};  // i, f, g, o pre-activations
  std::vector<int32_t> ids = {7};
  LstmState state;
  float out = 0;
  lstm_forward({input, recurrent, bias}, x.data.data(), ids.data(), 1, 1, state, &out);
  double i = 1 / (1 + std::exp(-0.5)), g = std::tanh(0.3), o = 1 / (1 + std::exp(0.2));
  EXPECT_NEAR(out, o * std::tanh(i * g), 1e-6);
}

}  // namespace pocketrec::nn
