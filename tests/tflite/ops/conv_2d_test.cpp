#include <random>

#include "tflite/ops/conv_rows.hpp"
#include "tflite/ops/vector_math.hpp"

#include "tflite/op_harness.hpp"

namespace pocketrec::tfl {
namespace {

using testing::OpHarness;
using Op = tflite::BuiltinOperator;

TEST(Conv2d, SameStridedWindowsOverTime) {
  // One row of 5 steps, 1 channel; kernel 2, stride 2, SAME -> 3 outputs, the odd cell after.
  OpHarness h(Op::CONV_2D);
  h.floats({1, 1, 5, 1}, {1, 2, 3, 4, 5});
  h.floats({2, 1, 2, 1}, {1, 1, 1, -1}, true);  // [Cout, KH, KW, Cin]
  h.floats({2}, {0, 10}, true);
  h.options<tflite::Conv2DOptions>([](auto& b) {
    return tflite::CreateConv2DOptions(b, tflite::Padding::SAME, 2, 1,
                                       tflite::ActivationFunctionType::NONE);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 1, 3, 2}));
  // windows [1,2], [3,4], [5,pad]: sums 3, 7, 5; differences -1, -1, 5; +10 on channel 1.
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{3, 9, 7, 9, 5, 15}));
}

// Random inputs against a double-precision convolution: windows cut by SAME padding in both
// directions, several window rows, channel counts that are no multiple of a vector width, with and
// without bias, a constant filter (transposed once, so a second run must repeat the bits) and one
// that is not, each fused activation.
TEST(Conv2d, MatchesDoublePrecisionReference) {
  struct Case {
    int n, h, w, cin, cout, kh, kw, stride_h, stride_w;
    bool same, bias, constant_filter;
    tflite::ActivationFunctionType act;
  };
  using A = tflite::ActivationFunctionType;
  for (const Case& c : {Case{1, 1, 10, 16, 32, 1, 4, 1, 3, false, true, true, A::RELU},
                        Case{2, 3, 7, 5, 13, 2, 3, 1, 2, true, false, true, A::NONE},
                        Case{1, 4, 5, 3, 9, 3, 3, 2, 1, true, true, false, A::RELU6},
                        Case{1, 2, 6, 11, 40, 1, 5, 1, 1, true, true, true, A::RELU_N1_TO_1}}) {
    SCOPED_TRACE("cin " + std::to_string(c.cin) + " cout " + std::to_string(c.cout));
    std::mt19937 rng(c.cout);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    auto random = [&](size_t size) {
      std::vector<float> v(size);
      for (auto& x : v) x = normal(rng);
      return v;
    };
    const auto x = random(static_cast<size_t>(c.n) * c.h * c.w * c.cin);
    const auto f = random(static_cast<size_t>(c.cout) * c.kh * c.kw * c.cin);
    const auto b = random(c.cout);
    OpHarness h(Op::CONV_2D);
    h.floats({c.n, c.h, c.w, c.cin}, x);
    Tensor* filter = h.floats({c.cout, c.kh, c.kw, c.cin}, f, c.constant_filter);
    if (c.bias) h.floats({c.cout}, b, true);
    h.options<tflite::Conv2DOptions>([&](auto& fbb) {
      return tflite::CreateConv2DOptions(fbb,
                                         c.same ? tflite::Padding::SAME : tflite::Padding::VALID,
                                         c.stride_w, c.stride_h, c.act);
    });
    Tensor* y = h.output(DType::kFloat32);
    h.run();
    const auto first = OpHarness::values<float>(y);
    const int oh = y->shape[1], ow = y->shape[2];
    const int want_h = c.same ? (c.h + c.stride_h - 1) / c.stride_h : (c.h - c.kh) / c.stride_h + 1;
    const int want_w = c.same ? (c.w + c.stride_w - 1) / c.stride_w : (c.w - c.kw) / c.stride_w + 1;
    ASSERT_EQ(y->shape, (Shape{c.n, want_h, want_w, c.cout}));
    const int pad_h = c.same ? std::max(0, ((oh - 1) * c.stride_h + c.kh - c.h)) / 2 : 0;
    const int pad_w = c.same ? std::max(0, ((ow - 1) * c.stride_w + c.kw - c.w)) / 2 : 0;
    for (int bi = 0; bi < c.n; ++bi) {
      for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
          for (int co = 0; co < c.cout; ++co) {
            double acc = c.bias ? b[co] : 0.0;
            for (int ky = 0; ky < c.kh; ++ky) {
              for (int kx = 0; kx < c.kw; ++kx) {
                const int iy = oy * c.stride_h - pad_h + ky, ix = ox * c.stride_w - pad_w + kx;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                for (int ci = 0; ci < c.cin; ++ci) {
                  acc += double{x[((bi * c.h + iy) * c.w + ix) * c.cin + ci]} *
                         f[((co * c.kh + ky) * c.kw + kx) * c.cin + ci];
                }
              }
            }
            switch (c.act) {
              case A::RELU:
                acc = std::max(acc, 0.0);
                break;
              case A::RELU6:
                acc = std::clamp(acc, 0.0, 6.0);
                break;
              case A::RELU_N1_TO_1:
                acc = std::clamp(acc, -1.0, 1.0);
                break;
              default:
                break;
            }
            ASSERT_NEAR(first[((bi * oh + oy) * ow + ox) * c.cout + co], acc, 1e-5)
                << "at " << bi << "," << oy << "," << ox << "," << co;
          }
        }
      }
    }
    h.eval();
    EXPECT_EQ(OpHarness::values<float>(y), first);
    if (!c.constant_filter) {  // a filter that is not constant is read again at every run
      std::fill_n(filter->as<float>(), filter->elements(), 0.0f);
      h.eval();
      const auto zeroed = OpHarness::values<float>(y);
      for (size_t i = 0; i < zeroed.size(); ++i) {
        const float want = c.bias ? b[i % c.cout] : 0.0f;
        EXPECT_EQ(zeroed[i], c.act == A::RELU6 ? std::clamp(want, 0.0f, 6.0f) : want) << i;
      }
    }
  }
}

