#include "tflite/op_harness.hpp"

#include <climits>
#include <cmath>
#include <vector>

#include "tflite/ops/vector_math.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

template <typename Options>
std::vector<float> binary(Op op, Shape sa, std::vector<float> a, Shape sb, std::vector<float> b,
                          Shape* shape = nullptr) {
  OpHarness h(op);
  h.floats(sa, a);
  h.floats(sb, b);
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  if (shape) *shape = y->shape;
  return OpHarness::values<float>(y);
}

TEST(Add, BroadcastsARow) {
  Shape s;
  auto v = binary<tflite::AddOptions>(Op::ADD, {2, 2}, {1, 2, 3, 4}, {2}, {10, 20}, &s);
  EXPECT_EQ(s, (Shape{2, 2}));
  EXPECT_EQ(v, (std::vector<float>{11, 22, 13, 24}));
}

TEST(Sub, BroadcastsAColumn) {
  auto v = binary<tflite::SubOptions>(Op::SUB, {2, 2}, {1, 2, 3, 4}, {2, 1}, {1, 10});
  EXPECT_EQ(v, (std::vector<float>{0, 1, -7, -6}));
}

TEST(Mul, ScalarTimesTensor) {
  auto v = binary<tflite::MulOptions>(Op::MUL, {}, {3}, {3}, {1, -2, 0.5f});
  EXPECT_EQ(v, (std::vector<float>{3, -6, 1.5f}));
}

TEST(Mul, FusedRelu) {
  OpHarness h(Op::MUL);
  h.floats({2}, {1, -1});
  h.floats({2}, {2, 2});
  h.options<tflite::MulOptions>(
      [](auto& b) { return tflite::CreateMulOptions(b, tflite::ActivationFunctionType::RELU); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{2, 0}));
}

TEST(Div, ByABroadcastCount) {
  auto v = binary<tflite::DivOptions>(Op::DIV, {1, 2}, {3, 6}, {1, 1}, {3});
  EXPECT_EQ(v, (std::vector<float>{1, 2}));
}

TEST(Maximum, ElementwiseWithAScalar) {
  auto v = binary<tflite::AddOptions>(Op::MAXIMUM, {3}, {0, 1, 5}, {}, {1});
  EXPECT_EQ(v, (std::vector<float>{1, 1, 5}));
}

TEST(Minimum, FloatsAndInt32WithAScalar) {
  auto v = binary<tflite::AddOptions>(Op::MINIMUM, {3}, {0, 1, 5}, {}, {1});
  EXPECT_EQ(v, (std::vector<float>{0, 1, 1}));
  // The export's id guard: MINIMUM(MAXIMUM(ids, 0), rows) on int32.
  OpHarness h(Op::MINIMUM);
  h.ints({4}, {-3, 2, 9, INT32_MAX}, false);
  h.ints({}, {7});
  Tensor* y = h.output(DType::kInt32);
  h.run();
  EXPECT_EQ(OpHarness::values<int32_t>(y), (std::vector<int32_t>{-3, 2, 7, 7}));
}

TEST(Binary, IncompatibleShapesAreRejected) {
  OpHarness h(Op::ADD);
  h.floats({2}, {1, 2});
  h.floats({3}, {1, 2, 3});
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

TEST(NotEqual, IntsToBool) {
  OpHarness h(Op::NOT_EQUAL);
  h.ints({4}, {0, 3, 0, 7}, false);
  h.ints({}, {0});
  Tensor* y = h.output(DType::kBool);
  h.run();
  EXPECT_EQ(OpHarness::values<uint8_t>(y), (std::vector<uint8_t>{0, 1, 0, 1}));
}

TEST(Cast, BoolToFloatAndFloatToInt) {
  OpHarness h(Op::CAST);
  h.input<uint8_t>({3}, {1, 0, 1}, DType::kBool, false);
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{1, 0, 1}));
  OpHarness g(Op::CAST);
  g.floats({3}, {1.9f, -1.9f, 0});
  Tensor* z = g.output(DType::kInt32);
  g.run();
  EXPECT_EQ(OpHarness::values<int32_t>(z), (std::vector<int32_t>{1, -1, 0}));
}

