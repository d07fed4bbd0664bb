#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Reshape, FromAShapeTensorWithMinusOne) {
  OpHarness h(Op::RESHAPE);
  h.ints({6}, {1, 2, 3, 4, 5, 6}, false);
  h.ints({2}, {-1, 2});
  Tensor* y = h.output(DType::kInt32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{3, 2}));
  EXPECT_EQ(OpHarness::values<int32_t>(y), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Reshape, ElementCountMustMatch) {
  OpHarness h(Op::RESHAPE);
  h.ints({6}, {1, 2, 3, 4, 5, 6}, false);
  h.ints({2}, {4, 2});
  h.output(DType::kInt32);
  EXPECT_THROW(h.prepare(), Error);
}

TEST(StridedSlice, LastStepOfASequenceLikeTheStarterRnn) {
  OpHarness h(Op::STRIDED_SLICE);
  h.floats({1, 3, 2}, {1, 2, 3, 4, 5, 6});
  h.ints({3}, {0, -1, 0});
  h.ints({3}, {0, 0, 0});
  h.ints({3}, {1, 1, 1});
  h.options<tflite::StridedSliceOptions>(
      [](auto& b) { return tflite::CreateStridedSliceOptions(b, 5, 5, 0, 0, 2); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 2}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{5, 6}));
}

TEST(StridedSlice, NegativeStrideReverses) {
  OpHarness h(Op::STRIDED_SLICE);
  h.floats({5}, {0, 1, 2, 3, 4});
  h.ints({1}, {4});
  h.ints({1}, {0});
  h.ints({1}, {-2});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{4, 2}));
}

TEST(Concatenation, AlongTheLastAxis) {
  OpHarness h(Op::CONCATENATION);
  h.floats({2, 1}, {1, 2});
  h.floats({2, 2}, {3, 4, 5, 6});
  h.options<tflite::ConcatenationOptions>(
      [](auto& b) { return tflite::CreateConcatenationOptions(b, -1); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{2, 3}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{1, 3, 4, 2, 5, 6}));
}

}  // namespace
}  // namespace pocketrec::tfl
