// The prefilter's vector quantization of the user against the scalar loop it replaced.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "runtime/every_target.hpp"
#include "runtime/prefilter.hpp"
#include "runtime/rounding.hpp"

namespace pocketrec::runtime {
namespace {

// The scalar form: float quotient, rounded half away from zero, clamped to the levels of the
// instruction set the kernels run on; the error terms in double.
UserLevels quantize_scalar(const std::vector<float>& user, const Int8User* user_i8, int quads,
                           float step, float step_low, bool two_parts) {
  const long levels = prefilter_user_levels();
  UserLevels out{};
  const int dim = static_cast<int>(user.size());
  for (int k = 0; k < quads * 4; ++k) {
    long level = 0, low = 0;
    if (k < dim && step > 0.0f) {
      level = std::clamp(round_half_away(user[k] / step), -levels, levels);
      if (two_parts) {
        const double rest = static_cast<double>(user[k]) - static_cast<double>(step) * level;
        low = std::clamp(round_half_away(static_cast<float>(rest / step_low)), -levels, levels);
      }
    }
    if (k < dim) {
      const double exact = user_i8 ? static_cast<double>(user_i8->scale) * user_i8->values[k]
                                   : static_cast<double>(user[k]);
      const double approx = static_cast<double>(step) * level + static_cast<double>(step_low) * low;
      out.error_max = std::max(out.error_max, std::fabs(exact - approx));
      out.error_squares += (exact - approx) * (exact - approx);
      out.approx_l1 += static_cast<float>(std::fabs(approx));
    }
    out.levels_sum += static_cast<int32_t>(level);
    out.low_sum += static_cast<int32_t>(low);
    out.quads[k / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(level)) << (8 * (k % 4));
    out.quads_low[k / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(low)) << (8 * (k % 4));
  }
  return out;
}

void expect_same(const UserLevels& want, const UserLevels& got, int quads) {
  for (int j = 0; j < quads; ++j) {
    EXPECT_EQ(want.quads[j], got.quads[j]) << "quad " << j;
    EXPECT_EQ(want.quads_low[j], got.quads_low[j]) << "quad " << j;
  }
  EXPECT_EQ(want.levels_sum, got.levels_sum);
  EXPECT_EQ(want.low_sum, got.low_sum);
  EXPECT_EQ(want.error_max, got.error_max);
  // Sums in another order: equal to their rounding, far inside the bound's 1 + 2^-40 and 1.001.
  EXPECT_NEAR(want.error_squares, got.error_squares, 1e-12 * want.error_squares);
  EXPECT_NEAR(want.approx_l1, got.approx_l1, 1e-5f * want.approx_l1);
}

void expect_quantized_as_the_scalar_loop() {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  const auto levels = static_cast<float>(prefilter_user_levels());
  int cases = 0;
  for (int dim : {1, 3, 4, 16, 37, 128, kMaxPrefilterDim}) {
    const int quads = (dim + 3) / 4;
    for (int form = 0; form < 4; ++form) {
      SCOPED_TRACE("dim " + std::to_string(dim) + " form " + std::to_string(form));
      std::vector<float> user(dim);
      for (float& v : user) v = normal(rng) * std::pow(10.0f, static_cast<float>(rng() % 5) - 2);
      if (form == 3) std::fill(user.begin(), user.end(), 0.0f);
      float max_abs = 0.0f;
      for (float v : user) max_abs = std::max(max_abs, std::fabs(v));
      const float step = max_abs / levels, step_low = step / (2 * levels);
      // Exact halfway quotients, where rounding half to even would differ.
      if (form == 1) {
        for (int k = 0; k + 1 < dim; k += 2) user[k] = step * (static_cast<float>(k % 9) + 0.5f);
      }
      Int8User i8;
      i8.scale = max_abs / 32767.0f;
      std::fill(std::begin(i8.values), std::end(i8.values), int16_t{0});
      for (int k = 0; k < dim; ++k) {
        i8.values[k] = static_cast<int16_t>(std::lround(user[k] / std::max(i8.scale, 1e-30f)));
      }
      for (bool two_parts : {false, true}) {
        const Int8User* with_i8 = form == 2 ? &i8 : nullptr;
        UserLevels got{};
        quantize_user(user.data(), with_i8, dim, quads, step, step_low, two_parts, got);
        expect_same(quantize_scalar(user, with_i8, quads, step, step_low, two_parts), got, quads);
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 56);
}

TEST(Prefilter, QuantizesTheUserAsTheScalarLoop) {
  expect_quantized_as_the_scalar_loop();
}

TEST(Prefilter, QuantizesTheUserAsTheScalarLoopOnEveryCompiledTarget) {
  on_every_compiled_target(expect_quantized_as_the_scalar_loop);
}

}  // namespace
}  // namespace pocketrec::runtime
