#include "model/model_config.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace pocketrec {

static void validate_features(const ModelConfig& config);

std::vector<FeatureGroupSpec> ModelConfig::activity_groups() const {
  if (!features.activity.empty()) return features.activity;
  FeatureSpec item;
  item.name = "item";
  item.source = FeatureSource::kItem;
  item.embedding_dim = embedding_dim;
  item.length = context_length;
  return {FeatureGroupSpec{{item}, encoder}};
}

int ModelConfig::group_encoder_dim(const FeatureGroupSpec& group) const {
  if (group.encoder == EncoderKind::kBow) return group.input_width();
  if (group.encoder == EncoderKind::kCnn) return group.input_width() * conv_ratios.back();
  if (group.encoder == EncoderKind::kAttention) return group.input_width();
  return rnn_units;
}

int ModelConfig::encoder_dim() const {
  int width = 0;
  for (const auto& group : activity_groups()) width += group_encoder_dim(group);
  for (const auto& group : features.global) width += group.input_width();
  return width;
}

int ModelConfig::user_dim() const {
  if (output_dim > 0) return output_dim;
  return hidden.empty() ? encoder_dim() : hidden.back();
}

void ModelConfig::validate() const {
  if (encoder == EncoderKind::kAttention) {
    const auto& a = attention;
    if (a.blocks < 1 || a.blocks > 64) throw Error("model: --blocks must be in 1..64");
    if (a.heads < 1 || embedding_dim % a.heads != 0) {
      throw Error("model: --heads must divide the embedding dim " + std::to_string(embedding_dim));
    }
    if (a.ffn_dim < 0 || a.ffn_dim > 16384) throw Error("model: --ffn-dim must be in 0..16384");
    for (float rate : {a.embedding_dropout, a.attention_dropout, a.residual_dropout}) {
      if (!(rate >= 0 && rate < 1)) throw Error("model: --dropout rates must be in [0, 1)");
    }
    if (layout != HistoryLayout::kNewestLast) {
      throw Error("model: the attention encoder needs the newest-last history layout");
    }
    if (has_features()) {
      throw Error("model: the attention encoder takes item ids alone (no side features yet)");
    }
  }
  if (encoder == EncoderKind::kCnn) {
    if (conv_kernel < 1 || conv_kernel > 64) throw Error("model: --conv-kernel must be in 1..64");
    if (conv_ratios.empty()) throw Error("model: the CNN needs at least one filter ratio");
    for (int r : conv_ratios) {
      if (r < 1 || r > 64) throw Error("model: --conv-filter-ratios must be in 1..64");
    }
  }
  if (rnn_units < 1 || rnn_units > 4096) throw Error("model: --rnn-units must be in 1..4096");
  if (items < 1) throw Error("model: the catalog is empty");
  if (context_length < 1 || context_length > 4096) {
    throw Error("model: -L/--context-length must be in 1..4096, got " +
                std::to_string(context_length));
  }
  if (embedding_dim < 1 || embedding_dim > 4096)
    throw Error("model: --embedding-dim must be in 1..4096, got " + std::to_string(embedding_dim));
  for (int h : hidden) {
    if (h < 1 || h > 8192) throw Error("model: --hidden sizes must be in 1..8192");
  }
  if (output_dim < 0 || output_dim > 4096)
    throw Error("model: --dim must be in 0..4096, got " + std::to_string(output_dim));
  if (tie_embeddings && user_dim() != embedding_dim) {
    throw Error("model: --tie needs the output dim (" + std::to_string(user_dim()) +
                ") to equal the embedding dim (" + std::to_string(embedding_dim) + ")");
  }
  if (has_features()) validate_features(*this);
}

