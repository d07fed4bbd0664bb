#include "nn/gru.hpp"

#include <gtest/gtest.h>

#include <random>

#include "nn/grad_check.hpp"

namespace pocketrec::nn {
namespace {

struct GruFixture {
  int batch = 3, length = 4, embed = 3, units = 5;
  Matrix input{embed, 3 * units}, recurrent{units, 3 * units}, bias{1, 3 * units};
  Matrix x{batch * length, embed};
  // Row 0 left-padded, row 1 full, row 2 right-padded.
  std::vector<int32_t> ids = {0, 0, 4, 2, 1, 3, 5, 6, 7, 2, 0, 0};
  std::vector<float> probe;

  GruFixture() {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    for (auto* m : {&input, &recurrent, &bias, &x}) {
      for (float& v : m->data) v = normal(rng);
    }
    probe.resize(batch * units);
    for (float& p : probe) p = normal(rng);
  }
  GruWeights weights() const { return {input, recurrent, bias}; }
  double loss() {
    GruState state;
    std::vector<float> out(batch * units);
    gru_forward(weights(), x.data.data(), ids.data(), batch, length, state, out.data());
    double total = 0;
    for (size_t i = 0; i < out.size(); ++i) total += static_cast<double>(out[i]) * probe[i];
    return total;
  }
};

}  // namespace

TEST(GradCheck, MaskedGru) {
  GruFixture f;
  GruState state;
  std::vector<float> out(f.batch * f.units);
  gru_forward(f.weights(), f.x.data.data(), f.ids.data(), f.batch, f.length, state, out.data());
  Gradient gi, gr, gb;
  gi.init(f.input.rows, f.input.cols, false);
  gr.init(f.recurrent.rows, f.recurrent.cols, false);
  gb.init(1, f.bias.cols, false);
  Matrix dx(f.batch * f.length, f.embed);
  gru_backward(f.weights(), f.x.data.data(), f.ids.data(), state, f.probe.data(), nullptr,
               dx.data.data(), gi, gr, gb);
  auto loss = [&] { return f.loss(); };
  EXPECT_LT(check_gradient(f.input.data.data(), f.input.size(), gi.values.data.data(), loss, 1e-3f)
                .max_error,
            2e-3);
  EXPECT_LT(check_gradient(f.recurrent.data.data(), f.recurrent.size(), gr.values.data.data(), loss,
                           1e-3f)
                .max_error,
            2e-3);
  EXPECT_LT(check_gradient(f.bias.data.data(), f.bias.size(), gb.values.data.data(), loss, 1e-3f)
                .max_error,
            2e-3);
  EXPECT_LT(check_gradient(f.x.data.data(), f.x.size(), dx.data.data(), loss, 1e-3f).max_error,
            2e-3);
  // Padded positions get no input gradient.
  for (int e = 0; e < f.embed; ++e) EXPECT_EQ(dx.at(0, e), 0.0f);
}

TEST(Gru, PaddingNeverChangesTheState) {
  GruFixture f;
  // The same two items, left-padded and right-padded, give the same final state.
  f.ids = {0, 0, 4, 2, 4, 2, 0, 0, 0, 4, 2, 0};
  for (int e = 0; e < f.embed; ++e) {
    // Make the embeddings of the item positions equal across the three layouts.
    f.x.at(4, e) = f.x.at(2, e);
    f.x.at(5, e) = f.x.at(3, e);
    f.x.at(9, e) = f.x.at(2, e);
    f.x.at(10, e) = f.x.at(3, e);
    // Garbage at padded positions must not matter.
    f.x.at(0, e) = 100.0f;
    f.x.at(7, e) = -50.0f;
  }
  GruState state;
  std::vector<float> out(f.batch * f.units);
  gru_forward(f.weights(), f.x.data.data(), f.ids.data(), f.batch, f.length, state, out.data());
  for (int u = 0; u < f.units; ++u) {
    EXPECT_FLOAT_EQ(out[u], out[f.units + u]);
    EXPECT_FLOAT_EQ(out[u], out[2 * f.units + u]);
  }
}

}  // namespace pocketrec::nn
