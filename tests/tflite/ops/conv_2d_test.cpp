#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Conv2d, SameStridedWindowsOverTime) {
  // One row of 5 steps, 1 channel; kernel 2, stride 2, SAME -> 3 outputs, the odd cell after.
  OpHarness h(Op::CONV_2D);
  h.floats({1, 1, 5, 1}, {1, 2, 3, 4, 5});
  h.floats({2, 1, 2, 1}, {1, 1, 1, -1}, true);  // [Cout, KH, KW, Cin]
  h.floats({2}, {0, 10}, true);
  h.options<tflite::Conv2DOptions>([](auto& b) {
    return tflite::CreateConv2DOptions(b, tflite::Padding::SAME, 2, 1,
                                       tflite::ActivationFunctionType::NONE);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 1, 3, 2}));
  // windows [1,2], [3,4], [5,pad]: sums 3, 7, 5; differences -1, -1, 5; +10 on channel 1.
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{3, 9, 7, 9, 5, 15}));
}

TEST(Conv2d, ValidPaddingAndRelu) {
  OpHarness h(Op::CONV_2D);
  h.floats({1, 1, 4, 2}, {1, 0, 0, 1, -1, 0, 0, -1});
  h.floats({1, 1, 2, 2}, {1, 1, 1, 1}, true);
  h.floats({1}, {0}, true);
  h.options<tflite::Conv2DOptions>([](auto& b) {
    return tflite::CreateConv2DOptions(b, tflite::Padding::VALID, 1, 1,
                                       tflite::ActivationFunctionType::RELU);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 1, 3, 1}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{2, 0, 0}));
}

TEST(Conv2d, MissingOptionsAreRejected) {
  OpHarness h(Op::CONV_2D);
  h.floats({1, 1, 4, 1}, {1, 2, 3, 4});
  h.floats({1, 1, 2, 1}, {1, 1}, true);
  h.floats({1}, {0}, true);
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

}  // namespace
}  // namespace pocketrec::tfl
