#include "cli/cli_common.hpp"

#include "train/collective.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "export/tflite_export.hpp"
#include "model/input_config.hpp"
#include "model/model_file.hpp"
#include "serve/movie_vocab.hpp"
#include "train/recipe.hpp"

namespace pocketrec::cli {

namespace {

// The attention encoder's fixed defaults (docs/TRIED.md): SASRec's width, and patience for
// a validation curve that still gains after flat stretches (ml-100k: patience 5 stopped at epoch
// 13-20, test HR@10 0.14-0.16; 15 ran to epoch 40-55, 0.19-0.20).
constexpr int kAttentionWidth = 64;
constexpr int kAttentionPatience = 15;
constexpr int kAttentionWarmup = 100;

}  // namespace

void DataArgs::add_options(CLI::App& command, bool required) {
  if (required) {
    command
        .add_option("--data", path,
                    "Dataset folder or file (MovieLens, sequence, CSV/TSV, prepared)")
        ->required();
  }
  command.add_option("--format", format, "Force a layout: " + join(known_formats(), ", "))
      ->capture_default_str();
  command.add_flag("--strict", strict, "Stop at the first malformed line instead of skipping it");
  command.add_option("--columns", columns,
                     "CSV/TSV columns, 1-based numbers or header names, e.g. "
                     "user=1,item=2,time=4,rating=3 (default: detected from the header or line 1)");
  command.add_option("--delimiter", delimiter,
                     "CSV/TSV delimiter, a character or 'tab' (default: detected)");
  command.add_flag("--header", header, "CSV/TSV: line 1 is a header (default: detected)");
  command.add_flag("--no-header", no_header, "CSV/TSV: line 1 is data (default: detected)");
  command.add_option("--min-rating", min_rating, "Drop interactions rated below this");
  command.add_option("--min-item-count", min_item_count, "Drop items with fewer interactions")
      ->capture_default_str();
  command.add_option("--min-length", min_length, "Drop users with fewer interactions")
      ->capture_default_str();
}

LoadOptions DataArgs::load_options() const {
  LoadOptions options;
  options.format = format;
  options.strict = strict;
  if (!columns.empty()) options.columns = parse_column_spec(columns);
  if (delimiter == "tab" || delimiter == "\\t") {
    options.columns.delimiter = '\t';
  } else if (delimiter.size() == 1 && delimiter[0] != '"' && delimiter[0] != '\n' &&
             delimiter[0] != '\r') {
    options.columns.delimiter = delimiter[0];
  } else if (!delimiter.empty()) {
    throw Error("--delimiter must be one character (not a quote or line break) or 'tab'");
  }
  if (header && no_header) throw Error("--header and --no-header contradict each other");
  if (header) options.columns.header = ColumnSpec::Header::kPresent;
  if (no_header) options.columns.header = ColumnSpec::Header::kAbsent;
  options.part = part;
  options.filters.min_rating = min_rating;
  options.filters.min_item_count = min_item_count;
  options.filters.min_timeline = min_length;
  return options;
}

Dataset load_dataset_reporting(const DataArgs& args) {
  auto dataset = load_dataset(args.path, args.load_options());
  std::fprintf(stderr, "%s\n%s\n", dataset.summary().c_str(), dataset.report.summary().c_str());
  return dataset;
}

std::vector<int> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int> values;
  if (trim(text).empty() || text == "none") return values;
  for (auto part : split(text, ",")) {
    auto value = parse_int(part);
    if (!value || *value < 1)
      throw Error(what + ": '" + text + "' is not a list of positive integers");
    values.push_back(static_cast<int>(*value));
  }
  return values;
}

