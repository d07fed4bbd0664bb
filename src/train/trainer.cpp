#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "eval/baselines.hpp"
#include "eval/evaluator.hpp"
#include "model/feature_inputs.hpp"
#include "model/model_file.hpp"
#include "train/batcher.hpp"
#include "train/optimizer.hpp"
#include "train/sampled_softmax.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec {
namespace {

struct Shard {
  EncoderWorkspace encoder;
  FeatureBatch features;
  Gradients grads;
  nn::Matrix logits;
  double loss = 0;
};

// Gradients are summed into shard 0 in shard order, so the result does not depend on timing.
void sum_sparse(std::vector<Shard>& shards) {
  auto& target = shards[0].grads;
  for (size_t s = 1; s < shards.size(); ++s) {
    for (size_t p = 0; p < target.size(); ++p) {
      if (!target[p].sparse_rows) continue;
      target[p].add(shards[s].grads[p]);
      shards[s].grads[p].clear();
    }
  }
}

void sum_dense_slice(std::vector<Shard>& shards, int slice, int slices) {
  auto& target = shards[0].grads;
  for (size_t p = 0; p < target.size(); ++p) {
    if (target[p].sparse_rows) continue;
    size_t total = target[p].values.size();
    size_t begin = total * slice / slices, end = total * (slice + 1) / slices;
    float* sum = target[p].values.data.data();
    for (size_t s = 1; s < shards.size(); ++s) {
      float* part = shards[s].grads[p].values.data.data();
      for (size_t i = begin; i < end; ++i) sum[i] += part[i];
      std::fill(part + begin, part + end, 0.0f);
    }
  }
}

std::string rng_state(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

void restore_rng(std::mt19937_64& rng, const std::string& state) {
  std::istringstream in(state);
  in >> rng;
  if (!in) throw Error("checkpoint: corrupt random generator state");
}

}  // namespace

Trainer::Trainer(DualEncoder& model, const Dataset& dataset, const Split& split, TrainConfig config)
    : model_(model), dataset_(dataset), split_(split), config_(std::move(config)) {
  config_.validate();
  if (split_.train.empty()) throw Error("training: the split has no training examples");
  if (config_.causal) {
    const auto& model_config = model_.config();
    if (model_config.encoder != "gru" && model_config.encoder != "lstm" &&
        model_config.encoder != "attention") {
      throw Error(
          "--causal needs a recurrent or attention encoder (--encoder gru, lstm or "
          "attention)");
    }
    if (model_config.layout != HistoryLayout::kNewestLast) {
      throw Error("--causal needs the newest-last history layout");
    }
    if (model_config.has_features()) {
      throw Error("--causal trains on item ids alone; drop the side features or --causal");
    }
  }
}

TrainResult Trainer::run(const TrainOptions& options) {
  const int threads = config_.threads > 0 ? config_.threads : default_thread_count();
  ThreadPool pool(threads);
  // Sampled softmax touches few label rows per batch: their gradients become sparse (lazy updates).
  const bool sampled = config_.loss == "sampled";
  std::optional<NegativeSampler> sampler;
  std::vector<float> correction;
  std::vector<uint32_t> negatives;
  if (sampled) {
    model_.parameters()[model_.label_index()].sparse_rows = true;
    sampler.emplace(training_popularity(dataset_, split_));
    correction.assign(dataset_.catalog.size() + 1, 0.0f);
    for (size_t j = 1; j < correction.size(); ++j) {
      correction[j] = static_cast<float>(std::log(static_cast<double>(config_.negatives) *
                                                  sampler->probability(static_cast<uint32_t>(j))));
    }
  }
  Optimizer optimizer(config_, model_.parameters());
  std::mt19937_64 rng(config_.seed);
  TrainResult result;
  int start_epoch = 1;
  size_t start_batch = 0;
  int bad_epochs = 0;
  std::string epoch_rng = rng_state(rng);

  if (options.resume && !options.checkpoint.empty() &&
      std::filesystem::exists(options.checkpoint)) {
    auto loaded = load_model(options.checkpoint);
    if (!loaded.training)
      throw Error(options.checkpoint + ": not a checkpoint (no training state)");
    if (loaded.model->parameters().size() != model_.parameters().size()) {
      throw Error(options.checkpoint + ": checkpoint is for a different model configuration");
    }
    for (size_t i = 0; i < model_.parameters().size(); ++i) {
      auto& dst = model_.parameters()[i].value;
      const auto& src = loaded.model->parameters()[i].value;
      if (dst.rows != src.rows || dst.cols != src.cols) {
        throw Error(options.checkpoint + ": checkpoint is for a different model configuration");
      }
      dst = src;
    }
    auto& state = *loaded.training;
    if (state.optimizer_slots.size() != optimizer.slots().size()) {
      throw Error(options.checkpoint + ": checkpoint was written with another optimizer");
    }
    optimizer.slots() = state.optimizer_slots;
    optimizer.set_steps(state.optimizer_steps);
    const auto& progress = state.progress;
    start_epoch = progress.at("epoch").get<int>();
    start_batch = progress.at("batch").get<size_t>();
    bad_epochs = progress.at("bad_epochs").get<int>();
    optimizer.set_lr_scale(progress.value("lr_scale", 1.0f));
    result.best_epoch = progress.at("best_epoch").get<int>();
    result.best_ndcg10 = progress.at("best_ndcg10").get<double>();
    epoch_rng = progress.at("rng").get<std::string>();
    for (const auto& e : progress.at("history")) {
      result.epochs.push_back({e.at(0).get<int>(), e.at(1).get<double>(), e.at(2).get<double>(),
                               e.at(3).get<double>(), e.at(4).get<double>(),
                               e.at(5).get<double>()});
    }
    std::fprintf(stderr, "resuming from %s at epoch %d, batch %zu\n", options.checkpoint.c_str(),
                 start_epoch, start_batch);
    // Options given anew override the checkpoint's run; say which, so a changed rate or batch
    // size is not mistaken for the original run continuing unchanged.
    const nlohmann::json before = state.train, now = config_;
    auto shown = [](const nlohmann::json& value) {
      if (!value.is_number_float()) return value.dump();
      char text[32];
      std::snprintf(text, sizeof text, "%g", value.get<double>());
      return std::string(text);
    };
    for (const auto& [key, value] : now.items()) {
      if (before.contains(key) && shown(before[key]) != shown(value)) {
        std::fprintf(stderr,
                     "  %s: %s in the checkpoint's run, %s now (this run's value applies)\n",
                     key.c_str(), shown(before[key]).c_str(), shown(value).c_str());
      }
    }
  }

  auto save_checkpoint = [&](int epoch, size_t batch) {
    if (options.checkpoint.empty()) return;
    TrainingState state;
    state.train = config_;
    state.optimizer_slots = optimizer.slots();
    state.optimizer_steps = optimizer.steps();
    auto history = nlohmann::json::array();
    for (const auto& e : result.epochs) {
      history.push_back(
          {e.epoch, e.loss, e.seconds, e.examples_per_second, e.valid_hr10, e.valid_ndcg10});
    }
    state.progress = {{"epoch", epoch},
                      {"batch", batch},
                      {"bad_epochs", bad_epochs},
                      {"lr_scale", optimizer.lr_scale()},
                      {"best_epoch", result.best_epoch},
                      {"best_ndcg10", result.best_ndcg10},
                      {"rng", epoch_rng},
                      {"history", history}};
    save_model(options.checkpoint, model_, dataset_.catalog, &state);
  };

  // The best parameters so far, so the caller gets the best model, not the last one.
  std::vector<nn::Matrix> best;
  auto keep_best = [&] {
    best.clear();
    for (const auto& p : model_.parameters()) best.push_back(p.value);
  };
  if (result.best_epoch > 0 && !options.model_out.empty() &&
      std::filesystem::exists(options.model_out)) {
    auto saved = load_model(options.model_out);
    for (const auto& p : saved.model->parameters()) best.push_back(p.value);
  }
  auto restore_best = [&] {
    if (best.size() != model_.parameters().size()) return;
    for (size_t i = 0; i < best.size(); ++i) model_.parameters()[i].value = best[i];
  };

  // Feature models: each thread lays out its own slice's features.
  std::optional<FeatureExtractor> extractor;
  if (model_.config().has_features()) {
    extractor.emplace(model_.config(), dataset_.catalog, dataset_.user_attribute_names);
  }
  std::vector<Shard> shards(threads);
  SpinBarrier barrier(threads);
  for (auto& shard : shards) shard.grads = model_.make_gradients();
  // Causal training walks windows of L items; otherwise every training position is one example.
  const int length = model_.config().context_length;
  const std::vector<Position> units =
      config_.causal ? causal_windows(split_.train, length) : split_.train;
  std::vector<Position> order = units;
  const size_t batch_size = static_cast<size_t>(config_.batch_size);
  const size_t batches = (order.size() + batch_size - 1) / batch_size;
  Batch batch;
  const float scale_base = 1.0f;
  size_t batches_run = 0;
  const auto run_started = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    if (config_.max_minutes <= 0) return false;
    auto elapsed = std::chrono::steady_clock::now() - run_started;
    return std::chrono::duration<double>(elapsed).count() >= config_.max_minutes * 60.0;
  };

