#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(TopKV2, DescendingWithLowerIndexFirstOnTies) {
  OpHarness h(Op::TOPK_V2);
  h.floats({6}, {0.5f, 2, 1, 2, -1, 2});
  h.ints({}, {4});
  Tensor* values = h.output(DType::kFloat32);
  Tensor* indices = h.output(DType::kInt32);
  h.run();
  EXPECT_EQ(OpHarness::values<int32_t>(indices), (std::vector<int32_t>{1, 3, 5, 2}));
  EXPECT_EQ(OpHarness::values<float>(values), (std::vector<float>{2, 2, 2, 1}));
}

TEST(TopKV2, NanRanksLast) {
  OpHarness h(Op::TOPK_V2);
  h.floats({3}, {std::nanf(""), -1, 1});
  h.ints({1}, {3});
  h.output(DType::kFloat32);
  Tensor* indices = h.output(DType::kInt32);
  h.run();
  EXPECT_EQ(OpHarness::values<int32_t>(indices), (std::vector<int32_t>{2, 1, 0}));
}

TEST(TopKV2, KAboveTheRowIsRejected) {
  OpHarness h(Op::TOPK_V2);
  h.floats({3}, {1, 2, 3});
  h.ints({}, {4});
  h.output(DType::kFloat32);
  h.output(DType::kInt32);
  EXPECT_THROW(h.prepare(), Error);
}

}  // namespace
}  // namespace pocketrec::tfl
