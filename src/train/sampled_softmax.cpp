#include "train/sampled_softmax.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace pocketrec {

NegativeSampler::NegativeSampler(std::span<const float> counts, double power) {
  if (counts.size() < 2) throw Error("sampled softmax needs at least one item");
  double smallest = 0.0;
  for (size_t j = 1; j < counts.size(); ++j) {
    if (counts[j] > 0 && (smallest == 0.0 || counts[j] < smallest)) smallest = counts[j];
  }
  if (smallest == 0.0) smallest = 1.0;
  probability_.assign(counts.size(), 0.0);
  double total = 0.0;
  for (size_t j = 1; j < counts.size(); ++j) {
    probability_[j] = std::pow(std::max<double>(counts[j], smallest), power);
    total += probability_[j];
  }
  cumulative_.resize(counts.size() - 1);
  double running = 0.0;
  for (size_t j = 1; j < counts.size(); ++j) {
    probability_[j] /= total;
    running += probability_[j];
    cumulative_[j - 1] = running;
  }
}

void NegativeSampler::sample(std::mt19937_64& rng, int n, std::vector<uint32_t>& out) const {
  std::uniform_real_distribution<double> uniform(0.0, cumulative_.back());
  out.resize(static_cast<size_t>(n));
  for (auto& item : out) {
    size_t i = std::upper_bound(cumulative_.begin(), cumulative_.end(), uniform(rng)) -
               cumulative_.begin();
    item = static_cast<uint32_t>(std::min(i, cumulative_.size() - 1) + 1);
  }
}

double sampled_softmax_cross_entropy(const nn::Matrix& user, const uint32_t* targets,
                                     const nn::Matrix& table, const nn::Matrix* bias,
                                     std::span<const uint32_t> negatives,
                                     std::span<const float> correction, float scale,
                                     nn::Matrix& logits, nn::Matrix& user_grad,
                                     nn::Gradient& table_grad, nn::Gradient* bias_grad) {
  const int batch = user.rows, dim = table.cols;
  const int samples = static_cast<int>(negatives.size());
  nn::Matrix rows(samples, dim);  // the negatives' label vectors
  for (int s = 0; s < samples; ++s) {
    std::copy(table.row(negatives[s]), table.row(negatives[s]) + dim, rows.row(s));
  }
  auto corrected = [&](uint32_t item) {
    return (bias ? bias->at(0, item) : 0.0f) - (correction.empty() ? 0.0f : correction[item]);
  };
  // Column 0 is the target, columns 1..S the shared negatives.
  logits.resize(batch, samples + 1);
  auto all = logits.map();
  all.rightCols(samples).noalias() = user.map() * rows.map().transpose();
  if (user_grad.rows != batch || user_grad.cols != dim) user_grad.resize(batch, dim);
  double loss = 0;
  for (int b = 0; b < batch; ++b) {
    auto row = all.row(b).array();
    const uint32_t target = targets[b];
    if (target == 0) {
      row.setZero();
      continue;
    }
    float dot = 0.0f;
    for (int d = 0; d < dim; ++d) dot += user.at(b, d) * table.at(target, d);
    row(0) = dot + corrected(target);
    for (int s = 0; s < samples; ++s) {
      // An accidental hit of the target gets no weight.
      row(s + 1) = negatives[s] == target ? -INFINITY : row(s + 1) + corrected(negatives[s]);
    }
    const float max = row.maxCoeff();
    row = (row - max).exp();
    const float sum = row.sum();
    loss += -std::log(std::max(row(0) / sum, 1e-30f));
    row *= scale / sum;
    row(0) -= scale;
  }
  // d user = g_target * w_target + G_negatives * W_negatives.
  user_grad.map().noalias() = all.rightCols(samples) * rows.map();
  for (int b = 0; b < batch; ++b) {
    const uint32_t target = targets[b];
    if (target == 0) continue;
    const float g = all(b, 0);
    float* ug = user_grad.row(b);
    float* tg = table_grad.values.row(target);
    for (int d = 0; d < dim; ++d) {
      ug[d] += g * table.at(target, d);
      tg[d] += g * user.at(b, d);
    }
    table_grad.mark(target);
    if (bias_grad) bias_grad->values.at(0, target) += g;
  }
  nn::Matrix negative_grads(samples, dim);
  negative_grads.map().noalias() = all.rightCols(samples).transpose() * user.map();
  for (int s = 0; s < samples; ++s) {
    float* tg = table_grad.values.row(negatives[s]);
    for (int d = 0; d < dim; ++d) tg[d] += negative_grads.at(s, d);
    table_grad.mark(negatives[s]);
    if (bias_grad) bias_grad->values.at(0, negatives[s]) += all.col(s + 1).sum();
  }
  return loss;
}

}  // namespace pocketrec
