#include "nn/conv1d.hpp"

#include <gtest/gtest.h>

#include <random>

#include "nn/grad_check.hpp"

namespace pocketrec::nn {

TEST(Conv1d, SamePaddingMatchesTensorFlow) {
  // L = 10, k = s = 4: ceil(10/4) = 3 outputs, total padding 2*4 + 4 - 10 = 2, split 1 | 1.
  Conv1dShape shape{1, 10, 1, 4, 4, 1};
  EXPECT_EQ(shape.out_length(), 3);
  EXPECT_EQ(shape.pad_left(), 1);
  // L = 3, k = s = 4: one output, padding 1: 0 left, 1 right (TF puts the odd cell right).
  Conv1dShape small{1, 3, 1, 4, 4, 1};
  EXPECT_EQ(small.out_length(), 1);
  EXPECT_EQ(small.pad_left(), 0);
}

TEST(Conv1d, HandComputedOutputAndMask) {
  // One channel, sum kernel [1, 1, 1, 1], bias 0.5, input 1..10.
  Conv1dShape shape{1, 10, 1, 4, 4, 1};
  Matrix weight(4, 1), bias(1, 1), x(10, 1);
  for (float& w : weight.data) w = 1.0f;
  bias.at(0, 0) = 0.5f;
  for (int t = 0; t < 10; ++t) x.at(t, 0) = static_cast<float>(t + 1);
  Conv1dState state;
  std::vector<float> y(3);
  conv1d_forward(weight, bias, x.data.data(), shape, state, y.data());
  // Windows (pad left 1): [pad,1,2,3], [4,5,6,7], [8,9,10,pad].
  EXPECT_FLOAT_EQ(y[0], 6.5f);
  EXPECT_FLOAT_EQ(y[1], 22.5f);
  EXPECT_FLOAT_EQ(y[2], 27.5f);
  std::vector<uint8_t> mask = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};  // left-padded history of 2
  EXPECT_EQ(conv1d_mask(mask, shape), (std::vector<uint8_t>{0, 0, 1}));
}

TEST(GradCheck, Conv1dWithOverlappingWindows) {
  std::mt19937 rng(31);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  Conv1dShape shape{2, 7, 3, 3, 2, 4};  // kernel 3, stride 2: windows overlap
  Matrix weight(shape.kernel * shape.channels, shape.filters), bias(1, shape.filters);
  Matrix x(shape.batch * shape.length, shape.channels);
  for (auto* m : {&weight, &bias, &x}) {
    for (float& v : m->data) v = normal(rng);
  }
  const int outputs = shape.batch * shape.out_length() * shape.filters;
  std::vector<float> probe(outputs);
  for (float& p : probe) p = normal(rng);
  auto loss = [&] {
    Conv1dState state;
    std::vector<float> y(outputs);
    conv1d_forward(weight, bias, x.data.data(), shape, state, y.data());
    double total = 0;
    for (int i = 0; i < outputs; ++i) total += static_cast<double>(y[i]) * probe[i];
    return total;
  };
  Conv1dState state;
  std::vector<float> y(outputs);
  conv1d_forward(weight, bias, x.data.data(), shape, state, y.data());
  Gradient gw, gb;
  gw.init(weight.rows, weight.cols, false);
  gb.init(1, bias.cols, false);
  Matrix dx(x.rows, x.cols);
  conv1d_backward(weight, state, probe.data(), dx.data.data(), gw, gb);
  EXPECT_LT(
      check_gradient(weight.data.data(), weight.size(), gw.values.data.data(), loss).max_error,
      2e-3);
  EXPECT_LT(check_gradient(bias.data.data(), bias.size(), gb.values.data.data(), loss).max_error,
            2e-3);
  EXPECT_LT(check_gradient(x.data.data(), x.size(), dx.data.data(), loss).max_error, 2e-3);
}

TEST(GradCheck, MaskedMaxOverTime) {
  // Padded positions never win, even with the largest values; an all-padding row gives zeros.
  std::vector<float> x = {9.0f, 1.0f, 2.0f, -1.0f, 5.0f, 3.0f,   // row 0: t0 padded
                          7.0f, 7.0f, 8.0f, 8.0f,  9.0f, 9.0f};  // row 1: all padded
  std::vector<uint8_t> mask = {0, 1, 1, 0, 0, 0};
  std::vector<float> y(4);
  std::vector<int> argmax;
  masked_max_forward(x.data(), mask, 2, 3, 2, y.data(), argmax);
  EXPECT_EQ(y, (std::vector<float>{5.0f, 3.0f, 0.0f, 0.0f}));
  std::vector<float> probe = {0.3f, -0.7f, 1.0f, 1.0f}, dx(12);
  masked_max_backward(argmax, 2, 3, 2, probe.data(), dx.data());
  auto loss = [&] {
    std::vector<float> out(4);
    std::vector<int> winners;
    masked_max_forward(x.data(), mask, 2, 3, 2, out.data(), winners);
    double total = 0;
    for (int i = 0; i < 4; ++i) total += static_cast<double>(out[i]) * probe[i];
    return total;
  };
  EXPECT_LT(check_gradient(x.data(), x.size(), dx.data(), loss, 1e-3f).max_error, 1e-3);
  EXPECT_EQ(dx[0], 0.0f);  // the padded 9 gets nothing
}

}  // namespace pocketrec::nn
