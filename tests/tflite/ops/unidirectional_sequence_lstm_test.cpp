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

}  // namespace
}  // namespace pocketrec::tfl
