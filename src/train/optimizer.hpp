#pragma once
// Adagrad (with the reference's per-variable gradient-norm clipping) and Adam. Embedding tables
// with sparse-row gradients are updated only on the rows a batch touched ("lazy" updates); dense
// tensors are updated in row slices that several threads can share.
#include <cstdint>
#include <vector>

#include "core/thread_pool.hpp"
#include "model/dual_encoder.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

class Optimizer {
 public:
  Optimizer(const TrainConfig& config, const std::vector<Parameter>& params);

  // One whole step: clip, update, and leave the gradients zeroed for the next batch.
  void step(std::vector<Parameter>& params, Gradients& grads, ThreadPool& pool);

  // The same step in two phases, for a trainer that runs its own thread team: begin_step (one
  // thread) counts the step, computes clip factors and updates the sparse tensors; then every
  // thread calls update_dense_slice for its slice.
  void begin_step(std::vector<Parameter>& params, Gradients& grads);
  void update_dense_slice(std::vector<Parameter>& params, Gradients& grads, int slice, int slices);

  uint64_t steps() const { return steps_; }
  // Multiplies the configured learning rate from the next step on (decay on plateau).
  void set_lr_scale(float scale) { lr_scale_ = scale; }
  float lr_scale() const { return lr_scale_; }
  // The planned schedule's factor for the next step (cooldown), on top of lr_scale.
  void set_schedule_scale(float scale) { schedule_scale_ = scale; }
  // State for checkpoints: slot tensors in parameter order, plus the step count.
  std::vector<nn::Matrix>& slots() { return slots_; }
  void set_steps(uint64_t steps) { steps_ = steps; }
  int slots_per_parameter() const { return adam_ ? 2 : 1; }

 private:
  void update_values(float* value, float* grad, float* first, float* second, size_t count,
                     float grad_scale, bool decay) const;

  bool adam_;
  float base_lr_;
  float lr_;  // this step's rate (warmup and decay applied)
  float lr_scale_ = 1.0f;
  float schedule_scale_ = 1.0f;
  float weight_decay_;
  int warmup_steps_;
  std::vector<uint8_t> decays_;  // per parameter: weight decay applies
  float clip_;
  uint64_t steps_ = 0;
  float bias1_ = 1, bias2_ = 1;
  std::vector<float> clip_scale_;  // per parameter, for this step
  std::vector<nn::Matrix> slots_;  // adagrad: accumulator; adam: m then v per parameter
};

}  // namespace pocketrec
