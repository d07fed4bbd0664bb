#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(FullyConnected, WeightsAreUnitsByInputWithBiasAndRelu) {
  OpHarness h(Op::FULLY_CONNECTED);
  h.floats({2, 3}, {1, 2, 3, -1, 0, 1});
  h.floats({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}, true);  // W[u, i]
  h.floats({2}, {0.5f, -1}, true);
  h.options<tflite::FullyConnectedOptions>([](auto& b) {
    return tflite::CreateFullyConnectedOptions(b, tflite::ActivationFunctionType::RELU);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{2, 2}));
  // row 0: [1 - 3 + 0.5, 3 - 1] = [-1.5 -> 0, 2]; row 1: [-1 - 1 + 0.5, 0 - 1] -> [0, 0]
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{0, 2, 0, 0}));
}

TEST(FullyConnected, NoBiasFlattensTheInput) {
  OpHarness h(Op::FULLY_CONNECTED);
  h.floats({1, 2, 2}, {1, 2, 3, 4});
  h.floats({3, 2}, {1, 1, 2, -1, 0, 10}, true);
  h.omit_input();
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{2, 3}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{3, 0, 20, 7, 2, 40}));
}

TEST(FullyConnected, Int8WeightsWithPerRowScales) {
  OpHarness h(Op::FULLY_CONNECTED);
  h.floats({1, 2}, {1.0f, -0.5f});
  Tensor* w = h.input<int8_t>({2, 2}, {127, 0, -64, 127}, DType::kInt8, true);
  w->quant.scale = {0.01f, 0.5f};
  w->quant.zero_point = {0, 0};
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  // The input quantizes to [127, -64] (scale 1/127); row 0: 127*127 * (1/127) * 0.01 = 1.27.
  // row 1: (127*-64 + -64*127) / 127 * 0.5 = -64.
  auto v = OpHarness::values<float>(y);
  EXPECT_NEAR(v[0], 1.27f, 1e-5);
  EXPECT_NEAR(v[1], -64.0f, 1e-4);
}

TEST(FullyConnected, RejectsMismatchedShapes) {
  OpHarness h(Op::FULLY_CONNECTED);
  h.floats({1, 3}, {1, 2, 3});
  h.floats({2, 2}, {1, 2, 3, 4}, true);
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

}  // namespace
}  // namespace pocketrec::tfl