void ModelArgs::add_options(CLI::App& command) {
  command
      .add_option("--preset", preset,
                  "default (most accurate measured) or reference (TFLite example)")
      ->capture_default_str();
  encoder = command.add_option("--encoder", encoder_value,
                               "Context encoder: bow, cnn, gru, lstm or attention (self-attention, "
                               "trained causally)");
  rnn_units = command.add_option("--rnn-units", rnn_units_value, "GRU/LSTM state size");
  conv_kernel = command.add_option("--conv-kernel", conv_kernel_value, "CNN kernel size = stride");
  conv_ratios = command.add_option("--conv-filter-ratios", conv_ratios_value,
                                   "CNN layers as filter ratios of the embedding dim, e.g. 2,4");
  dim = command.add_option("--dim", dim_value,
                           "Output (user/label vector) dimension D; 0 = no projection");
  embedding_dim =
      command.add_option("--embedding-dim", embedding_dim_value, "Context embedding dimension");
  hidden = command.add_option("--hidden", hidden_value,
                              "Dense+ReLU layers after pooling, e.g. 32,32 (or none)");
  context_length =
      command.add_option("--context-length,-L", context_length_value, "History length L");
  layout =
      command.add_option("--layout", layout_value, "History layout: newest-last or oldest-first");
  final_relu = command.add_flag("--final-relu", final_relu_value,
                                std::string("ReLU on the context vector (the reference does)"));
  tie = command.add_flag("--tie", tie_value,
                         std::string("Share one table between context and label embeddings"));
  no_tie = command.add_flag("--no-tie", no_tie_value,
                            std::string("Separate context and label tables (attention ties them "
                                        "by default)"));
  no_bias = command.add_flag("--no-bias", no_bias_value, std::string("No per-item score bias"));
  optimizer = command.add_option("--optimizer", optimizer_value, "adam or adagrad");
  lr = command.add_option("--lr", lr_value, "Learning rate");
  clip = command.add_option("--clip", clip_value, "Per-variable gradient-norm clip (0 = off)");
  batch = command.add_option("--batch", batch_value, "Batch size");
  epochs = command.add_option("--epochs", epochs_value,
                              "Maximum epochs (default 1000: early stopping ends training)");
  weight_decay = command.add_option("--weight-decay", weight_decay_value,
                                    "Decoupled weight decay (AdamW) of weights and tables");
  warmup = command.add_option("--warmup", warmup_value,
                              "Steps over which the learning rate rises linearly from 0");
  lr_decay_patience = command.add_option(
      "--lr-decay-patience", lr_decay_patience_value,
      "Multiply the learning rate by --lr-decay-factor after this many epochs without "
      "validation gain (0 = constant rate)");
  lr_decay_factor = command.add_option("--lr-decay-factor", lr_decay_factor_value,
                                       "Learning-rate decay on plateau (default 0.5)");
  max_minutes = command.add_option("--max-minutes", max_minutes_value,
                                   "Wall-clock budget: stop (keeping the best epoch) after this "
                                   "many minutes; the learning rate cools down to zero over "
                                   "the budget's last 30%");
  schedule_epochs = command.add_option(
      "--schedule-epochs", schedule_epochs_value,
      "Train this many epochs, the learning rate falling linearly to zero over the last 30% "
      "(default: none, or planned from --max-minutes)");
  no_cooldown = command.add_flag("--no-cooldown", no_cooldown_value,
                                 "Keep the learning rate constant to the end of a "
                                 "--max-minutes budget");
  patience = command.add_option("--patience", patience_value,
                                "Epochs without validation gain before stopping");
  threads = command.add_option("--threads", threads_value, "Worker threads (default: all cores)");
  seed = command.add_option("--seed", seed_value, "Random seed");
  causal = command.add_flag("--causal", causal_value,
                            std::string("GRU/LSTM: predict the next item at every step of each "
                                        "L-item window (GRU4Rec-style), not once per window"));
  shift_windows = command.add_flag(
      "--shift-windows", shift_windows_value,
      "Causal training: shift each user's older windows by a random offset every epoch");
  exclude_seen = command.add_flag("--exclude-seen", exclude_seen_value,
                                  "Full softmax: leave each user's earlier items out of the "
                                  "softmax, as evaluation and the seen-items filter do "
                                  "(attention's default on logs with long histories)");
  keep_seen = command.add_flag("--keep-seen", keep_seen_value,
                               "Keep each user's earlier items in the training softmax");
  shard_batches = command.add_flag(
      "--shard-batches", shard_batches_value,
      "Prepared dataset in shards: each batch takes an equal share of every shard, so under "
      "mpirun each rank reads only its own shards (ranks must divide the shard count)");
  loss = command.add_option("--loss", loss_value,
                            "full (softmax over every item) or sampled (target + --negatives "
                            "popularity-sampled items per batch, logQ-corrected)");
  negatives = command.add_option("--negatives", negatives_value,
                                 "Negatives per batch for --loss sampled (default 1024)");
  blocks = command.add_option("--blocks", blocks_value, "Attention: transformer blocks");
  heads = command.add_option("--heads", heads_value,
                             "Attention: heads per block (must divide the embedding dim)");
  ffn_dim = command.add_option(
      "--ffn-dim", ffn_dim_value,
      "Attention: feed-forward width (default from the data: 4x the embedding dim on "
      "dense logs, 1x on sparse ones; 0 = the embedding dim)");
  activation = command.add_option("--activation", activation_value,
                                  "Attention: feed-forward activation, gelu or relu");
  dropout = command.add_option("--dropout", dropout_value,
                               "Attention: one rate for the embedding, attention and residual "
                               "dropout");
  embedding_dropout = command.add_option("--embedding-dropout", embedding_dropout_value,
                                         "Attention: dropout on the input embeddings");
  attention_dropout = command.add_option("--attention-dropout", attention_dropout_value,
                                         "Attention: dropout on the attention weights");
  residual_dropout = command.add_option("--residual-dropout", residual_dropout_value,
                                        "Attention: dropout on each sublayer's output");
  command.add_option("--features", features_value,
                     "Side features: genre, year, rating (from the log and catalog) and user "
                     "attributes such as gender, age, occupation (comma-separated)");
  command
      .add_option("--input-config", input_config_value,
                  "The reference's protobuf-text input config (feature groups); sets the "
                  "encoder, embedding dim, context length and output dim")
      ->check(CLI::ExistingFile);
  split = command.add_option("--split", split_value,
                             "leave-one-out, temporal or random (the reference's 90/10)");
}

