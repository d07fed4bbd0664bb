#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Select, SameShapeCondition) {
  OpHarness h(Op::SELECT);
  h.input<uint8_t>({1, 3}, {1, 0, 1}, DType::kBool, false);
  h.floats({1, 3}, {1, 2, 3});
  h.floats({1, 3}, {-1, -2, -3});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{1, -2, 3}));
}

TEST(Select, RankOneConditionPicksRows) {
  OpHarness h(Op::SELECT);
  h.input<uint8_t>({2}, {0, 1}, DType::kBool, false);
  h.floats({2, 2}, {1, 2, 3, 4});
  h.floats({2, 2}, {5, 6, 7, 8});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{5, 6, 3, 4}));
}

TEST(Select, V1RejectsBroadcastingXY) {
  OpHarness h(Op::SELECT);
  h.input<uint8_t>({2}, {0, 1}, DType::kBool, false);
  h.floats({2}, {1, 2});
  h.floats({}, {0});
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

TEST(SelectV2, BroadcastsAllThree) {
  OpHarness h(Op::SELECT_V2);
  h.input<uint8_t>({2, 1}, {1, 0}, DType::kBool, false);
  h.floats({1, 2}, {1, 2});
  h.floats({}, {0});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{2, 2}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{1, 2, 0, 0}));
}

}  // namespace
}  // namespace pocketrec::tfl
