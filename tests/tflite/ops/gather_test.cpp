#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Gather, RowsOfATable) {
  OpHarness h(Op::GATHER);
  h.floats({3, 2}, {0, 0, 1, 2, 3, 4}, true);
  h.ints({1, 3}, {2, 0, 2}, false);
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 3, 2}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{3, 4, 0, 0, 3, 4}));
}

TEST(Gather, AlongAxisOne) {
  OpHarness h(Op::GATHER);
  h.floats({2, 3}, {1, 2, 3, 4, 5, 6}, true);
  h.ints({2}, {2, 1}, false);
  h.options<tflite::GatherOptions>([](auto& b) { return tflite::CreateGatherOptions(b, 1); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{2, 2}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{3, 2, 6, 5}));
}

TEST(Gather, OutOfRangeIndexFailsTheQuery) {
  for (int32_t bad : {3, -1}) {
    OpHarness h(Op::GATHER);
    h.floats({3, 1}, {1, 2, 3}, true);
    h.ints({1}, {bad}, false);
    h.output(DType::kFloat32);
    h.prepare();
    EXPECT_THROW(h.eval(), Error) << bad;
  }
}

}  // namespace
}  // namespace pocketrec::tfl
