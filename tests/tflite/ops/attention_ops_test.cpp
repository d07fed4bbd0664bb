// The operators exported attention graphs add (BATCH_MATMUL, SOFTMAX, RSQRT, GELU), against
// values computed by hand.
#include <cmath>
#include <vector>

#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

std::vector<float> batch_matmul(Shape sa, std::vector<float> a, Shape sb, std::vector<float> b,
                                bool adj_x, bool adj_y, Shape* shape) {
  OpHarness h(Op::BATCH_MATMUL);
  h.floats(sa, a);
  h.floats(sb, b);
  h.options<tflite::BatchMatMulOptions>(
      [&](auto& fbb) { return tflite::CreateBatchMatMulOptions(fbb, adj_x, adj_y, false); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  *shape = y->shape;
  return OpHarness::values<float>(y);
}

}  // namespace

TEST(BatchMatMul, PlainAndTransposedOperands) {
  Shape s;
  // [2,3] x [3,2]
  auto v = batch_matmul({2, 3}, {1, 2, 3, 4, 5, 6}, {3, 2}, {1, 0, 0, 1, 1, 1}, false, false, &s);
  EXPECT_EQ(s, (Shape{2, 2}));
  EXPECT_EQ(v, (std::vector<float>{4, 5, 10, 11}));
  // q k^T with adj_y: [2,3] x [2,3]^T
  v = batch_matmul({2, 3}, {1, 2, 3, 4, 5, 6}, {2, 3}, {1, 0, 0, 0, 1, 1}, false, true, &s);
  EXPECT_EQ(s, (Shape{2, 2}));
  EXPECT_EQ(v, (std::vector<float>{1, 5, 4, 11}));
  // adj_x: [3,2]^T x [3,1]
  v = batch_matmul({3, 2}, {1, 4, 2, 5, 3, 6}, {3, 1}, {1, 1, 1}, true, false, &s);
  EXPECT_EQ(s, (Shape{2, 1}));
  EXPECT_EQ(v, (std::vector<float>{6, 15}));
}

TEST(BatchMatMul, LongRowsAndZeroWeightsMatchTheSumsByHand) {
  // 19 terms (two blocks of eight and a remainder) against 13 key rows, small integers so every
  // partial sum is exact; and a weight row with zeros, which the kernel skips.
  const int n = 2, k = 19, m = 13;
  std::vector<float> a(n * k), b(m * k);
  for (int i = 0; i < n * k; ++i) a[i] = static_cast<float>(i % 7 - 3);
  for (int i = 0; i < m * k; ++i) b[i] = static_cast<float>(i % 5 - 2);
  Shape s;
  auto v = batch_matmul({n, k}, a, {m, k}, b, false, true, &s);
  ASSERT_EQ(s, (Shape{n, m}));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      float expected = 0;
      for (int p = 0; p < k; ++p) expected += a[i * k + p] * b[j * k + p];
      EXPECT_EQ(v[i * m + j], expected) << i << "," << j;
    }
  }
  std::vector<float> w = {0, 2, 0, 0, -1};  // [1, 5] x [5, 3]
  v = batch_matmul({1, 5}, w, {5, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, false,
                   false, &s);
  EXPECT_EQ(v, (std::vector<float>{2 * 4 - 13, 2 * 5 - 14, 2 * 6 - 15}));
}

TEST(BatchMatMul, BroadcastsBatches) {
  Shape s;
  // Two heads' [1,2] rows against one shared [2,2] matrix.
  auto v = batch_matmul({2, 1, 2}, {1, 2, 3, 4}, {2, 2}, {1, 10, 100, 1000}, false, false, &s);
  EXPECT_EQ(s, (Shape{2, 1, 2}));
  EXPECT_EQ(v, (std::vector<float>{201, 2010, 403, 4030}));
}

TEST(BatchMatMul, MismatchedInnerDimensionsAreRefused) {
  OpHarness h(Op::BATCH_MATMUL);
  h.floats({2, 3}, std::vector<float>(6));
  h.floats({2, 2}, std::vector<float>(4));
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

TEST(Softmax, RowsSumToOneAndMaskedEntriesVanish) {
  OpHarness h(Op::SOFTMAX);
  h.floats({2, 3}, {0, std::log(3.0f), -1e9f, 1, 1, 1});
  h.options<tflite::SoftmaxOptions>(
      [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f); });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  auto v = OpHarness::values<float>(y);
  EXPECT_NEAR(v[0], 0.25f, 1e-7);
  EXPECT_NEAR(v[1], 0.75f, 1e-7);
  EXPECT_EQ(v[2], 0.0f);
  for (int i = 3; i < 6; ++i) EXPECT_NEAR(v[i], 1.0f / 3, 1e-7);
}

TEST(Rsqrt, Values) {
  OpHarness h(Op::RSQRT);
  h.floats({3}, {4, 0.25f, 1});
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{0.5f, 2.0f, 1.0f}));
}

TEST(Gelu, ExactAndApproximate) {
  for (bool approximate : {false, true}) {
    OpHarness h(Op::GELU);
    h.floats({3}, {-1, 0, 1});
    h.options<tflite::GeluOptions>(
        [&](auto& fbb) { return tflite::CreateGeluOptions(fbb, approximate); });
    Tensor* y = h.output(DType::kFloat32);
    h.run();
    auto v = OpHarness::values<float>(y);
    // 0.5 (1 + erf(1/sqrt 2)) = 0.8413447; the tanh form gives 0.8411920.
    EXPECT_NEAR(v[2], approximate ? 0.8411920f : 0.8413447f, 1e-6) << approximate;
    EXPECT_NEAR(v[0], approximate ? -0.1588080f : -0.1586553f, 1e-6) << approximate;
    EXPECT_EQ(v[1], 0.0f);
  }
}

}  // namespace pocketrec::tfl
