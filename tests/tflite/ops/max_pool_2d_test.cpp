#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(MaxPool2d, SamePaddingNeverWins) {
  OpHarness h(Op::MAX_POOL_2D);
  h.floats({1, 1, 5, 1}, {-1, -2, 0, 3, -5});
  h.options<tflite::Pool2DOptions>(
      [](auto& b) { return tflite::CreatePool2DOptions(b, tflite::Padding::SAME, 2, 1, 2, 1); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 1, 3, 1}));
  // The last window holds -5 and a padded cell: the padding (0) must not win.
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{-1, 3, -5}));
}

}  // namespace
}  // namespace pocketrec::tfl