static void validate_features(const ModelConfig& config) {
  const auto& features = config.features;
  if (features.activity.empty()) throw Error("features: at least one activity group is needed");
  int item_features = 0;
  auto check_feature = [](const FeatureSpec& f, bool global) {
    const std::string where = "feature '" + f.name + "': ";
    if (f.is_float) {
      if (f.source != FeatureSource::kRating && f.source != FeatureSource::kUser) {
        throw Error(where + "only ratings and user attributes can be FLOAT features");
      }
    } else {
      if (f.source == FeatureSource::kRating) throw Error(where + "a rating must be FLOAT");
      if (f.embedding_dim < 1 || f.embedding_dim > 4096) {
        throw Error(where + "embedding_dim must be in 1..4096, got " +
                    std::to_string(f.embedding_dim));
      }
    }
    if (!global && (f.length < 1 || f.length > 4096)) {
      throw Error(where + "feature_length must be in 1..4096, got " + std::to_string(f.length));
    }
    if (global != (f.source == FeatureSource::kUser)) {
      throw Error(where + (global ? "global groups hold user attributes only"
                                  : "user attributes belong in a global feature group"));
    }
  };
  for (const auto& group : features.activity) {
    if (group.features.empty()) throw Error("features: an activity group has no features");
    if (group.encoder == EncoderKind::kAttention) {
      throw Error("features: activity groups take bow, cnn, gru or lstm encoders");
    }
    for (const auto& f : group.features) {
      check_feature(f, false);
      if (f.length != group.length()) {
        throw Error("feature '" + f.name + "': feature_length " + std::to_string(f.length) +
                    " differs from its group's " + std::to_string(group.length()) +
                    " (a group is one sequence)");
      }
      if (group.is_genre_list() != (f.source == FeatureSource::kGenre)) {
        throw Error("feature '" + f.name +
                    "': a genre list is its own sequence and needs a group of its own");
      }
      if (f.source == FeatureSource::kItem) {
        ++item_features;
        if (f.is_float) throw Error("feature '" + f.name + "': the item id must be INT");
        if (f.embedding_dim != config.embedding_dim || f.length != config.context_length ||
            group.encoder != config.encoder) {
          throw Error("feature '" + f.name +
                      "': the model's embedding dim, context length and encoder must be the "
                      "item feature's");
        }
      }
    }
  }
  if (item_features != 1) {
    throw Error("features: exactly one activity feature must be the item id, found " +
                std::to_string(item_features));
  }
  for (const auto& group : features.global) {
    if (group.features.empty()) throw Error("features: a global group has no features");
    for (const auto& f : group.features) check_feature(f, true);
  }
}

void TrainConfig::validate() const {
  if (!(learning_rate > 0)) throw Error("--lr must be positive");
  if (clip_norm < 0) throw Error("--clip must be >= 0");
  if (!(weight_decay >= 0 && weight_decay < 10)) {
    throw Error("--weight-decay must be in [0, 10)");
  }
  if (warmup_steps < 0) throw Error("--warmup must be >= 0 steps");
  if (lr_decay_patience < 0) throw Error("--lr-decay-patience must be >= 0 epochs");
  if (!(lr_decay_factor > 0 && lr_decay_factor <= 1)) {
    throw Error("--lr-decay-factor must be in (0, 1]");
  }
  if (!(max_minutes >= 0)) throw Error("--max-minutes must be >= 0");
  if (schedule_epochs < 0) throw Error("--schedule-epochs must be >= 0");
  if (batch_size < 1 || batch_size > 65536) throw Error("--batch must be in 1..65536");
  if (epochs < 1) throw Error("--epochs must be at least 1");
  if (patience < 1) throw Error("--patience must be at least 1");
  if (threads < 0 || threads > kMaxThreads) {
    throw Error("--threads must be in 0.." + std::to_string(kMaxThreads) + " (0 = all cores)");
  }
  if (negatives < 1 || negatives > 1000000) throw Error("--negatives must be in 1..1000000");
  if (shift_windows && (!causal || shard_batches)) {
    throw Error(
        "--shift-windows shifts causal windows (attention, or --causal) and does not "
        "combine with --shard-batches");
  }
  if (exclude_seen && loss != LossKind::kFull) {
    throw Error("--exclude-seen works with the full softmax (--loss full)");
  }
}

void apply_preset(const std::string& name, ModelConfig& model, TrainConfig& train) {
  if (name == "default") {
    model = ModelConfig{};
    train = TrainConfig{};
    return;
  }
  if (name == "reference") {
    model = ModelConfig{};
    model.layout = HistoryLayout::kOldestFirst;
    model.context_length = 10;
    model.embedding_dim = 32;
    model.hidden = {32};
    model.output_dim = 32;
    model.final_relu = true;
    model.tie_embeddings = false;
    model.label_bias = false;
    model.init = InitKind::kTruncatedNormal;
    train = TrainConfig{};
    train.optimizer = OptimizerKind::kAdagrad;
    train.learning_rate = 0.1f;
    train.clip_norm = 1.0f;
    train.batch_size = 64;
    return;
  }
  throw Error("unknown preset '" + name + "' (default or reference)");
}

void to_json(nlohmann::json& json, const ModelConfig& c) {
  json = {{"encoder", c.encoder},
          {"rnn_units", c.rnn_units},
          {"conv_kernel", c.conv_kernel},
          {"conv_ratios", c.conv_ratios},
          {"items", c.items},
          {"context_length", c.context_length},
          {"layout", history_layout_name(c.layout)},
          {"embedding_dim", c.embedding_dim},
          {"hidden", c.hidden},
          {"output_dim", c.output_dim},
          {"final_relu", c.final_relu},
          {"tie_embeddings", c.tie_embeddings},
          {"label_bias", c.label_bias},
          {"init", c.init}};
  if (c.has_features()) json["features"] = c.features;
  if (c.encoder == EncoderKind::kAttention) {
    const auto& a = c.attention;
    json["attention"] = {{"blocks", a.blocks},
                         {"heads", a.heads},
                         {"ffn_dim", a.ffn_dim},
                         {"activation", a.activation},
                         {"embedding_dropout", a.embedding_dropout},
                         {"attention_dropout", a.attention_dropout},
                         {"residual_dropout", a.residual_dropout}};
  }
}

