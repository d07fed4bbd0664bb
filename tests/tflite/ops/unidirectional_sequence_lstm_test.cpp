#include <random>

#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

// One unit, one input, two steps, computed by hand: i = f = o = sigmoid(x + h), g = tanh(x + h).
TEST(UnidirectionalSequenceLstm, TwoStepsByHand) {
  OpHarness h(Op::UNIDIRECTIONAL_SEQUENCE_LSTM);
  h.floats({1, 2, 1}, {1.0f, -0.5f});
  for (int i = 1; i <= 8; ++i) h.floats({1, 1}, {1.0f}, true);
  for (int i = 9; i <= 11; ++i) h.omit_input();
  for (int i = 12; i <= 15; ++i) h.floats({1}, {0.0f}, true);
  h.omit_input();
  h.omit_input();
  Tensor* hs = h.floats({1, 1}, {0.0f});
  Tensor* cs = h.floats({1, 1}, {0.0f});
  hs->is_variable = cs->is_variable = true;
  h.options<tflite::UnidirectionalSequenceLSTMOptions>([](auto& b) {
    return tflite::CreateUnidirectionalSequenceLSTMOptions(b, tflite::ActivationFunctionType::TANH);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  double hh = 0, c = 0;
  std::vector<double> want;
  for (double x : {1.0, -0.5}) {
    double a = x + hh;
    c = sig(a) * c + sig(a) * std::tanh(a);
    hh = sig(a) * std::tanh(c);
    want.push_back(hh);
  }
  auto v = OpHarness::values<float>(y);
  EXPECT_NEAR(v[0], want[0], 1e-6);
  EXPECT_NEAR(v[1], want[1], 1e-6);
  EXPECT_NEAR(hs->as<float>()[0], want[1], 1e-6);  // the final state stays in the variable
}

struct LstmCase {
  int batch, steps, n_input, n_cell;
  bool time_major;
  tflite::ActivationFunctionType activation;
  float cell_clip;
};

// Random weights and inputs against a double-precision LSTM: unit counts that are not a multiple
// of any vector width (so whole vectors and the padded last one both run), batches in both
// layouts, every cell activation, with and without the cell clip. Evaluated twice: the second run
// uses the weights packed by the first and, from zeroed state, must repeat its bits.
void check_against_reference(const LstmCase& tc) {
  std::mt19937 rng(tc.n_cell * 131 + tc.batch);
  std::normal_distribution<float> normal(0.0f, 0.6f);
  auto random = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = normal(rng);
    return v;
  };
  const int rows = tc.batch * tc.steps;
  const auto x = random(static_cast<size_t>(rows) * tc.n_input);
  std::vector<std::vector<float>> w(8), b(4);
  OpHarness h(Op::UNIDIRECTIONAL_SEQUENCE_LSTM);
  h.floats(
      tc.time_major ? Shape{tc.steps, tc.batch, tc.n_input} : Shape{tc.batch, tc.steps, tc.n_input},
      x);
  for (int i = 0; i < 8; ++i) {
    const int cols = i < 4 ? tc.n_input : tc.n_cell;
    w[i] = random(static_cast<size_t>(tc.n_cell) * cols);
    h.floats({tc.n_cell, cols}, w[i], true);
  }
  for (int i = 9; i <= 11; ++i) h.omit_input();
  for (int g = 0; g < 4; ++g) {
    b[g] = random(tc.n_cell);
    h.floats({tc.n_cell}, b[g], true);
  }
  h.omit_input();
  h.omit_input();
  Tensor* hs = h.floats({tc.batch, tc.n_cell}, std::vector<float>(tc.batch * tc.n_cell, 0.0f));
  Tensor* cs = h.floats({tc.batch, tc.n_cell}, std::vector<float>(tc.batch * tc.n_cell, 0.0f));
  hs->is_variable = cs->is_variable = true;
  h.options<tflite::UnidirectionalSequenceLSTMOptions>([&](auto& fbb) {
    return tflite::CreateUnidirectionalSequenceLSTMOptions(fbb, tc.activation, tc.cell_clip, 0.0f,
                                                           tc.time_major);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  const auto first = OpHarness::values<float>(y);

  auto act = [&](double v) {
    switch (tc.activation) {
      case tflite::ActivationFunctionType::TANH:
        return std::tanh(v);
      case tflite::ActivationFunctionType::RELU:
        return std::max(v, 0.0);
      default:
        return v;
    }
  };
  auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  for (int s = 0; s < tc.batch; ++s) {
    std::vector<double> hh(tc.n_cell, 0.0), cc(tc.n_cell, 0.0);
    for (int t = 0; t < tc.steps; ++t) {
      const int row = tc.time_major ? t * tc.batch + s : s * tc.steps + t;
      std::vector<double> gate(4 * tc.n_cell);
      for (int g = 0; g < 4; ++g) {
        for (int u = 0; u < tc.n_cell; ++u) {
          double a = b[g][u];
          for (int k = 0; k < tc.n_input; ++k)
            a += double{w[g][u * tc.n_input + k]} * x[row * tc.n_input + k];
          for (int k = 0; k < tc.n_cell; ++k) a += double{w[4 + g][u * tc.n_cell + k]} * hh[k];
          gate[g * tc.n_cell + u] = a;
        }
      }
      for (int u = 0; u < tc.n_cell; ++u) {
        double cell =
            sigmoid(gate[tc.n_cell + u]) * cc[u] + sigmoid(gate[u]) * act(gate[2 * tc.n_cell + u]);
        if (tc.cell_clip > 0) cell = std::clamp<double>(cell, -tc.cell_clip, tc.cell_clip);
        cc[u] = cell;
        hh[u] = sigmoid(gate[3 * tc.n_cell + u]) * act(cell);
        ASSERT_NEAR(first[row * tc.n_cell + u], hh[u], 2e-5)
            << "sequence " << s << " step " << t << " unit " << u;
      }
    }
    for (int u = 0; u < tc.n_cell; ++u) {
      EXPECT_NEAR(hs->as<float>()[s * tc.n_cell + u], hh[u], 2e-5);
      EXPECT_NEAR(cs->as<float>()[s * tc.n_cell + u], cc[u], 2e-5);
    }
  }
  std::fill_n(hs->as<float>(), tc.batch * tc.n_cell, 0.0f);
  std::fill_n(cs->as<float>(), tc.batch * tc.n_cell, 0.0f);
  h.eval();
  EXPECT_EQ(OpHarness::values<float>(y), first);
}

TEST(UnidirectionalSequenceLstm, MatchesDoublePrecisionReference) {
  using A = tflite::ActivationFunctionType;
  for (const LstmCase& tc :
       {LstmCase{1, 10, 16, 16, false, A::TANH, 0.0f}, LstmCase{3, 5, 5, 11, false, A::TANH, 0.0f},
        LstmCase{2, 4, 7, 37, true, A::TANH, 0.5f}, LstmCase{2, 3, 3, 9, false, A::RELU, 0.0f},
        LstmCase{1, 6, 4, 3, true, A::NONE, 1.0f}}) {
    SCOPED_TRACE("cells " + std::to_string(tc.n_cell));
    check_against_reference(tc);
  }
}

}  // namespace
}  // namespace pocketrec::tfl
