#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Dequantize, PerRowScalesAlongAxisZero) {
  OpHarness h(Op::DEQUANTIZE);
  Tensor* q = h.input<int8_t>({2, 3}, {127, -1, 0, 10, 20, -128}, DType::kInt8, true);
  q->quant.scale = {0.5f, 0.25f};
  q->quant.zero_point = {0, 0};
  q->quant.axis = 0;
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{63.5f, -0.5f, 0, 2.5f, 5, -32}));
}

TEST(Dequantize, PerTensorWithAZeroPoint) {
  OpHarness h(Op::DEQUANTIZE);
  Tensor* q = h.input<uint8_t>({3}, {0, 128, 255}, DType::kUInt8, true);
  q->quant.scale = {0.1f};
  q->quant.zero_point = {128};
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  auto v = OpHarness::values<float>(y);
  EXPECT_FLOAT_EQ(v[0], -12.8f);
  EXPECT_FLOAT_EQ(v[1], 0.0f);
  EXPECT_FLOAT_EQ(v[2], 12.7f);
}

TEST(Dequantize, NeedsQuantizationParameters) {
  OpHarness h(Op::DEQUANTIZE);
  h.input<int8_t>({2}, {1, 2}, DType::kInt8, true);
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

}  // namespace
}  // namespace pocketrec::tfl
