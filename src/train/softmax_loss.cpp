#include "train/softmax_loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace pocketrec {

constexpr int kSoftmaxChunk = 64;

void score_items(const nn::Matrix& user, const nn::Matrix& table, const nn::Matrix* bias,
                 nn::Matrix& scores) {
  const int batch = user.rows, items = table.rows - 1, dim = table.cols;
  if (scores.rows != batch || scores.cols != items) scores.resize(batch, items);
  auto labels = nn::map(table.row(1), items, dim);
  scores.map().noalias() = user.map() * labels.transpose();
  if (bias) scores.map().rowwise() += nn::map(bias->data.data() + 1, 1, items).row(0);
}

double softmax_cross_entropy(const nn::Matrix& user, const uint32_t* targets,
                             const nn::Matrix& table, const nn::Matrix* bias, float scale,
                             nn::Matrix& logits, nn::Matrix& user_grad, nn::Gradient& table_grad,
                             nn::Gradient* bias_grad, const std::span<const uint32_t>* seen) {
  const int batch = user.rows, items = table.rows - 1, dim = table.cols;
  if (user_grad.rows != batch || user_grad.cols != dim) user_grad.resize(batch, dim);
  // Rows without a target (padded steps of causal windows) cost nothing: only the rows with one
  // are gathered and scored. Short-history logs are mostly padding at long L.
  std::vector<int> active;
  active.reserve(batch);
  for (int b = 0; b < batch; ++b) {
    if (targets[b] != 0) active.push_back(b);
  }
  if (static_cast<int>(active.size()) < batch) {
    std::fill(user_grad.data.begin(), user_grad.data.end(), 0.0f);
  }
  const int count = static_cast<int>(active.size());
  // The rows go through in chunks whose logits stay in L2 between the three products.
  const int chunk = std::max(1, std::min(count, kSoftmaxChunk));
  if (logits.rows != chunk || logits.cols != items) logits.resize(chunk, items);
  auto labels = nn::map(table.row(1), items, dim);
  auto table_grad_map = nn::map(table_grad.values.row(1), items, dim);
  const float* bias_row = bias ? bias->data.data() + 1 : nullptr;
  float* bias_grad_row = bias_grad ? bias_grad->values.data.data() + 1 : nullptr;
  nn::Matrix gathered(chunk, dim), gathered_grad(chunk, dim);
  double loss = 0;
  for (int first = 0; first < count; first += chunk) {
    const int rows = std::min(chunk, count - first);
    for (int r = 0; r < rows; ++r) {
      std::copy_n(user.row(active[first + r]), dim, gathered.row(r));
    }
    auto all = nn::map(logits.data.data(), rows, items);
    auto users = nn::map(gathered.data.data(), rows, dim);
    all.noalias() = users * labels.transpose();
    // One pass per row while it is hot in L1: bias, max, exp, normalise, and the bias gradient.
    for (int r = 0; r < rows; ++r) {
      auto row = all.row(r).array();
      if (bias_row) row += Eigen::Map<const Eigen::ArrayXf>(bias_row, items).transpose();
      int target = static_cast<int>(targets[active[first + r]]) - 1;
      if (seen) {
        // exp(-inf) = 0: a left-out item gets neither probability nor gradient.
        const float target_logit = row(target);
        for (uint32_t item : seen[active[first + r]]) {
          row(static_cast<int>(item) - 1) = -std::numeric_limits<float>::infinity();
        }
        row(target) = target_logit;
      }
      float max = row.maxCoeff();
      row = (row - max).exp();
      float sum = row.sum();
      loss += -std::log(std::max(row(target) / sum, 1e-30f));
      row *= scale / sum;
      row(target) -= scale;
      if (bias_grad_row) {
        Eigen::Map<Eigen::ArrayXf>(bias_grad_row, items) += row.transpose();
      }
    }
    nn::map(gathered_grad.data.data(), rows, dim).noalias() = all * labels;
    for (int r = 0; r < rows; ++r) {
      std::copy_n(gathered_grad.row(r), dim, user_grad.row(active[first + r]));
    }
    table_grad_map.noalias() += all.transpose() * users;
  }
  return loss;
}

}  // namespace pocketrec
