#pragma once
// Training on a sharded prepared dataset where each process holds only some shards
// (TrainConfig::shard_batches, `mpirun -np N pocketrec train --shard-batches`). Every batch holds
// `per_shard` examples of each of the S shards, in shard order, each shard's drawn from its own
// stream: its training units, reshuffled every pass (seeded by seed, epoch, shard and pass).
// A process holding shards [first, first + k) builds only their rows, and the batch's slices
// follow shard boundaries, so N ranks x T threads train exactly what one process holding every
// shard trains with N x T threads.
#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.hpp"
#include "data/dataset.hpp"
#include "data/split.hpp"
#include "eval/evaluator.hpp"
#include "eval/metrics.hpp"
#include "train/recipe.hpp"

namespace pocketrec {

class Collective;

class ShardStreams {
 public:
  ShardStreams(const Dataset& dataset, const std::vector<Position>& units, size_t batch_size,
               uint64_t seed, Collective* collective);

  size_t per_shard() const { return per_shard_; }
  size_t batch_rows() const { return per_shard_ * total_shards_; }
  size_t global_units() const { return global_units_; }
  size_t batches_per_epoch() const { return (global_units_ + batch_rows() - 1) / batch_rows(); }
  // The global row of this process's first row.
  size_t first_row() const { return first_shard_ * per_shard_; }
  size_t local_rows() const { return streams_.size() * per_shard_; }
  // This process's units of batch b of `epoch`, in row order.
  void batch_units(int epoch, size_t b, std::vector<Position>& out);
  // Global rows [begin, end) of slice `slice` of `slices`: slices follow shard boundaries (each
  // shard split into slices / S pieces, or slices of S / slices whole shards).
  std::pair<size_t, size_t> slice_rows(int slice, int slices) const;
  // Whether `slices` slices can follow the shards: one divides the other.
  bool fits(int slices) const;

 private:
  struct Stream {
    std::vector<Position> units, order;
    int epoch = -1;
    size_t pass = 0;
  };
  size_t total_shards_, first_shard_, per_shard_;
  size_t global_units_ = 0;
  uint64_t seed_;
  std::vector<Stream> streams_;
};

// Which of the dataset's local shards holds `timeline`.
size_t local_shard_of(const Dataset& dataset, uint32_t timeline);

// The metrics of `cases` over every process's shards: each shard's cases are evaluated in chunks
// of their own, and the chunks merge in shard order, whichever process holds them.
RankingMetrics evaluate_by_shard(const CaseScorer& scorer, const Dataset& dataset,
                                 std::span<const Position> cases, const EvalOptions& options,
                                 ThreadPool& pool, Collective* collective);

// The recipe's data profile and the training popularity over every process's shards.
DataProfile global_profile(const Dataset& dataset, const Split& split, Collective* collective);
std::vector<float> global_training_popularity(const Dataset& dataset, const Split& split,
                                              Collective* collective);

}  // namespace pocketrec
