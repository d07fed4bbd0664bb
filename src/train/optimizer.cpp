#include "train/optimizer.hpp"

#include <cmath>

namespace pocketrec {

Optimizer::Optimizer(const TrainConfig& config, const std::vector<Parameter>& params)
    : adam_(config.optimizer == "adam"), lr_(config.learning_rate), clip_(config.clip_norm) {
  for (const auto& p : params) {
    nn::Matrix slot(p.value.rows, p.value.cols);
    if (!adam_) std::fill(slot.data.begin(), slot.data.end(), config.adagrad_initial);
    slots_.push_back(slot);
    if (adam_) slots_.push_back(nn::Matrix(p.value.rows, p.value.cols));
  }
}

void Optimizer::update_row(float* value, const float* grad, float* first, float* second,
                           int count, float bias1, float bias2) const {
  if (adam_) {
    constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEpsilon = 1e-8f;
    for (int i = 0; i < count; ++i) {
      first[i] = kBeta1 * first[i] + (1 - kBeta1) * grad[i];
      second[i] = kBeta2 * second[i] + (1 - kBeta2) * grad[i] * grad[i];
      value[i] -= lr_ * (first[i] / bias1) / (std::sqrt(second[i] / bias2) + kEpsilon);
    }
  } else {
    for (int i = 0; i < count; ++i) {
      first[i] += grad[i] * grad[i];
      value[i] -= lr_ * grad[i] / std::sqrt(first[i]);
    }
  }
}

void Optimizer::step(std::vector<Parameter>& params, Gradients& grads) {
  ++steps_;
  float bias1 = 1, bias2 = 1;
  if (adam_) {
    bias1 = 1.0f - std::pow(0.9f, static_cast<float>(steps_));
    bias2 = 1.0f - std::pow(0.999f, static_cast<float>(steps_));
  }
  const int per = slots_per_parameter();
  for (size_t i = 0; i < params.size(); ++i) {
    auto& grad = grads[i];
    if (clip_ > 0) {
      double norm = std::sqrt(grad.squared_norm());
      if (norm > clip_) grad.scale(static_cast<float>(clip_ / norm));
    }
    auto& value = params[i].value;
    nn::Matrix& first = slots_[i * per];
    nn::Matrix* second = adam_ ? &slots_[i * per + 1] : nullptr;
    if (grad.sparse_rows) {
      for (uint32_t r : grad.rows) {
        int row = static_cast<int>(r);
        update_row(value.row(row), grad.values.row(row), first.row(row),
                   second ? second->row(row) : nullptr, value.cols, bias1, bias2);
      }
    } else {
      update_row(value.data.data(), grad.values.data.data(), first.data.data(),
                 second ? second->data.data() : nullptr, static_cast<int>(value.size()), bias1,
                 bias2);
    }
  }
}

}  // namespace pocketrec
