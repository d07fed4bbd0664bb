#pragma once
// Full-ranking metrics with one target per case: HR@K (= Recall@K), NDCG@K, MRR and catalog
// coverage of the top-K lists. A rank is 0-based: the number of candidates placed above the target
// (ties count against the target, so a constant model scores nothing).
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

namespace pocketrec {

inline constexpr std::array<int, 4> kCutoffs = {1, 5, 10, 20};
inline constexpr int kCoverageK = 10;

double ndcg_at(size_t rank, int k);

class RankingMetrics {
 public:
  explicit RankingMetrics(size_t catalog_size = 0);
  // top_items: the case's top-kCoverageK item indices (1..N), for coverage.
  void add(size_t rank, std::span<const uint32_t> top_items);
  void merge(const RankingMetrics& other);

  size_t cases() const { return cases_; }
  double hit_rate(int k) const;
  double ndcg(int k) const;
  double mrr() const { return cases_ ? reciprocal_ / cases_ : 0.0; }
  double coverage() const;

  nlohmann::json to_json() const;
  // As bytes, exactly (for evaluation split across processes): appended to `out`; read back from
  // `in` at `at`, which moves past them.
  void write(std::vector<char>& out) const;
  static RankingMetrics read(const std::vector<char>& in, size_t& at);
  std::string table(const std::string& title) const;

 private:
  size_t cases_ = 0;
  std::array<double, kCutoffs.size()> hits_{};
  std::array<double, kCutoffs.size()> gains_{};
  double reciprocal_ = 0;
  std::vector<uint8_t> recommended_;  // by item index
};

}  // namespace pocketrec
