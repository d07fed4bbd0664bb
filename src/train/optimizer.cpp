#include "train/optimizer.hpp"

#include <algorithm>
#include <cmath>

namespace pocketrec {
namespace {

bool ends_with_any(const std::string& name, std::initializer_list<const char*> suffixes) {
  for (const char* suffix : suffixes) {
    const size_t n = std::char_traits<char>::length(suffix);
    if (name.size() >= n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

}  // namespace

Optimizer::Optimizer(const TrainConfig& config, const std::vector<Parameter>& params)
    : adam_(config.optimizer == OptimizerKind::kAdam),
      base_lr_(config.learning_rate),
      lr_(config.learning_rate),
      weight_decay_(config.weight_decay),
      warmup_steps_(config.warmup_steps),
      clip_(config.clip_norm),
      clip_scale_(params.size(), 1.0f) {
  for (const auto& p : params) {
    decays_.push_back(!ends_with_any(p.name, {"bias", "gamma", "beta", "position"}));
    nn::Matrix slot(p.value.rows, p.value.cols);
    if (!adam_) std::fill(slot.data.begin(), slot.data.end(), config.adagrad_initial);
    slots_.push_back(slot);
    if (adam_) slots_.push_back(nn::Matrix(p.value.rows, p.value.cols));
  }
}

void Optimizer::update_values(float* value, float* grad, float* first, float* second, size_t count,
                              float grad_scale, bool decay) const {
  if (decay && weight_decay_ > 0) {
    const float keep = 1.0f - lr_ * weight_decay_;
    for (size_t i = 0; i < count; ++i) value[i] *= keep;
  }
  if (adam_) {
    constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEpsilon = 1e-8f;
    // The bias corrections folded into the step size and epsilon (Kingma & Ba, section 2), so
    // the loop is a few vector operations per element.
    const float root2 = std::sqrt(bias2_);
    const float step = lr_ * root2 / bias1_;
    const float epsilon = kEpsilon * root2;
    for (size_t i = 0; i < count; ++i) {
      float g = grad[i] * grad_scale;
      float m = kBeta1 * first[i] + (1 - kBeta1) * g;
      float v = kBeta2 * second[i] + (1 - kBeta2) * g * g;
      first[i] = m;
      second[i] = v;
      value[i] -= step * m / (std::sqrt(v) + epsilon);
    }
  } else {
    for (size_t i = 0; i < count; ++i) {
      float g = grad[i] * grad_scale;
      first[i] += g * g;
      value[i] -= lr_ * g / std::sqrt(first[i]);
    }
  }
}

void Optimizer::begin_step(std::vector<Parameter>& params, Gradients& grads) {
  ++steps_;
  lr_ = base_lr_ * lr_scale_ * schedule_scale_;
  if (warmup_steps_ > 0 && steps_ <= static_cast<uint64_t>(warmup_steps_)) {
    lr_ *= static_cast<float>(steps_) / static_cast<float>(warmup_steps_);
  }
  if (adam_) {
    bias1_ = 1.0f - std::pow(0.9f, static_cast<float>(steps_));
    bias2_ = 1.0f - std::pow(0.999f, static_cast<float>(steps_));
  }
  const int per = slots_per_parameter();
  for (size_t i = 0; i < params.size(); ++i) {
    auto& grad = grads[i];
    clip_scale_[i] = 1.0f;
    if (clip_ > 0) {
      double norm = std::sqrt(grad.squared_norm());
      if (norm > clip_) clip_scale_[i] = static_cast<float>(clip_ / norm);
    }
    if (!grad.sparse_rows) continue;
    auto& value = params[i].value;
    const size_t cols = static_cast<size_t>(value.cols);
    for (uint32_t r : grad.rows) {
      int row = static_cast<int>(r);
      update_values(value.row(row), grad.values.row(row), slots_[i * per].row(row),
                    adam_ ? slots_[i * per + 1].row(row) : nullptr, cols, clip_scale_[i],
                    decays_[i]);
    }
    grad.clear();
  }
}

void Optimizer::update_dense_slice(std::vector<Parameter>& params, Gradients& grads, int slice,
                                   int slices) {
  const int per = slots_per_parameter();
  for (size_t i = 0; i < params.size(); ++i) {
    if (grads[i].sparse_rows) continue;
    size_t total = params[i].value.size();
    size_t begin = total * slice / slices, end = total * (slice + 1) / slices;
    if (begin == end) continue;
    float* grad = grads[i].values.data.data();
    float* second = adam_ ? slots_[i * per + 1].data.data() + begin : nullptr;
    update_values(params[i].value.data.data() + begin, grad + begin,
                  slots_[i * per].data.data() + begin, second, end - begin, clip_scale_[i],
                  decays_[i]);
    std::fill(grad + begin, grad + end, 0.0f);
  }
}

void Optimizer::step(std::vector<Parameter>& params, Gradients& grads, ThreadPool& pool) {
  begin_step(params, grads);
  const int slices = pool.size();
  pool.run(slices, [&](int slice) { update_dense_slice(params, grads, slice, slices); });
}

}  // namespace pocketrec