  for (int epoch = start_epoch; epoch <= config_.epochs; ++epoch) {
    restore_rng(rng, epoch_rng);
    order = units;
    std::shuffle(order.begin(), order.end(), rng);
    std::string next_epoch_rng = rng_state(rng);
    auto started = std::chrono::steady_clock::now();
    double loss_sum = 0;
    size_t examples = 0;
    ProgressBar bar("epoch " + std::to_string(epoch), order.size(),
                    config_.causal ? "windows" : "examples");
    for (size_t b = start_batch; b < batches; ++b) {
      if (out_of_time()) {
        // The budget ends training like early stopping: this partial epoch is still validated.
        result.out_of_time = true;
        break;
      }
      if (interrupted() || (options.max_batches && batches_run == options.max_batches)) {
        save_checkpoint(epoch, b);
        result.interrupted = true;
        result.lr_scale = optimizer.lr_scale();
        if (options.progress && interrupted()) {
          std::fprintf(stderr, "\ninterrupted: state saved, resume with --resume\n");
        }
        return result;
      }
      size_t begin = b * batch_size, end = std::min(order.size(), begin + batch_size);
      auto slice = std::span(order).subspan(begin, end - begin);
      if (config_.causal) {
        make_causal_batch(dataset_, slice, model_.config(), batch);
      } else {
        make_batch(dataset_, slice, model_.config(), batch);
      }
      const int count = batch.size;
      const size_t targets =
          config_.causal
              ? batch.targets.size() - std::count(batch.targets.begin(), batch.targets.end(), 0u)
              : static_cast<size_t>(count);
      const size_t targets_per_row = config_.causal ? static_cast<size_t>(length) : 1;
      const int per_shard = (count + threads - 1) / threads;
      const float scale = scale_base / static_cast<float>(std::max<size_t>(targets, 1));
      if (sampled) {
        // Seeded by (seed, epoch, batch), so a resumed run draws the same negatives.
        std::mt19937_64 batch_rng(config_.seed * 0x9E3779B97F4A7C15ull ^
                                  (static_cast<uint64_t>(epoch) << 32) ^ b);
        sampler->sample(batch_rng, config_.negatives, negatives);
      }
      // One team run per batch: every thread does its slice's forward and backward, then its
      // slice of the gradient sum and of the dense parameter update.
      pool.run_team([&](int s) {
        auto& shard = shards[s];
        shard.loss = 0;
        int first = s * per_shard, n = std::min(count, first + per_shard) - first;
        if (n > 0) {
          const int32_t* contexts = batch.contexts.data() + static_cast<size_t>(first) * length;
          // Dropout masks follow (seed, epoch, batch, sequence), not the thread layout.
          shard.encoder.dropout = {true,
                                   config_.seed * 0x9E3779B97F4A7C15ull ^
                                       (static_cast<uint64_t>(epoch) << 40) ^ (b << 8),
                                   static_cast<uint64_t>(first)};
          if (config_.causal) {
            model_.encode_steps(contexts, n, shard.encoder);
          } else if (extractor) {
            extractor->resize(shard.features, n);
            for (int i = 0; i < n; ++i) {
              const Position& p = slice[first + i];
              extractor->fill(dataset_.timelines[p.timeline], p.pos, i, shard.features);
            }
            model_.encode(shard.features, shard.encoder);
          } else {
            model_.encode(contexts, n, shard.encoder);
          }
          int bias = model_.label_bias_index();
          const uint32_t* shard_targets = batch.targets.data() + first * targets_per_row;
          nn::Gradient* bias_grad = bias >= 0 ? &shard.grads[bias] : nullptr;
          shard.loss =
              sampled ? sampled_softmax_cross_entropy(
                            shard.encoder.user(), shard_targets, model_.label_table(),
                            model_.label_bias(), negatives, correction, scale, shard.logits,
                            shard.encoder.user_grad(), shard.grads[model_.label_index()], bias_grad)
                      : softmax_cross_entropy(shard.encoder.user(), shard_targets,
                                              model_.label_table(), model_.label_bias(), scale,
                                              shard.logits, shard.encoder.user_grad(),
                                              shard.grads[model_.label_index()], bias_grad);
          model_.encode_backward(shard.encoder, shard.grads);
        }
        barrier.arrive_and_wait();
        sum_dense_slice(shards, s, threads);
        barrier.arrive_and_wait();
        if (s == 0) {
          sum_sparse(shards);
          optimizer.begin_step(model_.parameters(), shards[0].grads);
        }
        barrier.arrive_and_wait();
        optimizer.update_dense_slice(model_.parameters(), shards[0].grads, s, threads);
      });
      for (const auto& shard : shards) loss_sum += shard.loss;
      examples += targets;
      ++batches_run;
      if (options.progress) {
        char status[64];
        std::snprintf(status, sizeof status, "loss %.4f", loss_sum / std::max<size_t>(examples, 1));
        bar.update(std::min(order.size(), (b + 1) * batch_size), status);
      }
    }
    start_batch = 0;
    epoch_rng = next_epoch_rng;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EpochReport report{epoch,   loss_sum / std::max<size_t>(examples, 1),
                       seconds, examples / std::max(seconds, 1e-9),
                       0,       0};
    if (!split_.valid.empty()) {
      auto metrics = evaluate(model_scorer(model_, dataset_), dataset_, split_.valid, {}, pool);
      report.valid_hr10 = metrics.hit_rate(10);
      report.valid_ndcg10 = metrics.ndcg(10);
    }
    result.epochs.push_back(report);
    if (options.progress) {
      char status[128];
      std::snprintf(status, sizeof status, "loss %.4f  valid HR@10 %.4f NDCG@10 %.4f", report.loss,
                    report.valid_hr10, report.valid_ndcg10);
      bar.finish(status);
    }
    bool improved = split_.valid.empty() || report.valid_ndcg10 > result.best_ndcg10;
    if (improved) {
      result.best_ndcg10 = report.valid_ndcg10;
      result.best_epoch = epoch;
      bad_epochs = 0;
      keep_best();
      if (!options.model_out.empty()) save_model(options.model_out, model_, dataset_.catalog);
    } else {
      ++bad_epochs;
      if (config_.lr_decay_patience > 0 && bad_epochs % config_.lr_decay_patience == 0) {
        optimizer.set_lr_scale(optimizer.lr_scale() * config_.lr_decay_factor);
        if (options.progress) {
          std::fprintf(stderr, "learning rate x%g after %d epochs without gain\n",
                       static_cast<double>(optimizer.lr_scale()), bad_epochs);
        }
      }
    }
    bool stop = bad_epochs >= config_.patience || result.out_of_time;
    save_checkpoint(stop ? config_.epochs + 1 : epoch + 1, 0);
    if (stop) {
      result.early_stopped = !result.out_of_time;
      break;
    }
  }
  restore_best();
  result.lr_scale = optimizer.lr_scale();
  return result;
}

}  // namespace pocketrec
