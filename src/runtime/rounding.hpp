#pragma once
// std::lround without the library call: the per-query quantization of the user vector rounds a few
// dozen values, and glibc's lroundf (not inlined, it must handle errno) showed up at 3% of a query.
#include <cmath>

namespace pocketrec::runtime {

// The nearest integer to x, halves away from zero, as std::lround, for |x| < 2^31. The sum is
// taken in double, where |x| + 0.5 is exact for every float, so no value just below a half
// rounds up. Beyond that range (and for NaN, 0) the result saturates instead of being undefined.
inline long round_half_away(float x) {
  const double sum = std::fabs(static_cast<double>(x)) + 0.5;
  if (!(sum < 0x1p31)) return std::isnan(x) ? 0 : (x < 0.0f ? -0x7fffffffL : 0x7fffffffL);
  const auto magnitude = static_cast<long>(sum);
  return x < 0.0f ? -magnitude : magnitude;
}

}  // namespace pocketrec::runtime
