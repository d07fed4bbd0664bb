#include "train/softmax_loss.hpp"

#include <cmath>

namespace pocketrec {

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
                             nn::Gradient* bias_grad) {
  const int batch = user.rows, items = table.rows - 1, dim = table.cols;
  score_items(user, table, bias, logits);
  double loss = 0;
  auto all = logits.map();
  for (int b = 0; b < batch; ++b) {
    auto row = all.row(b).array();
    float max = row.maxCoeff();
    row = (row - max).exp();
    float sum = row.sum();
    int target = static_cast<int>(targets[b]) - 1;
    loss += -std::log(std::max(row(target) / sum, 1e-30f));
    row *= scale / sum;
    row(target) -= scale;
  }
  if (user_grad.rows != batch || user_grad.cols != dim) user_grad.resize(batch, dim);
  auto labels = nn::map(table.row(1), items, dim);
  user_grad.map().noalias() = all * labels;
  nn::map(table_grad.values.row(1), items, dim).noalias() += all.transpose() * user.map();
  if (bias_grad) {
    nn::map(bias_grad->values.data.data() + 1, 1, items).row(0) += all.colwise().sum();
  }
  return loss;
}

}  // namespace pocketrec