void ModelArgs::resolve(ModelConfig& model, TrainConfig& train) const {
  apply_preset(preset, model, train);
  if (encoder->count()) {
    model.encoder = parse_encoder(encoder_value);
  } else if (default_encoder) {
    model.encoder = *default_encoder;
  }
  if (rnn_units->count()) model.rnn_units = rnn_units_value;
  if (conv_kernel->count()) model.conv_kernel = conv_kernel_value;
  if (conv_ratios->count())
    model.conv_ratios = parse_int_list(conv_ratios_value, "--conv-filter-ratios");
  if (dim->count()) model.output_dim = dim_value;
  if (embedding_dim->count()) model.embedding_dim = embedding_dim_value;
  // Without an explicit embedding size, keep the tables as wide as the output.
  if (dim->count() && !embedding_dim->count() && dim_value > 0) model.embedding_dim = dim_value;
  if (hidden->count()) model.hidden = parse_int_list(hidden_value, "--hidden");
  if (context_length->count()) model.context_length = context_length_value;
  if (layout->count()) model.layout = parse_history_layout(layout_value);
  if (final_relu->count()) model.final_relu = true;
  if (tie->count()) model.tie_embeddings = true;
  if (tie->count() && no_tie->count()) throw Error("--tie and --no-tie contradict each other");
  if (no_bias->count()) model.label_bias = false;
  if (optimizer->count()) train.optimizer = parse_optimizer(optimizer_value);
  if (lr->count()) train.learning_rate = lr_value;
  if (clip->count()) train.clip_norm = clip_value;
  if (batch->count()) train.batch_size = batch_value;
  if (epochs->count()) train.epochs = epochs_value;
  if (weight_decay->count()) train.weight_decay = weight_decay_value;
  if (warmup->count()) train.warmup_steps = warmup_value;
  if (max_minutes->count()) train.max_minutes = max_minutes_value;
  if (schedule_epochs->count()) train.schedule_epochs = schedule_epochs_value;
  if (no_cooldown->count()) train.cooldown = false;
  if (lr_decay_patience->count()) train.lr_decay_patience = lr_decay_patience_value;
  if (lr_decay_factor->count()) train.lr_decay_factor = lr_decay_factor_value;
  if (patience->count()) train.patience = patience_value;
  if (threads->count()) train.threads = threads_value;
  if (seed->count()) train.seed = seed_value;
  if (split->count()) train.split = split_value;
  if (causal->count()) train.causal = true;
  if (shift_windows->count()) train.shift_windows = true;
  if (exclude_seen->count()) train.exclude_seen = true;
  if (exclude_seen->count() && keep_seen->count()) {
    throw Error("--exclude-seen and --keep-seen contradict each other");
  }
  if (shard_batches->count()) train.shard_batches = true;
  if (loss->count()) train.loss = parse_loss(loss_value);
  if (negatives->count()) train.negatives = negatives_value;
  auto& attention = model.attention;
  if (blocks->count()) attention.blocks = blocks_value;
  if (heads->count()) attention.heads = heads_value;
  if (ffn_dim->count()) attention.ffn_dim = ffn_dim_value;
  if (activation->count()) attention.activation = parse_activation(activation_value);
  if (dropout->count()) {
    attention.embedding_dropout = attention.attention_dropout = attention.residual_dropout =
        dropout_value;
  }
  if (embedding_dropout->count()) attention.embedding_dropout = embedding_dropout_value;
  if (attention_dropout->count()) attention.attention_dropout = attention_dropout_value;
  if (residual_dropout->count()) attention.residual_dropout = residual_dropout_value;
  if (model.encoder == EncoderKind::kAttention) {
    // Self-attention learns from every position of a window at once (SASRec); that is its
    // training. Its output is the model width: no projection unless --dim asks for one.
    train.causal = true;
    if (!dim->count()) model.output_dim = 0;
    if (!dim->count() && !embedding_dim->count()) model.embedding_dim = kAttentionWidth;
    if (!patience->count()) train.patience = kAttentionPatience;
    if (!warmup->count()) train.warmup_steps = kAttentionWarmup;
    // One table for inputs and labels: each item's vector then learns from both roles, which
    // sparse logs need (amazon-office test NDCG@10 0.0513 -> 0.0637, docs/TRIED.md).
    if (!no_tie->count()) model.tie_embeddings = true;
  }
  if (!features_value.empty() && !input_config_value.empty()) {
    throw Error("--features and --input-config both define the features: give one");
  }
  if (!input_config_value.empty()) apply_input_config_file(input_config_value, model);
  if (!features_value.empty()) {
    std::vector<std::string> names;
    for (auto name : pocketrec::split(features_value, ",")) {
      if (!trim(name).empty()) names.emplace_back(trim(name));
    }
    apply_feature_list(names, model);
  }
}

