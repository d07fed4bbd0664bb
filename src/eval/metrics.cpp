#include "eval/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace pocketrec {

double ndcg_at(size_t rank, int k) {
  return rank < static_cast<size_t>(k) ? 1.0 / std::log2(static_cast<double>(rank) + 2.0) : 0.0;
}

RankingMetrics::RankingMetrics(size_t catalog_size) : recommended_(catalog_size + 1, 0) {}

void RankingMetrics::add(size_t rank, std::span<const uint32_t> top_items) {
  ++cases_;
  for (size_t i = 0; i < kCutoffs.size(); ++i) {
    if (rank < static_cast<size_t>(kCutoffs[i])) hits_[i] += 1;
    gains_[i] += ndcg_at(rank, kCutoffs[i]);
  }
  reciprocal_ += 1.0 / (static_cast<double>(rank) + 1.0);
  for (uint32_t item : top_items) {
    if (item < recommended_.size()) recommended_[item] = 1;
  }
}

void RankingMetrics::merge(const RankingMetrics& other) {
  cases_ += other.cases_;
  for (size_t i = 0; i < kCutoffs.size(); ++i) {
    hits_[i] += other.hits_[i];
    gains_[i] += other.gains_[i];
  }
  reciprocal_ += other.reciprocal_;
  if (recommended_.size() < other.recommended_.size()) {
    recommended_.resize(other.recommended_.size(), 0);
  }
  for (size_t i = 0; i < other.recommended_.size(); ++i) recommended_[i] |= other.recommended_[i];
}

static size_t cutoff_index(int k) {
  for (size_t i = 0; i < kCutoffs.size(); ++i) {
    if (kCutoffs[i] == k) return i;
  }
  throw Error("metrics: K = " + std::to_string(k) + " is not computed (use 1, 5, 10 or 20)");
}

double RankingMetrics::hit_rate(int k) const {
  return cases_ ? hits_[cutoff_index(k)] / cases_ : 0.0;
}

double RankingMetrics::ndcg(int k) const {
  return cases_ ? gains_[cutoff_index(k)] / cases_ : 0.0;
}

double RankingMetrics::coverage() const {
  if (recommended_.size() <= 1) return 0.0;
  size_t covered = 0;
  for (size_t i = 1; i < recommended_.size(); ++i) covered += recommended_[i];
  return static_cast<double>(covered) / static_cast<double>(recommended_.size() - 1);
}

nlohmann::json RankingMetrics::to_json() const {
  nlohmann::json json = {{"cases", cases_}, {"mrr", mrr()}, {"coverage@10", coverage()}};
  for (int k : kCutoffs) {
    json["hr@" + std::to_string(k)] = hit_rate(k);
    json["ndcg@" + std::to_string(k)] = ndcg(k);
  }
  return json;
}

std::string RankingMetrics::table(const std::string& title) const {
  std::string text = title + " (" + std::to_string(cases_) + " cases)\n";
  char line[160];
  std::snprintf(line, sizeof line, "  %-6s %8s %8s\n", "K", "HR@K", "NDCG@K");
  text += line;
  for (int k : kCutoffs) {
    std::snprintf(line, sizeof line, "  %-6d %8.4f %8.4f\n", k, hit_rate(k), ndcg(k));
    text += line;
  }
  std::snprintf(line, sizeof line, "  MRR %.4f   coverage@10 %.4f\n", mrr(), coverage());
  text += line;
  return text;
}

}  // namespace pocketrec
