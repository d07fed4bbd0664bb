#include "export/export_fixture.hpp"

#include "data/context_window.hpp"

namespace pocketrec::testing {

Ranked model_top_k(const DualEncoder& model, const std::vector<uint32_t>& history, int k) {
  const auto& config = model.config();
  std::vector<int32_t> context(config.context_length);
  fill_context(history, config.layout, context);
  EncoderWorkspace ws;
  model.encode(context.data(), 1, ws);
  const nn::Matrix& user = ws.user();
  const nn::Matrix& table = model.label_table();
  const nn::Matrix* bias = model.label_bias();
  std::vector<float> scores(config.items + 1);
  for (int j = 1; j <= config.items; ++j) {
    float s = bias ? bias->at(0, j) : 0.0f;
    for (int d = 0; d < user.cols; ++d) s += user.at(0, d) * table.at(j, d);
    scores[j] = s;
  }
  std::vector<uint32_t> order(config.items);
  std::iota(order.begin(), order.end(), 1u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
  Ranked r;
  for (int i = 0; i < k; ++i) {
    r.rows.push_back(order[i]);
    r.scores.push_back(scores[order[i]]);
  }
  return r;
}

}  // namespace pocketrec::testing