namespace {
std::unique_ptr<Collective>& collective_slot() {
  static std::unique_ptr<Collective> collective;
  return collective;
}
}  // namespace

Collective* training_collective() {
  return collective_slot().get();
}
void set_training_collective(std::unique_ptr<Collective> collective) {
  collective_slot() = std::move(collective);
}

std::string ModelArgs::architecture_option() const {
  for (const CLI::Option* option :
       {encoder, rnn_units, conv_kernel, conv_ratios, dim, embedding_dim, hidden, context_length,
        layout, final_relu, tie, no_tie, no_bias, blocks, heads, ffn_dim, activation}) {
    if (option && option->count()) return option->get_name();
  }
  if (!features_value.empty()) return "--features";
  if (!input_config_value.empty()) return "--input-config";
  return "";
}

bool ModelArgs::dropout_given() const {
  return dropout->count() || embedding_dropout->count() || attention_dropout->count() ||
         residual_dropout->count();
}

void ModelArgs::adapt_to_data(const Dataset& dataset, const Split& data_split, ModelConfig& model,
                              TrainConfig& train, const DataProfile* global) const {
  const size_t items = dataset.catalog.size();
  if (train.loss == LossKind::kSampled && static_cast<size_t>(train.negatives) >= items) {
    // Sampling as many negatives as there are items costs more than scoring them all.
    std::fprintf(stderr,
                 "--negatives %d covers the whole catalog of %zu items: training with the exact "
                 "full softmax (--loss full), which is also faster\n",
                 train.negatives, items);
    train.loss = LossKind::kFull;
  }
  if (model.encoder != EncoderKind::kAttention || !input_config_value.empty()) return;
  const DataProfile profile = global ? *global : profile_training_data(dataset, data_split);
  const AttentionRecipe recipe = attention_recipe(profile);
  std::string chose;
  if (!context_length->count()) {
    model.context_length = recipe.context_length;
    chose += " L=" + std::to_string(recipe.context_length);
  }
  if (!dropout->count() && !embedding_dropout->count() && !attention_dropout->count() &&
      !residual_dropout->count()) {
    auto& a = model.attention;
    a.embedding_dropout = a.attention_dropout = a.residual_dropout = recipe.dropout;
    char rate[32];
    std::snprintf(rate, sizeof rate, " dropout=%.1f", recipe.dropout);
    chose += rate;
  }
  if (!ffn_dim->count()) {
    model.attention.ffn_dim = recipe.ffn_ratio * model.embedding_dim;
    chose += " ffn=" + std::to_string(model.attention.ffn_dim);
  }
  if (!weight_decay->count() && recipe.weight_decay > 0) {
    train.weight_decay = recipe.weight_decay;
    char decay[32];
    std::snprintf(decay, sizeof decay, " weight-decay=%g", recipe.weight_decay);
    chose += decay;
  }
  if (!batch->count()) {
    train.batch_size = recipe.batch_size;
    chose += " batch=" + std::to_string(recipe.batch_size);
  }
  if (!lr->count()) {
    train.learning_rate = recipe.learning_rate;
    char rate[32];
    std::snprintf(rate, sizeof rate, " lr=%g", recipe.learning_rate);
    chose += rate;
  }
  if (!exclude_seen->count() && !keep_seen->count() && recipe.exclude_seen &&
      train.loss == LossKind::kFull) {
    train.exclude_seen = true;
    chose += " exclude-seen";
  }
  if (!chose.empty()) {
    std::fprintf(stderr,
                 "attention recipe from the data (median history %.0f, 90th percentile %.0f "
                 "items):%s\n",
                 profile.median_length, profile.p90_length, chose.c_str());
  }
}

