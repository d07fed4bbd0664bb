#include "runtime/coarse_filter.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "runtime/rounding.hpp"
#include "runtime/top_k.hpp"

namespace pocketrec::runtime {
namespace {

// Codes are in [-7, 7]: a code scale of max|row| / 7 leaves each value within half a step.
constexpr int kCodeMax = 7;
constexpr int kCodeOffset = 8;
constexpr int kUserLevels = 127;
// The code scales reach 2^kTopExponent at index 255 and span 32 octaves below it.
constexpr int kMinTopExponent = -90, kMaxTopExponent = 100;

}  // namespace

float CoarseFilter::scale_of(int index) const {
  return std::bit_cast<float>(scale_bits_[index & 7] + (static_cast<uint32_t>(index) << 20));
}

CoarseFilter CoarseFilter::from_int8(std::span<const int8_t> table,
                                     std::span<const float> row_scales, int rows, int dim,
                                     std::span<const float> bias) {
  CoarseFilter f;
  if (rows <= 0 || dim <= 0 || dim > kMaxCoarseDim) return f;
  auto row_scale = [&](int r) -> double {
    return row_scales.size() == 1 ? row_scales[0] : row_scales[r];
  };
  // The code scale row r needs: max|value| / 7.
  std::vector<double> needed(rows);
  double top_needed = 0.0;
  for (int r = 0; r < rows; ++r) {
    int max_abs = 0;
    for (int k = 0; k < dim; ++k)
      max_abs = std::max(max_abs, std::abs(int{table[static_cast<size_t>(r) * dim + k]}));
    needed[r] = std::fabs(row_scale(r)) * max_abs / kCodeMax;
    top_needed = std::max(top_needed, needed[r]);
  }
  int top_exponent = kMinTopExponent;
  if (top_needed > 0.0) top_exponent = std::max(top_exponent, std::ilogb(top_needed) + 1);
  if (top_exponent > kMaxTopExponent) return f;
  f.rows_ = rows;
  f.dim_ = dim;
  f.octets_ = (dim + 7) / 8;
  f.groups_ = (rows + 2 * kCoarseGroupRows - 1) / (2 * kCoarseGroupRows) * 2;
  // scale_of(i) = 2^(i / 8) * kCoarseMantissa[i % 8] * 2^(top_exponent - 32): normal floats for
  // every index, as top_exponent >= -90.
  for (uint32_t i = 0; i < 8; ++i) {
    f.scale_bits_[i] =
        std::bit_cast<uint32_t>(std::ldexp(kCoarseMantissa[i], top_exponent - 32)) - (i << 20);
  }
  const size_t padded = static_cast<size_t>(f.groups_) * kCoarseGroupRows;
  // Padding rows and dimensions hold code 0.
  f.codes_.assign(static_cast<size_t>(f.groups_) * f.octets_ * 32, kCodeOffset * 0x11);
  f.scale_index_.assign(padded, 0);
  f.bias_index_.assign(padded, 0);
  f.residual_index_.assign(padded, 0);
  // The residual norms are at most sqrt(dim) / 2 (each code within half a step).
  const double residual_step = std::sqrt(static_cast<double>(dim)) / 2 * (1 + 0x1p-20) / 255;
  f.residual_step_ = std::nextafter(static_cast<float>(residual_step), INFINITY);
  for (int r = 0; r < rows; ++r) {
    // The smallest index whose scale covers the row (the scales increase with the index).
    int lo = 0, hi = 255;
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (f.scale_of(mid) >= needed[r]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    f.scale_index_[r] = static_cast<uint8_t>(lo);
    const double code_scale = f.scale_of(lo);
    const double scale = row_scale(r);
    const size_t group = r / kCoarseGroupRows, lane = r % kCoarseGroupRows;
    double residual_squares = 0.0;
    for (int k = 0; k < dim; ++k) {
      const double value = scale * table[static_cast<size_t>(r) * dim + k];
      const long code =
          std::clamp(std::lround(value / code_scale), -long{kCodeMax}, long{kCodeMax});
      const double residual = value / code_scale - static_cast<double>(code);
      residual_squares += residual * residual;
      // Byte j of an octet's 32 holds row j / 4; its low nibble dimension j % 4, its high nibble
      // dimension 4 + j % 4.
      uint8_t& byte = f.codes_[(group * f.octets_ + k / 8) * 32 + lane * 4 + k % 4];
      const int shift = (k % 8) < 4 ? 0 : 4;
      byte = static_cast<uint8_t>((byte & ~(0xf << shift)) | ((code + kCodeOffset) << shift));
    }
    // Rounded up, with a margin for the rounding of the double sums.
    const double residual_norm = std::sqrt(residual_squares) * (1 + 0x1p-30);
    f.residual_index_[r] = static_cast<uint8_t>(
        std::min(255.0, std::ceil(residual_norm / static_cast<double>(f.residual_step_))));
  }
  std::vector<uint8_t> residuals(f.residual_index_.begin(), f.residual_index_.begin() + rows);
  std::nth_element(residuals.begin(), residuals.begin() + rows / 2, residuals.end());
  f.residual_median_ = residuals[rows / 2];
  // The bias, rounded up to one of 256 evenly spaced values.
  float low = 0.0f, high = 0.0f, max_abs = 0.0f;
  if (!bias.empty()) {
    low = *std::min_element(bias.begin(), bias.begin() + rows);
    high = *std::max_element(bias.begin(), bias.begin() + rows);
    for (int r = 0; r < rows; ++r) max_abs = std::max(max_abs, std::fabs(bias[r]));
  }
  double step = (static_cast<double>(high) - low) / 255.0;
  f.bias_step_ = std::nextafter(static_cast<float>(step), INFINITY);
  if (high == low) f.bias_step_ = 0.0f;
  for (int r = 0; r < rows && !bias.empty() && f.bias_step_ > 0.0f; ++r) {
    const double offset = (static_cast<double>(bias[r]) - low) / f.bias_step_;
    long index = std::clamp(static_cast<long>(std::floor(offset)), 0L, 254L);
    while (index < 254 && low + (index + 1.0) * f.bias_step_ < bias[r]) ++index;
    f.bias_index_[r] = static_cast<uint8_t>(index);
  }
  // bias <= low + (index + 1) * step exactly; the slack covers the float rounding of that sum in
  // the kernel, and of the bias in the exact score, with a wide margin.
  const float slack = 0x1p-14f * (max_abs + std::fabs(low) + 255.0f * f.bias_step_) + 0x1p-120f;
  f.bias_floor_ = std::nextafter(low + f.bias_step_ + slack, INFINITY);
  return f;
}

long CoarseFilter::top_k(const Int8Scoring& exact, TopK& top, std::span<float> block_bound) const {
  // The user as the exact kernel sees it: user_scale * its int16 values.
  double user[kMaxCoarseDim] = {};
  double max_abs = 0.0, l1 = 0.0, l2_squared = 0.0;
  for (int k = 0; k < dim_; ++k) {
    user[k] = static_cast<double>(exact.user->scale) * exact.user->values[k];
    max_abs = std::max(max_abs, std::fabs(user[k]));
    l1 += std::fabs(user[k]);
    l2_squared += user[k] * user[k];
  }
  const auto step = static_cast<float>(max_abs / kUserLevels);
  uint32_t quads[kMaxCoarseDim / 4] = {};
  int32_t levels_sum = 0;
  double error_l1 = 0.0;  // sum |user - step * level|
  for (int k = 0; k < dim_; ++k) {
    long level = 0;
    if (step > 0.0f) {
      level = std::clamp(round_half_away(user[k] / step), -long{kUserLevels}, long{kUserLevels});
    }
    error_l1 += std::fabs(user[k] - static_cast<double>(step) * level);
    levels_sum += static_cast<int32_t>(level);
    quads[k / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(level)) << (8 * (k % 4));
  }
  // With v = the row's values (scale * int8), c its codes and s its code scale:
  //   dot(user, v) = s * dot(user, c) + dot(user, v - s c), where |v - s c| <= s / 2 per
  //   dimension and |v / s - c|_2 <= residual index * residual step, so
  //   dot(user, v - s c) <= s * min(l1 / 2, |user|_2 * residual index * residual step);
  //   dot(user, c) = step * dot(levels, c) + dot(user - step * levels, c),  |c| <= 7.
  // So dot(user, v) <= s * (step * dot(levels, c) + 7 * error_l1 + min(...)). The margins
  // (2^-16 relative, and 2^-16 * 7 * l1 absolute, against |dot| <= 7 * s * l1) cover the float
  // rounding of the exact score and of the bound's few operations: units in the last place.
  const double error = kCodeMax * error_l1 * (1 + 0x1p-16) + 0x1p-16 * kCodeMax * l1;
  const float code_error_cap = std::nextafter(static_cast<float>(l1 / 2 * (1 + 0x1p-16)), INFINITY);
  const float residual_unit = std::nextafter(
      static_cast<float>(std::sqrt(l2_squared) * (1 + 0x1p-16) * residual_step_), INFINITY);
  // The kernels add the codes' +8 offset to the dot products; the bound takes it back, rounded up
  // (the double rounding here is covered by the 2^-50 term).
  const double offset = static_cast<double>(step) * kCodeOffset * levels_sum;
  const float bound_offset = std::nextafter(
      static_cast<float>(error - offset + 0x1p-50 * (error + std::fabs(offset))), INFINITY);
  if (!std::isfinite(bound_offset) || !std::isfinite(step) || !std::isfinite(code_error_cap) ||
      !std::isfinite(residual_unit)) {
    return -1;
  }
  CoarseQuery q{};
  q.codes = codes_.data();
  q.scale_index = scale_index_.data();
  q.bias_index = bias_index_.data();
  q.scale_bits = scale_bits_;
  q.bias_floor = bias_floor_;
  q.bias_step = bias_step_;
  q.octets = octets_;
  q.user_quads = quads;
  q.user_step = step;
  q.bound_offset = bound_offset;
  // The bound through the residual norms where it is tighter for the typical row.
  const bool residual = static_cast<double>(residual_unit) * residual_median_ < code_error_cap;
  q.residual_index = residual ? residual_index_.data() : nullptr;
  q.code_error_cap = code_error_cap;
  q.residual_unit = residual_unit;
  q.exact = exact;
  std::vector<float> own;
  if (block_bound.size() < static_cast<size_t>(blocks())) {
    own.resize(blocks());
    block_bound = own;
  }
  return top_k_coarse(q, block_bound.data(), top);
}

}  // namespace pocketrec::runtime
