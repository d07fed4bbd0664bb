#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Sum, OverTheMiddleAxisKeepingDims) {
  OpHarness h(Op::SUM);
  h.floats({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  h.ints({1}, {-2});
  h.options<tflite::ReducerOptions>([](auto& b) { return tflite::CreateReducerOptions(b, true); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{2, 1, 2}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{9, 12, 27, 30}));
}

TEST(Mean, OverTwoAxes) {
  OpHarness h(Op::MEAN);
  h.floats({2, 2}, {1, 2, 3, 6});
  h.ints({2}, {0, 1});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{3}));
}

TEST(Mean, OverTheLastAxisOfLongRows) {
  // Rows of 19 (two blocks of eight summed in lanes, then a remainder), as LayerNorm reduces.
  OpHarness h(Op::MEAN);
  std::vector<float> x(3 * 19);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 6) - 1.0f;
  h.floats({3, 19}, x);
  h.ints({1}, {-1});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  ASSERT_EQ(y->shape, (Shape{3}));
  for (int r = 0; r < 3; ++r) {
    float sum = 0;
    for (int c = 0; c < 19; ++c) sum += x[r * 19 + c];
    EXPECT_EQ(OpHarness::values<float>(y)[r], sum / 19.0f) << r;
  }
}

TEST(Sum, OverTheLastAxisOfLongRows) {
  OpHarness h(Op::SUM);
  std::vector<float> x(2 * 17);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  h.floats({2, 17}, x);
  h.ints({1}, {1});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{136, 425}));
}

TEST(ReduceMax, OverTime) {
  OpHarness h(Op::REDUCE_MAX);
  h.floats({1, 3, 2}, {1, -5, 4, -2, 0, -9});
  h.ints({}, {1});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 2}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{4, -2}));
}

TEST(Reduce, AxisOutOfRangeIsRejected) {
  OpHarness h(Op::SUM);
  h.floats({2}, {1, 2});
  h.ints({1}, {3});
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

}  // namespace
}  // namespace pocketrec::tfl
