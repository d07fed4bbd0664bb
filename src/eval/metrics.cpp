#include "eval/metrics.hpp"

#include <cstring>

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

void RankingMetrics::write(std::vector<char>& out) const {
  auto put = [&out](const void* data, size_t bytes) {
    const char* c = static_cast<const char*>(data);
    out.insert(out.end(), c, c + bytes);
  };
  const uint64_t cases = cases_, items = recommended_.size();
  put(&cases, sizeof cases);
  put(hits_.data(), sizeof hits_);
  put(gains_.data(), sizeof gains_);
  put(&reciprocal_, sizeof reciprocal_);
  put(&items, sizeof items);
  put(recommended_.data(), recommended_.size());
}

RankingMetrics RankingMetrics::read(const std::vector<char>& in, size_t& at) {
  auto take = [&](void* data, size_t bytes) {
    if (at + bytes > in.size()) throw Error("metrics: a truncated message");
    std::memcpy(data, in.data() + at, bytes);
    at += bytes;
  };
  RankingMetrics m;
  uint64_t cases = 0, items = 0;
  take(&cases, sizeof cases);
  take(m.hits_.data(), sizeof m.hits_);
  take(m.gains_.data(), sizeof m.gains_);
  take(&m.reciprocal_, sizeof m.reciprocal_);
  take(&items, sizeof items);
  if (items > in.size()) throw Error("metrics: a truncated message");
  m.recommended_.resize(items);
  take(m.recommended_.data(), items);
  m.cases_ = cases;
  return m;
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
