#pragma once
// Mini-batch training, data-parallel over threads: each thread runs forward and backward on a fixed
// slice of the batch with its own workspace and gradients, which are then summed in thread order,
// so a seed and a thread count fix the result. Validates after every epoch, keeps the best model
// (validation NDCG@10), stops early, writes a checkpoint atomically after every epoch and on
// interrupt, and resumes from one exactly. Across processes (a Collective), each rank takes its
// slices of every batch and the slices meet in the same order, so N ranks x T threads give the
// model of one process with N x T threads.
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "model/dual_encoder.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

class Collective;

struct TrainOptions {
  std::string model_out;   // best model so far (empty: not written)
  std::string checkpoint;  // resumable state (empty: not written)
  bool resume = false;
  bool progress = true;
  // Stop (as if interrupted, saving the checkpoint) after this many batches in this run; 0 = no
  // limit. For speed measurements and resume tests.
  size_t max_batches = 0;
  // Training across processes: every rank holds the data and the model, computes its slices, and
  // rank 0 alone writes files. Null: this process alone.
  Collective* collective = nullptr;
};

struct EpochReport {
  int epoch = 0;
  double loss = 0;
  double seconds = 0;
  double examples_per_second = 0;
  double valid_hr10 = 0;
  double valid_ndcg10 = 0;
};

struct TrainResult {
  std::vector<EpochReport> epochs;
  int best_epoch = 0;
  double best_ndcg10 = -1;
  bool interrupted = false;
  bool early_stopped = false;
  bool out_of_time = false;    // --max-minutes ran out (the last epoch may be partial)
  float lr_scale = 1.0f;       // the decay on plateau reached (1 = the configured rate)
  int schedule_epochs = 0;     // the planned schedule's length (0 = none)
  bool schedule_done = false;  // training ended where the schedule did
  // Across processes: bytes this rank sent, and its seconds in the transport.
  size_t bytes_sent = 0;
  double transport_seconds = 0;
  size_t steps = 0;
  // Every batch this run trained: how many, their targets and their seconds (for speed figures
  // of runs stopped by max_batches).
  size_t batches = 0;
  size_t batch_targets = 0;
  double batch_seconds = 0;
};

class Trainer {
 public:
  Trainer(DualEncoder& model, const Dataset& dataset, const Split& split, TrainConfig config);
  TrainResult run(const TrainOptions& options);
  // How many epochs a --max-minutes budget holds, planned after `epochs_run` epochs took
  // `elapsed` seconds (ending with epoch `epoch`).
  int plan_schedule(int epoch, int epochs_run, double elapsed) const;

 private:
  DualEncoder& model_;
  const Dataset& dataset_;
  const Split& split_;
  TrainConfig config_;
};

}  // namespace pocketrec
