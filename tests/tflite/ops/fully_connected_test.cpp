#include <cmath>
#include <random>

#include "runtime/every_target.hpp"
#include "tflite/op_harness.hpp"
#include "tflite/ops/dot_rows.hpp"

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

// dot_rows_add, the FC kernel's inner loop, on every remainder: rows not a multiple of four,
// lengths below, at and past whole blocks of eight, weight rows wider than the input (a stride),
// against a double-precision sum; and the documented order on integers, where it is exact.
TEST(FullyConnected, DotRowsAddMatchesDoublePrecision) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int rows : {1, 3, 4, 5, 16, 17}) {
    for (int n : {1, 7, 8, 9, 16, 21, 64}) {
      const int stride = n + 3;
      std::vector<float> x(n), w(static_cast<size_t>(rows) * stride), out(rows);
      for (auto& v : x) v = normal(rng);
      for (auto& v : w) v = normal(rng);
      for (auto& v : out) v = normal(rng);
      std::vector<double> want(out.begin(), out.end());
      for (int r = 0; r < rows; ++r) {
        for (int i = 0; i < n; ++i) want[r] += double{x[i]} * w[r * stride + i];
      }
      dot_rows_add(x.data(), w.data(), stride, rows, n, out.data());
      for (int r = 0; r < rows; ++r) {
        EXPECT_NEAR(out[r], want[r], 1e-5 * (1 + std::fabs(want[r])))
            << "rows " << rows << " n " << n << " row " << r;
      }
    }
  }
  // The documented order, where it matters: lanes 0, 2 hold 2^24, lanes 3, 4 hold -2^24 and
  // lane 1 holds 1. ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) gives 1; a sequential sum,
  // or ((... + s2) + s3) at the end, gives 0 (2^24 + 1 rounds to 2^24 before -2^24 arrives).
  // Thirteen rows: eight, then four through the combined reductions, one alone.
  std::vector<float> x(16, 1.0f), w(13 * 16, 0.0f), out(13, 0.0f);
  for (int r = 0; r < 13; ++r) {
    w[r * 16] = 16777216.0f;
    w[r * 16 + 1] = 1.0f;
    w[r * 16 + 4] = -16777216.0f;
    w[r * 16 + 2] = 16777216.0f;
    w[r * 16 + 3] = -16777216.0f;
  }
  dot_rows_add(x.data(), w.data(), 16, 13, 16, out.data());
  EXPECT_EQ(out, std::vector<float>(13, 1.0f));
}

// The paired layout (two rows per 16-float vector) gives dot_rows_add's bits, on every compiled
// instruction set (where it does not help, it unpacks the rows): 8 to 136 rows, 8 to 512 values
// with a stride, magnitudes over six orders, so a different order of the sums would show.
void expect_paired_rows_give_the_same_bits() {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (int rows : {8, 16, 136}) {
    for (int n : {8, 16, 24, 32, 64, 512}) {
      const int stride = n + 5;
      std::vector<float> x(n), w(static_cast<size_t>(rows) * stride), out(rows);
      for (size_t i = 0; i < w.size(); ++i) w[i] = normal(rng) * std::pow(10.0f, i % 7 - 3.0f);
      for (auto& v : x) v = normal(rng);
      for (auto& v : out) v = normal(rng);
      const std::vector<float> paired = pair_rows(w.data(), stride, rows, n);
      ASSERT_EQ(paired.size(), static_cast<size_t>(rows) * n);
      std::vector<float> want = out, got = out;
      dot_rows_add(x.data(), w.data(), stride, rows, n, want.data());
      dot_rows_add_paired(x.data(), paired.data(), rows, n, got.data());
      EXPECT_EQ(got, want) << "rows " << rows << " n " << n;
    }
  }
  // Shapes the layout does not take: callers keep dot_rows_add.
  const std::vector<float> w(600 * 600, 1.0f);
  EXPECT_TRUE(pair_rows(w.data(), 16, 12, 16).empty());
  EXPECT_TRUE(pair_rows(w.data(), 16, 16, 12).empty());
  EXPECT_TRUE(pair_rows(w.data(), 520, 16, 520).empty());
}

TEST(FullyConnected, PairedRowsGiveTheSameBits) {
  expect_paired_rows_give_the_same_bits();
  // Taken where vectors hold 16 floats.
  EXPECT_EQ(paired_rows_help(), runtime::simd_target().starts_with("AVX3"));
}

TEST(FullyConnected, PairedRowsGiveTheSameBitsOnEveryCompiledTarget) {
  runtime::on_every_compiled_target([] {
    expect_paired_rows_give_the_same_bits();
    EXPECT_EQ(paired_rows_help(), runtime::simd_target().starts_with("AVX3"));
  });
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
