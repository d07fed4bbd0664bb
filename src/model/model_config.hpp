#pragma once
// What a dual encoder looks like, and how it is trained. Both travel inside model files as JSON.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "data/context_window.hpp"
#include "model/attention_encoder.hpp"
#include "model/choices.hpp"
#include "model/feature_config.hpp"

namespace pocketrec {

struct ModelConfig {
  EncoderKind encoder = EncoderKind::kBow;
  int rnn_units = 64;                     // GRU/LSTM state size
  int conv_kernel = 4;                    // CNN kernel = stride, as in the reference
  std::vector<int> conv_ratios = {2, 4};  // one Conv1D layer per ratio, embedding_dim * r filters
  AttentionSettings attention;            // blocks, heads, feed-forward, dropout rates
  int items = 0;                          // N; tables have N + 1 rows, row 0 being padding
  int context_length = 5;  // measured best for BOW on ml-1m-sasrec (docs/BENCHMARKS.md)
  HistoryLayout layout = HistoryLayout::kNewestLast;
  int embedding_dim = 32;
  std::vector<int> hidden;  // Dense + ReLU layers after pooling
  int output_dim = 32;      // D; 0 = no projection, the last hidden (or pooled) vector is used
  bool final_relu = false;  // the reference applies ReLU to the context vector
  bool tie_embeddings = false;
  bool label_bias = true;
  InitKind init = InitKind::kNormal;  // stddev 1/sqrt(dim)
  // Side features. Empty: the item ids alone, one group (encoder, embedding_dim, context_length).
  // Otherwise the item id feature's group, dim and length must agree with those three fields.
  FeatureConfig features;

  // The activity groups as the encoder sees them (one item-id group when `features` is empty).
  std::vector<FeatureGroupSpec> activity_groups() const;
  int group_encoder_dim(const FeatureGroupSpec& group) const;
  int encoder_dim() const;  // width of the concatenated context vector, before the hidden layers
  int user_dim() const;
  bool has_features() const { return !features.empty(); }
  void validate() const;
};

struct TrainConfig {
  OptimizerKind optimizer = OptimizerKind::kAdam;
  float learning_rate = 0.001f;
  float clip_norm = 0.0f;  // per-variable gradient-norm clip; 0 = off
  // Decoupled weight decay (AdamW; with Adagrad the same shrink step): each step multiplies
  // weight matrices and tables by (1 - lr * weight_decay). Biases and LayerNorm gains are exempt.
  float weight_decay = 0.0f;
  int warmup_steps = 0;  // the learning rate rises linearly over this many first steps
  // Decay on plateau: the learning rate is multiplied by lr_decay_factor after every
  // lr_decay_patience epochs without validation gain (0 = constant rate).
  int lr_decay_patience = 0;
  float lr_decay_factor = 0.5f;
  double max_minutes = 0;  // wall-clock budget for training; 0 = none
  // A planned end: the learning rate falls linearly to zero over the last kCooldownShare of
  // schedule_epochs epochs, and training ends there, whatever the patience. 0 = none, unless a
  // --max-minutes budget is set and cooldown is on: then the trainer plans it from the pace of
  // the first epochs.
  int schedule_epochs = 0;
  bool cooldown = true;
  static constexpr double kCooldownShare = 0.3;
  float adagrad_initial = 0.1f;
  int batch_size = 256;
  // Early stopping decides when training ends; the cap only guards against a run that never
  // stops gaining.
  int epochs = 1000;
  int patience = 3;  // epochs without validation NDCG@10 improvement before stopping
  int threads = 0;   // 0 = all cores
  // Each training thread holds a copy of the gradients; thousands would exhaust memory and
  // processes long before they sped anything up.
  static constexpr int kMaxThreads = 256;
  uint64_t seed = 1;
  std::string split = "leave-one-out";
  // Recurrent encoders only: train on whole windows of L items, predicting the next item at every
  // step in one pass (as GRU4Rec and SASRec do), instead of one target per window.
  bool causal = false;
  // Causal training: move the older windows of each timeline by a random shift every epoch
  // (train/batcher.hpp, shifted_causal_windows), so their targets see varying contexts.
  bool shift_windows = false;
  // Full softmax: leave the items a user already has out of each target's softmax, as
  // evaluation and the seen-items filter leave them out of the ranking.
  bool exclude_seen = false;
  // "full": softmax over the whole catalog; "sampled": over the target and `negatives` items shared
  // by the batch, drawn by popularity^0.75 with the logQ correction (for large catalogs).
  LossKind loss = LossKind::kFull;
  int negatives = 1024;
  // Data read from S shards: every batch takes an equal share from each shard's own shuffled
  // stream, so under MPI each rank needs only its shards (train/shard_streams.hpp).
  bool shard_batches = false;

  void validate() const;
};

// Named presets: "default" (the most accurate found by measurement, see docs) and "reference"
// (the TFLite example's model and training, for comparison).
void apply_preset(const std::string& name, ModelConfig& model, TrainConfig& train);

void to_json(nlohmann::json& json, const ModelConfig& config);
void from_json(const nlohmann::json& json, ModelConfig& config);
void to_json(nlohmann::json& json, const TrainConfig& config);
void from_json(const nlohmann::json& json, TrainConfig& config);

}  // namespace pocketrec
