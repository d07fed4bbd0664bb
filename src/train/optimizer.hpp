#pragma once
// Adagrad (with the reference's per-variable gradient-norm clipping) and Adam. Embedding tables
// with sparse-row gradients are updated only on the rows a batch touched ("lazy" updates).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/dual_encoder.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

class Optimizer {
 public:
  Optimizer(const TrainConfig& config, const std::vector<Parameter>& params);
  // Clips each gradient to the configured norm, then updates the parameters.
  void step(std::vector<Parameter>& params, Gradients& grads);

  uint64_t steps() const { return steps_; }
  // State for checkpoints: slot tensors in parameter order, plus the step count.
  std::vector<nn::Matrix>& slots() { return slots_; }
  void set_steps(uint64_t steps) { steps_ = steps; }
  int slots_per_parameter() const { return adam_ ? 2 : 1; }

 private:
  void update_row(float* value, const float* grad, float* first, float* second, int count,
                  float bias1, float bias2) const;

  bool adam_;
  float lr_;
  float clip_;
  uint64_t steps_ = 0;
  std::vector<nn::Matrix> slots_;  // adagrad: accumulator; adam: m then v per parameter
};

}  // namespace pocketrec
