#include "train/shard_streams.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "core/error.hpp"
#include "eval/baselines.hpp"
#include "train/collective.hpp"

namespace pocketrec {
namespace {

template <typename T>
void append_values(std::vector<char>& out, const std::vector<T>& values) {
  const auto* bytes = reinterpret_cast<const char*>(values.data());
  out.insert(out.end(), bytes, bytes + values.size() * sizeof(T));
}

template <typename T>
std::vector<T> values_of(const std::vector<char>& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

// Every rank's bytes in rank order (this process's alone without a transport).
std::vector<std::vector<char>> gather(Collective* collective, std::vector<char> mine) {
  std::vector<std::vector<char>> all;
  if (collective && collective->size() > 1) {
    collective->gather_all(mine, all);
  } else {
    all.push_back(std::move(mine));
  }
  return all;
}

uint64_t stream_seed(uint64_t seed, int epoch, size_t shard, size_t pass) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull;
  for (uint64_t part :
       {static_cast<uint64_t>(epoch), static_cast<uint64_t>(shard), static_cast<uint64_t>(pass)}) {
    x ^= part + 0x9E3779B97F4A7C15ull + (x << 6) + (x >> 2);
  }
  return x;
}

}  // namespace

size_t local_shard_of(const Dataset& dataset, uint32_t timeline) {
  const auto& ends = dataset.shard_ends;
  return static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), timeline) - ends.begin());
}

ShardStreams::ShardStreams(const Dataset& dataset, const std::vector<Position>& units,
                           size_t batch_size, uint64_t seed, Collective* collective)
    : total_shards_(dataset.total_shards),
      first_shard_(dataset.first_shard),
      per_shard_(0),
      seed_(seed) {
  if (total_shards_ == 0) {
    throw Error("--shard-batches needs a sharded prepared dataset (prepare --shards N --out DIR)");
  }
  per_shard_ = std::max<size_t>(1, (batch_size + total_shards_ - 1) / total_shards_);
  streams_.resize(dataset.shard_ends.size());
  for (const auto& unit : units)
    streams_[local_shard_of(dataset, unit.timeline)].units.push_back(unit);
  double local = 0;
  for (size_t k = 0; k < streams_.size(); ++k) {
    if (streams_[k].units.empty()) {
      throw Error("shard " + std::to_string(first_shard_ + k) +
                  " has no training examples: prepare with fewer shards");
    }
    local += static_cast<double>(streams_[k].units.size());
  }
  // Integer counts add up exactly in a double in any order.
  global_units_ =
      static_cast<size_t>(collective && collective->size() > 1 ? collective->sum(local) : local);
}

void ShardStreams::batch_units(int epoch, size_t b, std::vector<Position>& out) {
  out.clear();
  for (size_t k = 0; k < streams_.size(); ++k) {
    auto& stream = streams_[k];
    const size_t n = stream.units.size();
    for (size_t j = 0; j < per_shard_; ++j) {
      const size_t i = b * per_shard_ + j, pass = i / n;
      if (stream.epoch != epoch || stream.pass != pass) {
        stream.order = stream.units;
        std::mt19937_64 rng(stream_seed(seed_, epoch, first_shard_ + k, pass));
        std::shuffle(stream.order.begin(), stream.order.end(), rng);
        stream.epoch = epoch;
        stream.pass = pass;
      }
      out.push_back(stream.order[i % n]);
    }
  }
}

bool ShardStreams::fits(int slices) const {
  const auto j = static_cast<size_t>(slices);
  return j % total_shards_ == 0 || total_shards_ % j == 0;
}

std::pair<size_t, size_t> ShardStreams::slice_rows(int slice, int slices) const {
  const auto g = static_cast<size_t>(slice), j = static_cast<size_t>(slices);
  if (j >= total_shards_) {
    const size_t pieces = j / total_shards_, shard = g / pieces, piece = g % pieces;
    const size_t size = (per_shard_ + pieces - 1) / pieces;
    const size_t begin = std::min(shard * per_shard_ + piece * size, (shard + 1) * per_shard_);
    return {begin, std::min(begin + size, (shard + 1) * per_shard_)};
  }
  const size_t shards = total_shards_ / j;
  return {g * shards * per_shard_, (g + 1) * shards * per_shard_};
}

RankingMetrics evaluate_by_shard(const CaseScorer& scorer, const Dataset& dataset,
                                 std::span<const Position> cases, const EvalOptions& options,
                                 ThreadPool& pool, Collective* collective) {
  std::vector<std::vector<Position>> by_shard(dataset.shard_ends.size());
  for (const auto& c : cases) by_shard[local_shard_of(dataset, c.timeline)].push_back(c);
  std::vector<char> mine;
  for (const auto& shard_cases : by_shard) {
    for (const auto& chunk : evaluate_chunks(scorer, dataset, shard_cases, options, pool, 0, 1)) {
      chunk.write(mine);
    }
  }
  RankingMetrics total(dataset.catalog.size());
  for (const auto& bytes : gather(collective, std::move(mine))) {
    size_t at = 0;
    while (at < bytes.size()) total.merge(RankingMetrics::read(bytes, at));
  }
  return total;
}

DataProfile global_profile(const Dataset& dataset, const Split& split, Collective* collective) {
  std::vector<char> mine;
  append_values(mine, training_history_lengths(split));
  std::vector<double> lengths;
  for (const auto& bytes : gather(collective, std::move(mine))) {
    auto part = values_of<double>(bytes);
    lengths.insert(lengths.end(), part.begin(), part.end());
  }
  double targets = static_cast<double>(split.train.size());
  if (collective && collective->size() > 1) targets = collective->sum(targets);
  return profile_from_lengths(lengths, dataset.catalog.size(), static_cast<size_t>(targets));
}

std::vector<float> global_training_popularity(const Dataset& dataset, const Split& split,
                                              Collective* collective) {
  std::vector<char> mine;
  append_values(mine, training_popularity(dataset, split));
  std::vector<float> total;
  for (const auto& bytes : gather(collective, std::move(mine))) {
    auto part = values_of<float>(bytes);
    if (total.empty()) total.assign(part.size(), 0.0f);
    for (size_t j = 0; j < part.size() && j < total.size(); ++j) total[j] += part[j];
  }
  return total;
}

}  // namespace pocketrec
