#pragma once
// Options and helpers shared by the subcommands.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "data/dataset_source.hpp"
#include "data/split.hpp"
#include "model/model_config.hpp"
#include "pocketrec/recommender.hpp"
#include "train/recipe.hpp"

namespace pocketrec {
class Collective;
}

namespace pocketrec::cli {

struct DataArgs {
  std::string path;
  std::string format = "auto";
  bool strict = false;
  std::string columns;    // empty: detected
  std::string delimiter;  // empty: detected
  bool header = false, no_header = false;
  double min_rating = -1e30;
  size_t min_item_count = 1;
  size_t min_length = 3;
  PreparedPart part;  // a sharded prepared dataset: the shards this process reads

  // `required` adds --data as a required option; otherwise the caller binds `path` itself.
  void add_options(CLI::App& command, bool required = true);
  LoadOptions load_options() const;
};

// Reads the dataset and prints what was read and skipped to stderr.
Dataset load_dataset_reporting(const DataArgs& args);

struct ModelArgs {
  std::string preset = "default";
  std::optional<EncoderKind> default_encoder;  // when --encoder is absent (none: the preset's)
  CLI::Option* encoder = nullptr;
  CLI::Option* rnn_units = nullptr;
  CLI::Option* conv_kernel = nullptr;
  CLI::Option* conv_ratios = nullptr;
  CLI::Option* dim = nullptr;
  CLI::Option* embedding_dim = nullptr;
  CLI::Option* hidden = nullptr;
  CLI::Option* context_length = nullptr;
  CLI::Option* layout = nullptr;
  CLI::Option* final_relu = nullptr;
  CLI::Option* tie = nullptr;
  CLI::Option* no_tie = nullptr;
  CLI::Option* no_bias = nullptr;
  CLI::Option* optimizer = nullptr;
  CLI::Option* lr = nullptr;
  CLI::Option* clip = nullptr;
  CLI::Option* batch = nullptr;
  CLI::Option* epochs = nullptr;
  CLI::Option* patience = nullptr;
  CLI::Option* threads = nullptr;
  CLI::Option* seed = nullptr;
  CLI::Option* split = nullptr;
  CLI::Option* causal = nullptr;
  CLI::Option* shift_windows = nullptr;
  CLI::Option* exclude_seen = nullptr;
  CLI::Option* keep_seen = nullptr;
  CLI::Option* shard_batches = nullptr;
  CLI::Option* loss = nullptr;
  CLI::Option* negatives = nullptr;
  // Attention encoder and regularization.
  CLI::Option* blocks = nullptr;
  CLI::Option* heads = nullptr;
  CLI::Option* ffn_dim = nullptr;
  CLI::Option* activation = nullptr;
  CLI::Option* dropout = nullptr;
  CLI::Option* embedding_dropout = nullptr;
  CLI::Option* attention_dropout = nullptr;
  CLI::Option* residual_dropout = nullptr;
  CLI::Option* weight_decay = nullptr;
  CLI::Option* warmup = nullptr;
  CLI::Option* max_minutes = nullptr;
  CLI::Option* schedule_epochs = nullptr;
  CLI::Option* no_cooldown = nullptr;
  CLI::Option* lr_decay_patience = nullptr;
  CLI::Option* lr_decay_factor = nullptr;
  float weight_decay_value = 0, lr_decay_factor_value = 0;
  int warmup_value = 0, lr_decay_patience_value = 0, schedule_epochs_value = 0;
  bool no_cooldown_value = false;
  double max_minutes_value = 0;
  int blocks_value = 0, heads_value = 0, ffn_dim_value = 0;
  std::string activation_value;
  float dropout_value = 0, embedding_dropout_value = 0, attention_dropout_value = 0,
        residual_dropout_value = 0;

  std::string encoder_value;
  int rnn_units_value = 0, conv_kernel_value = 0;
  std::string conv_ratios_value;
  int dim_value = 0, embedding_dim_value = 0, context_length_value = 0;
  std::string hidden_value, layout_value, optimizer_value, split_value;
  float lr_value = 0, clip_value = 0;
  int batch_value = 0, epochs_value = 0, patience_value = 0, threads_value = 0;
  uint64_t seed_value = 0;
  bool causal_value = false, shift_windows_value = false, exclude_seen_value = false,
       keep_seen_value = false, shard_batches_value = false;
  std::string loss_value;
  int negatives_value = 0;
  std::string features_value, input_config_value;
  bool final_relu_value = false, tie_value = false, no_tie_value = false, no_bias_value = false;

  void add_options(CLI::App& command);
  // The preset, then every flag the user gave on top of it.
  void resolve(ModelConfig& model, TrainConfig& train) const;
  // The recipe's data-dependent choices (attention: L, dropout, batch) for every option the user
  // left unset; prints what it chose to stderr.
  // `profile`: the data's profile when the dataset here is only part of it (--shard-batches).
  void adapt_to_data(const Dataset& dataset, const Split& data_split, ModelConfig& model,
                     TrainConfig& train, const DataProfile* profile = nullptr) const;
  // The first option given that shapes the model (layers, widths, L, features), or empty:
  // `train --init` keeps the model it starts from.
  std::string architecture_option() const;
  // True when a dropout rate was given (the one model setting `train --init` may change).
  bool dropout_given() const;
};

std::vector<int> parse_int_list(const std::string& text, const std::string& what);

// The transport when mpirun started this process as one of several ranks (main sets it), else
// null: then `train` runs across the ranks.
Collective* training_collective();
void set_training_collective(std::unique_ptr<Collective> collective);

// True for a TFLite FlatBuffer (identifier "TFL3" at byte 4), false for a .pkrec model; any
// other path (missing, a folder, too short, neither format) is an Error naming it.
bool is_tflite_file(const std::string& path);

// The Android sample's sorted_movie_vocab.json: [{"id", "title", "genres", "count"}].
std::vector<Item> read_movie_vocab(const std::string& path);

// The runtime for a model file: a .tflite as it is, a .pkrec exported in memory first (int8
// tables with `int8`).
std::shared_ptr<const Recommender> load_recommender(const std::string& path, bool int8,
                                                    const ModelLoadOptions& options);

}  // namespace pocketrec::cli