void from_json(const nlohmann::json& json, ModelConfig& c) {
  c.encoder = json.at("encoder").get<EncoderKind>();
  c.rnn_units = json.value("rnn_units", 64);
  c.conv_kernel = json.value("conv_kernel", 4);
  c.conv_ratios = json.value("conv_ratios", std::vector<int>{2, 4});
  c.items = json.at("items").get<int>();
  c.context_length = json.at("context_length").get<int>();
  c.layout = parse_history_layout(json.at("layout").get<std::string>());
  c.embedding_dim = json.at("embedding_dim").get<int>();
  c.hidden = json.at("hidden").get<std::vector<int>>();
  c.output_dim = json.at("output_dim").get<int>();
  c.final_relu = json.at("final_relu").get<bool>();
  c.tie_embeddings = json.at("tie_embeddings").get<bool>();
  c.label_bias = json.at("label_bias").get<bool>();
  c.init = json.at("init").get<InitKind>();
  c.features = json.value("features", FeatureConfig{});
  if (json.contains("attention")) {
    const auto& a = json.at("attention");
    c.attention.blocks = a.at("blocks").get<int>();
    c.attention.heads = a.at("heads").get<int>();
    c.attention.ffn_dim = a.at("ffn_dim").get<int>();
    c.attention.activation = a.at("activation").get<Activation>();
    c.attention.embedding_dropout = a.value("embedding_dropout", 0.0f);
    c.attention.attention_dropout = a.value("attention_dropout", 0.0f);
    c.attention.residual_dropout = a.value("residual_dropout", 0.0f);
  }
}

void to_json(nlohmann::json& json, const TrainConfig& c) {
  json = {{"optimizer", c.optimizer},
          {"learning_rate", c.learning_rate},
          {"clip_norm", c.clip_norm},
          {"weight_decay", c.weight_decay},
          {"warmup_steps", c.warmup_steps},
          {"lr_decay_patience", c.lr_decay_patience},
          {"lr_decay_factor", c.lr_decay_factor},
          {"max_minutes", c.max_minutes},
          {"schedule_epochs", c.schedule_epochs},
          {"cooldown", c.cooldown},
          {"adagrad_initial", c.adagrad_initial},
          {"batch_size", c.batch_size},
          {"epochs", c.epochs},
          {"patience", c.patience},
          {"threads", c.threads},
          {"seed", c.seed},
          {"split", c.split},
          {"causal", c.causal},
          {"loss", c.loss},
          {"negatives", c.negatives}};
  // Written only when set, so files of runs without it keep their bytes.
  if (c.shard_batches) json["shard_batches"] = true;
  if (c.shift_windows) json["shift_windows"] = true;
  if (c.exclude_seen) json["exclude_seen"] = true;
}

void from_json(const nlohmann::json& json, TrainConfig& c) {
  c.optimizer = json.at("optimizer").get<OptimizerKind>();
  c.learning_rate = json.at("learning_rate").get<float>();
  c.clip_norm = json.at("clip_norm").get<float>();
  c.weight_decay = json.value("weight_decay", 0.0f);
  c.warmup_steps = json.value("warmup_steps", 0);
  c.lr_decay_patience = json.value("lr_decay_patience", 0);
  c.lr_decay_factor = json.value("lr_decay_factor", 0.5f);
  c.max_minutes = json.value("max_minutes", 0.0);
  c.schedule_epochs = json.value("schedule_epochs", 0);
  c.cooldown = json.value("cooldown", true);
  c.adagrad_initial = json.at("adagrad_initial").get<float>();
  c.batch_size = json.at("batch_size").get<int>();
  c.epochs = json.at("epochs").get<int>();
  c.patience = json.at("patience").get<int>();
  c.threads = json.at("threads").get<int>();
  c.seed = json.at("seed").get<uint64_t>();
  c.split = json.at("split").get<std::string>();
  c.causal = json.value("causal", false);
  c.loss = json.value("loss", LossKind::kFull);
  c.negatives = json.value("negatives", 1024);
  c.shard_batches = json.value("shard_batches", false);
  c.shift_windows = json.value("shift_windows", false);
  c.exclude_seen = json.value("exclude_seen", false);
}

}  // namespace pocketrec