TEST(Conv2d, ValidPaddingAndRelu) {
  OpHarness h(Op::CONV_2D);
  h.floats({1, 1, 4, 2}, {1, 0, 0, 1, -1, 0, 0, -1});
  h.floats({1, 1, 2, 2}, {1, 1, 1, 1}, true);
  h.floats({1}, {0}, true);
  h.options<tflite::Conv2DOptions>([](auto& b) {
    return tflite::CreateConv2DOptions(b, tflite::Padding::VALID, 1, 1,
                                       tflite::ActivationFunctionType::RELU);
  });
  Tensor* y = h.output(DType::kFloat32);
  h.run();
  EXPECT_EQ(y->shape, (Shape{1, 1, 3, 1}));
  EXPECT_EQ(OpHarness::values<float>(y), (std::vector<float>{2, 0, 0}));
}

// Output positions go through add_scaled_taps together; each must still get the bits of its own
// chain, the terms of its window in tap and channel order (add_scaled_rows over them), whatever
// the group it falls in: 1 to 9 positions (groups of 4 and the rest), windows cut by SAME
// padding at both ends, widths of 1 to 3 vectors and a scalar tail.
TEST(Conv2d, GroupedPositionsGiveEachPositionsOwnChain) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int32_t w : {2, 3, 5, 10, 17}) {
    for (int32_t cout : {1, 8, 16, 32, 45, 64}) {
      ConvShape s;
      s.h = 1;
      s.w = w;
      s.cin = 5;
      s.cout = cout;
      s.kh = 1;
      s.kw = 4;
      s.stride_w = 2;
      s.gh = window_geometry(true, s.h, s.kh, 1, 1);
      s.gw = window_geometry(true, s.w, s.kw, s.stride_w, 1);
      std::vector<float> x(static_cast<size_t>(w) * s.cin), packed(4 * s.cin * cout), bias(cout);
      for (auto* v : {&x, &packed, &bias}) {
        for (float& f : *v) f = normal(rng);
      }
      std::vector<float> y(static_cast<size_t>(s.gw.out) * cout);
      conv_undilated(x.data(), packed.data(), bias.data(), s, Activation::kNone, y.data());
      for (int32_t ox = 0; ox < s.gw.out; ++ox) {
        const int32_t ix0 = ox * s.stride_w - s.gw.pad_before;
        const int32_t lo = std::max(0, -ix0), hi = std::min(s.kw, w - ix0);
        std::vector<float> want(bias);
        if (lo < hi) {
          add_scaled_rows(want.data(), x.data() + static_cast<size_t>(ix0 + lo) * s.cin,
                          (hi - lo) * s.cin, packed.data() + static_cast<size_t>(lo) * s.cin * cout,
                          cout, want.data());
        }
        for (int32_t co = 0; co < cout; ++co) {
          ASSERT_EQ(y[static_cast<size_t>(ox) * cout + co], want[co])
              << "w " << w << " cout " << cout << " position " << ox << " channel " << co;
        }
      }
    }
  }
}

TEST(Conv2d, MissingOptionsAreRejected) {
  OpHarness h(Op::CONV_2D);
  h.floats({1, 1, 4, 1}, {1, 2, 3, 4});
  h.floats({1, 1, 2, 1}, {1, 1}, true);
  h.floats({1}, {0}, true);
  h.output(DType::kFloat32);
  EXPECT_THROW(h.prepare(), Error);
}

}  // namespace
}  // namespace pocketrec::tfl