TEST(Logistic, KnownValuesAndSaturation) {
  OpHarness h(Op::LOGISTIC);
  h.floats({4}, {0, 2, -100, 100});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  auto v = OpHarness::values<float>(y);
  EXPECT_FLOAT_EQ(v[0], 0.5f);
  EXPECT_NEAR(v[1], 0.880797f, 1e-6);
  EXPECT_NEAR(v[2], 0.0f, 1e-30);
  EXPECT_FLOAT_EQ(v[3], 1.0f);
}

TEST(VectorMath, TanhAndSigmoidArraysAreWithinHalfAMillionthOfLibm) {
  // 1,800,001 values over -90..90 (an odd count, so the last partial vector is exercised too),
  // and tiny ones down to the smallest normal float, where tanh's relative error is the hard part.
  std::vector<float> x;
  for (int i = -900000; i <= 900000; ++i) x.push_back(static_cast<float>(i) * 1e-4f);
  for (float v = 1e-38f; v < 1.0f; v *= 1.01f) {
    x.push_back(v);
    x.push_back(-v);
  }
  std::vector<float> t(x.size()), s(x.size());
  tanh_array(x.data(), t.data(), x.size());
  sigmoid_array(x.data(), s.data(), x.size());
  double worst_tanh = 0, worst_sigmoid = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want_t = std::tanh(static_cast<double>(x[i]));
    const double want_s = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    worst_tanh = std::max(worst_tanh, std::fabs(t[i] - want_t) / std::fabs(want_t));
    // Below -87 the sigmoid is clamped at about 1.6e-38.
    if (x[i] > -87.0f) worst_sigmoid = std::max(worst_sigmoid, std::fabs(s[i] - want_s) / want_s);
  }
  EXPECT_LT(worst_tanh, 5e-7);
  EXPECT_LT(worst_sigmoid, 5e-7);
  float extremes[4] = {-1000.0f, 1000.0f, -1000.0f, 1000.0f};
  tanh_array(extremes, extremes, 2);
  sigmoid_array(extremes + 2, extremes + 2, 2);
  EXPECT_EQ(extremes[0], -1.0f);
  EXPECT_EQ(extremes[1], 1.0f);
  EXPECT_GE(extremes[2], 0.0f);
  EXPECT_LT(extremes[2], 1e-30f);
  EXPECT_EQ(extremes[3], 1.0f);
  // NaN stays NaN (the clamps would make it a number), infinities saturate, -0 keeps its sign.
  float special[4] = {NAN, INFINITY, -INFINITY, -0.0f};
  float tanh_special[4], sigmoid_special[4];
  tanh_array(special, tanh_special, 4);
  sigmoid_array(special, sigmoid_special, 4);
  EXPECT_TRUE(std::isnan(tanh_special[0]));
  EXPECT_TRUE(std::isnan(sigmoid_special[0]));
  EXPECT_EQ(tanh_special[1], 1.0f);
  EXPECT_EQ(tanh_special[2], -1.0f);
  EXPECT_EQ(sigmoid_special[1], 1.0f);
  EXPECT_EQ(tanh_special[3], 0.0f);
  EXPECT_TRUE(std::signbit(tanh_special[3]));
  EXPECT_EQ(sigmoid_special[3], 0.5f);
}

TEST(Tanh, KnownValues) {
  OpHarness h(Op::TANH);
  h.floats({3}, {0, 1, -1});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  auto v = OpHarness::values<float>(y);
  EXPECT_FLOAT_EQ(v[0], 0.0f);
  EXPECT_NEAR(v[1], 0.761594f, 1e-6);
  EXPECT_NEAR(v[2], -0.761594f, 1e-6);
}

}  // namespace
}  // namespace pocketrec::tfl
