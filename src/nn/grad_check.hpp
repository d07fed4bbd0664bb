#pragma once
// Finite-difference gradient checking: perturbs each value by +-eps, evaluates the loss and
// compares the central difference with the analytic gradient. Used by every layer's test.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace pocketrec::nn {

struct GradCheckResult {
  double max_error = 0;  // max |numeric - analytic| / max(1, |numeric| + |analytic|)
  size_t worst_index = 0;
  double worst_numeric = 0, worst_analytic = 0;
};

// `values` (count entries) are perturbed in place and restored; `loss` recomputes the scalar loss
// from them; `analytic` holds dLoss/dvalues.
inline GradCheckResult check_gradient(float* values, size_t count, const float* analytic,
                                      const std::function<double()>& loss, float eps = 1e-2f) {
  GradCheckResult result;
  for (size_t i = 0; i < count; ++i) {
    float saved = values[i];
    values[i] = saved + eps;
    double up = loss();
    values[i] = saved - eps;
    double down = loss();
    values[i] = saved;
    double numeric = (up - down) / (2.0 * eps);
    double error = std::fabs(numeric - analytic[i]) /
                   std::max(1.0, std::fabs(numeric) + std::fabs(static_cast<double>(analytic[i])));
    if (error > result.max_error) {
      result = {error, i, numeric, static_cast<double>(analytic[i])};
    }
  }
  return result;
}

}  // namespace pocketrec::nn