bool is_tflite_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such model file");
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(path + ": is a folder; give a model file (.pkrec from train, or .tflite)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the model file");
  char header[8] = {};
  in.read(header, sizeof header);
  const auto got = in.gcount();
  if (got < 8) {
    throw Error(path + ": " + std::to_string(got) +
                " bytes, too short to be a model (.pkrec or .tflite)");
  }
  if (std::string(header + 4, 4) == "TFL3") return true;
  if (std::string(header, 8) == "PKRECMDL") return false;
  if (ends_with(path, ".tflite")) {
    throw Error(path + ": not a TFLite model (bytes 4-7 are not the identifier TFL3)");
  }
  throw Error(path + ": neither a pocketrec model (.pkrec) nor a TFLite model (.tflite)");
}

std::shared_ptr<const Recommender> load_recommender(const std::string& path, bool int8,
                                                    const ModelLoadOptions& options) {
  if (is_tflite_file(path)) return Recommender::load_file(path, options);
  auto loaded = load_model(path);
  ExportOptions export_options;
  export_options.quantize_int8 = int8;
  ExportResult r = export_tflite(*loaded.model, loaded.catalog, export_options);
  return Recommender::load_buffer(r.bytes.data(), r.bytes.size(), path + " (exported)", options);
}

std::vector<Item> read_movie_vocab(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the catalog");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return serve::parse_movie_vocab(text, path);
}

}  // namespace pocketrec::cli
