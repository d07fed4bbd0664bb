#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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
#include "train/collective.hpp"
#include "train/optimizer.hpp"
#include "train/sampled_softmax.hpp"
#include "train/shard_streams.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec {
namespace {

struct Shard {
  EncoderWorkspace encoder;
  FeatureBatch features;
  Gradients grads;
  nn::Matrix logits;
  double loss = 0;
  size_t targets = 0;  // in this thread's slice
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

// The sparse gradients' rows in ascending order: their norms (for clipping) then sum the same
// way whichever slices touched a row first, in one process or across several.
void sort_rows(Gradients& grads) {
  for (auto& g : grads) {
    if (g.sparse_rows) std::sort(g.rows.begin(), g.rows.end());
  }
}

// Gradients as bytes, for the sum across processes: each dense gradient's values, each sparse
// one's row count, rows and their values.
void write_gradients(const Gradients& grads, std::vector<char>& out) {
  out.clear();
  auto put = [&out](const void* data, size_t bytes) {
    const char* c = static_cast<const char*>(data);
    out.insert(out.end(), c, c + bytes);
  };
  for (const auto& g : grads) {
    if (!g.sparse_rows) {
      put(g.values.data.data(), g.values.data.size() * sizeof(float));
      continue;
    }
    const auto count = static_cast<uint32_t>(g.rows.size());
    put(&count, sizeof count);
    put(g.rows.data(), g.rows.size() * sizeof(uint32_t));
    for (uint32_t r : g.rows) {
      put(g.values.row(static_cast<int>(r)), static_cast<size_t>(g.values.cols) * sizeof(float));
    }
  }
}

// grads += message (add), or grads = message. Float addition is commutative, so adding the
// earlier ranks' sum to this rank's first slice equals adding the slice to the sum.
void read_gradients(const std::vector<char>& in, Gradients& grads, bool add) {
  size_t at = 0;
  auto take = [&](void* data, size_t bytes) {
    if (at + bytes > in.size()) throw Error("distributed training: a truncated gradient message");
    std::memcpy(data, in.data() + at, bytes);
    at += bytes;
  };
  std::vector<float> row;
  for (auto& g : grads) {
    if (!g.sparse_rows) {
      const size_t n = g.values.data.size();
      if (add) {
        row.resize(n);
        take(row.data(), n * sizeof(float));
        float* dst = g.values.data.data();
        for (size_t i = 0; i < n; ++i) dst[i] += row[i];
      } else {
        take(g.values.data.data(), n * sizeof(float));
      }
      continue;
    }
    if (!add) g.clear();
    uint32_t count = 0;
    take(&count, sizeof count);
    std::vector<uint32_t> rows(count);
    take(rows.data(), rows.size() * sizeof(uint32_t));
    row.resize(static_cast<size_t>(g.values.cols));
    for (uint32_t r : rows) {
      if (r >= static_cast<uint32_t>(g.values.rows)) {
        throw Error("distributed training: a gradient row out of range");
      }
      take(row.data(), row.size() * sizeof(float));
      g.mark(r);
      float* dst = g.values.row(static_cast<int>(r));
      for (size_t c = 0; c < row.size(); ++c) dst[c] = add ? dst[c] + row[c] : row[c];
    }
  }
  if (at != in.size()) throw Error("distributed training: a gradient message of the wrong size");
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

// One call of Trainer::run: the state a checkpoint holds and the steps of the loop, each a
// method named after what it does.
class TrainingRun {
 public:
  TrainingRun(const Trainer& trainer, DualEncoder& model, const Dataset& dataset,
              const Split& split, const TrainConfig& config, const TrainOptions& options);
  TrainResult run();

 private:
  struct EpochTotals {
    double loss_sum = 0;
    size_t examples = 0;
    // This process's own slices: across ranks, the running loss it can show is theirs.
    size_t local_examples = 0;
  };

  void prepare_sampled_softmax();
  void resume_from_checkpoint();
  void report_changed_options(const nlohmann::json& before) const;
  void save_checkpoint(int epoch, size_t batch);
  void keep_best();
  void restore_best();
  // False when interrupted (the checkpoint is then saved).
  bool train_epoch(int epoch, ProgressBar& bar, EpochTotals& totals);
  void train_batch(int epoch, size_t b, EpochTotals& totals);
  EpochReport validate(int epoch, double seconds, const EpochTotals& totals);
  // Keeps the best model, decays the rate on a plateau, follows the budget's plan; true = stop.
  bool end_epoch(const EpochReport& report);
  void plan_under_budget(int epoch);
  float schedule_scale(int epoch, size_t b) const;
  double elapsed_seconds() const;
  bool out_of_time() const;
  // Across processes: rank r adds the sum of ranks < r to its first slice, sums its slices after
  // it and passes the sum on; the last rank's sum goes back to all.
  void receive_earlier_sum();
  void pass_sum_on();
  // Rank 0's value of `value`, on every rank (decisions that follow the clock).
  int agree(int value);
  RankingMetrics validation_metrics();

  const Trainer& trainer_;
  DualEncoder& model_;
  const Dataset& dataset_;
  const Split& split_;
  const TrainConfig& config_;
  const TrainOptions& options_;
  const int threads_;
  Collective* const collective_;
  const int rank_, ranks_;
  std::vector<char> message_;
  ThreadPool pool_;
  SpinBarrier barrier_;
  Optimizer optimizer_;
  TrainResult result_;
  // Sampled softmax: the sampler, each item's logQ correction and the batch's negatives.
  std::optional<NegativeSampler> sampler_;
  std::vector<float> correction_;
  std::vector<uint32_t> negatives_;
  // Feature models: each thread lays out its own slice's features.
  std::optional<FeatureExtractor> extractor_;
  std::vector<Shard> shards_;
  // Causal training walks windows of L items; otherwise every training position is one example.
  std::vector<Position> units_, order_;
  // --shift-windows: each timeline's newest training position, from which every epoch's
  // shifted windows are laid out.
  std::vector<Position> last_positions_;
  // --shard-batches: each batch draws from every shard's stream; this process lays out only its
  // own shards' units of each batch, in order_.
  std::optional<ShardStreams> streams_;
  size_t epoch_units_ = 0;
  size_t batch_size_ = 0, batches_ = 0, batches_run_ = 0;
  Batch batch_;
  std::vector<nn::Matrix> best_;  // the best parameters so far: the caller gets them
  // What a checkpoint restores.
  std::mt19937_64 rng_;
  std::string epoch_rng_;
  int start_epoch_ = 1;
  size_t start_batch_ = 0;
  int bad_epochs_ = 0;
  int schedule_epochs_ = 0;
  const bool planning_;  // a --max-minutes budget plans the schedule
  std::chrono::steady_clock::time_point started_;
};

TrainingRun::TrainingRun(const Trainer& trainer, DualEncoder& model, const Dataset& dataset,
                         const Split& split, const TrainConfig& config, const TrainOptions& options)
    : trainer_(trainer),
      model_(model),
      dataset_(dataset),
      split_(split),
      config_(config),
      options_(options),
      threads_(config.threads > 0 ? config.threads : default_thread_count()),
      collective_(options.collective),
      rank_(collective_ ? collective_->rank() : 0),
      ranks_(collective_ ? collective_->size() : 1),
      pool_(threads_),
      barrier_(threads_),
      optimizer_(config, model.parameters()),
      shards_(threads_),
      rng_(config.seed),
      schedule_epochs_(config.schedule_epochs),
      planning_(config.schedule_epochs == 0 && config.cooldown && config.max_minutes > 0),
      started_(std::chrono::steady_clock::now()) {
  prepare_sampled_softmax();
  epoch_rng_ = rng_state(rng_);
  if (model_.config().has_features()) {
    extractor_.emplace(model_.config(), dataset_.catalog, dataset_.user_attribute_names);
  }
  for (auto& shard : shards_) shard.grads = model_.make_gradients();
  units_ =
      config_.causal ? causal_windows(split_.train, model_.config().context_length) : split_.train;
  if (config_.shift_windows) last_positions_ = last_training_positions(split_.train);
  batch_size_ = static_cast<size_t>(config_.batch_size);
  batches_ = (units_.size() + batch_size_ - 1) / batch_size_;
  epoch_units_ = units_.size();
  if (config_.shard_batches) {
    streams_.emplace(dataset_, units_, batch_size_, config_.seed, collective_);
    const size_t total = dataset_.total_shards;
    if (total % static_cast<size_t>(ranks_) != 0 ||
        dataset_.shard_ends.size() != total / static_cast<size_t>(ranks_)) {
      throw Error("--shard-batches: " + std::to_string(total) +
                  " shards do not split evenly over " + std::to_string(ranks_) +
                  " ranks: prepare again with --shards a multiple of " + std::to_string(ranks_));
    }
    if (!streams_->fits(threads_ * ranks_)) {
      throw Error("--shard-batches: " + std::to_string(threads_ * ranks_) +
                  " slices (ranks x threads) and " + std::to_string(total) +
                  " shards must divide one another; use powers of two");
    }
    batch_size_ = streams_->batch_rows();
    batches_ = streams_->batches_per_epoch();
    epoch_units_ = batches_ * batch_size_;
    units_.clear();
  }
}

void TrainingRun::prepare_sampled_softmax() {
  if (config_.loss != LossKind::kSampled) return;
  // Sampled softmax touches few label rows per batch: their gradients become sparse (lazy
  // updates).
  model_.parameters()[model_.label_index()].sparse_rows = true;
  sampler_.emplace(config_.shard_batches ? global_training_popularity(dataset_, split_, collective_)
                                         : training_popularity(dataset_, split_));
  correction_.assign(dataset_.catalog.size() + 1, 0.0f);
  for (size_t j = 1; j < correction_.size(); ++j) {
    correction_[j] = static_cast<float>(std::log(static_cast<double>(config_.negatives) *
                                                 sampler_->probability(static_cast<uint32_t>(j))));
  }
}

void TrainingRun::resume_from_checkpoint() {
  const std::string& path = options_.checkpoint;
  auto loaded = load_model(path);
  if (!loaded.training) throw Error(path + ": not a checkpoint (no training state)");
  if (loaded.model->parameters().size() != model_.parameters().size()) {
    throw Error(path + ": checkpoint is for a different model configuration");
  }
  for (size_t i = 0; i < model_.parameters().size(); ++i) {
    auto& dst = model_.parameters()[i].value;
    const auto& src = loaded.model->parameters()[i].value;
    if (dst.rows != src.rows || dst.cols != src.cols) {
      throw Error(path + ": checkpoint is for a different model configuration");
    }
    dst = src;
  }
  auto& state = *loaded.training;
  if (state.optimizer_slots.size() != optimizer_.slots().size()) {
    throw Error(path + ": checkpoint was written with another optimizer");
  }
  optimizer_.slots() = state.optimizer_slots;
  optimizer_.set_steps(state.optimizer_steps);
  const auto& progress = state.progress;
  start_epoch_ = progress.at("epoch").get<int>();
  start_batch_ = progress.at("batch").get<size_t>();
  bad_epochs_ = progress.at("bad_epochs").get<int>();
  optimizer_.set_lr_scale(progress.value("lr_scale", 1.0f));
  if (!config_.schedule_epochs) schedule_epochs_ = progress.value("schedule_epochs", 0);
  result_.best_epoch = progress.at("best_epoch").get<int>();
  result_.best_ndcg10 = progress.at("best_ndcg10").get<double>();
  epoch_rng_ = progress.at("rng").get<std::string>();
  for (const auto& e : progress.at("history")) {
    result_.epochs.push_back({e.at(0).get<int>(), e.at(1).get<double>(), e.at(2).get<double>(),
                              e.at(3).get<double>(), e.at(4).get<double>(), e.at(5).get<double>()});
  }
  std::fprintf(stderr, "resuming from %s at epoch %d, batch %zu\n", path.c_str(), start_epoch_,
               start_batch_);
  report_changed_options(state.train);
}

// Options given anew override the checkpoint's run; say which, so a changed rate or batch size
// is not mistaken for the original run continuing unchanged.
void TrainingRun::report_changed_options(const nlohmann::json& before) const {
  const nlohmann::json now = config_;
  auto shown = [](const nlohmann::json& value) {
    if (!value.is_number_float()) return value.dump();
    char text[32];
    std::snprintf(text, sizeof text, "%g", value.get<double>());
    return std::string(text);
  };
  for (const auto& [key, value] : now.items()) {
    if (before.contains(key) && shown(before[key]) != shown(value)) {
      std::fprintf(stderr, "  %s: %s in the checkpoint's run, %s now (this run's value applies)\n",
                   key.c_str(), shown(before[key]).c_str(), shown(value).c_str());
    }
  }
}

void TrainingRun::save_checkpoint(int epoch, size_t batch) {
  if (options_.checkpoint.empty() || rank_ != 0) return;
  TrainingState state;
  state.train = config_;
  state.optimizer_slots = optimizer_.slots();
  state.optimizer_steps = optimizer_.steps();
  auto history = nlohmann::json::array();
  for (const auto& e : result_.epochs) {
    history.push_back(
        {e.epoch, e.loss, e.seconds, e.examples_per_second, e.valid_hr10, e.valid_ndcg10});
  }
  state.progress = {{"epoch", epoch},
                    {"batch", batch},
                    {"bad_epochs", bad_epochs_},
                    {"lr_scale", optimizer_.lr_scale()},
                    {"schedule_epochs", schedule_epochs_},
                    {"best_epoch", result_.best_epoch},
                    {"best_ndcg10", result_.best_ndcg10},
                    {"rng", epoch_rng_},
                    {"history", history}};
  save_model(options_.checkpoint, model_, dataset_.catalog, &state);
}

void TrainingRun::keep_best() {
  best_.clear();
  for (const auto& p : model_.parameters()) best_.push_back(p.value);
}

void TrainingRun::restore_best() {
  if (best_.size() != model_.parameters().size()) return;
  for (size_t i = 0; i < best_.size(); ++i) model_.parameters()[i].value = best_[i];
}

double TrainingRun::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

bool TrainingRun::out_of_time() const {
  return config_.max_minutes > 0 && elapsed_seconds() >= config_.max_minutes * 60.0;
}

// The schedule's factor for step b of an epoch: 1, then linear to zero over the cooldown.
float TrainingRun::schedule_scale(int epoch, size_t b) const {
  if (schedule_epochs_ <= 0) return 1.0f;
  const double total = static_cast<double>(schedule_epochs_) * static_cast<double>(batches_);
  const double cooldown = total * TrainConfig::kCooldownShare;
  const double step =
      static_cast<double>(epoch - 1) * static_cast<double>(batches_) + static_cast<double>(b);
  return static_cast<float>(std::clamp((total - step) / cooldown, 0.0, 1.0));
}

TrainResult TrainingRun::run() {
  if (options_.resume && !options_.checkpoint.empty() &&
      std::filesystem::exists(options_.checkpoint)) {
    resume_from_checkpoint();
  }
  if (result_.best_epoch > 0 && !options_.model_out.empty() &&
      std::filesystem::exists(options_.model_out)) {
    auto saved = load_model(options_.model_out);
    for (const auto& p : saved.model->parameters()) best_.push_back(p.value);
  }
  for (int epoch = start_epoch_; epoch <= config_.epochs; ++epoch) {
    restore_rng(rng_, epoch_rng_);
    if (!streams_) {
      order_ = config_.shift_windows
                   ? shifted_causal_windows(last_positions_, model_.config().context_length, rng_)
                   : units_;
      std::shuffle(order_.begin(), order_.end(), rng_);
    }
    const std::string next_epoch_rng = rng_state(rng_);
    const auto started = std::chrono::steady_clock::now();
    ProgressBar bar("epoch " + std::to_string(epoch), epoch_units_,
                    config_.causal ? "windows" : "examples");
    EpochTotals totals;
    if (!train_epoch(epoch, bar, totals)) {
      if (collective_) {
        result_.bytes_sent = collective_->bytes_sent;
        result_.transport_seconds = collective_->seconds;
      }
      return result_;
    }
    start_batch_ = 0;
    epoch_rng_ = next_epoch_rng;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EpochReport report = validate(epoch, seconds, totals);
    if (options_.progress) {
      char status[128];
      std::snprintf(status, sizeof status, "loss %.4f  valid HR@10 %.4f NDCG@10 %.4f", report.loss,
                    report.valid_hr10, report.valid_ndcg10);
      bar.finish(status);
    }
    const bool stop = end_epoch(report);
    save_checkpoint(stop ? config_.epochs + 1 : epoch + 1, 0);
    if (stop) {
      result_.early_stopped = !result_.out_of_time && !result_.schedule_done;
      break;
    }
  }
  restore_best();
  if (collective_) {
    result_.bytes_sent = collective_->bytes_sent;
    result_.transport_seconds = collective_->seconds;
  }
  result_.lr_scale = optimizer_.lr_scale();
  result_.schedule_epochs = schedule_epochs_;
  return result_;
}

bool TrainingRun::train_epoch(int epoch, ProgressBar& bar, EpochTotals& totals) {
  for (size_t b = start_batch_; b < batches_; ++b) {
    bool over_budget = out_of_time();
    bool stop = interrupted() || (options_.max_batches && batches_run_ == options_.max_batches);
    if (ranks_ > 1) {  // every rank stops at the same batch
      over_budget = collective_->any(over_budget);
      stop = collective_->any(stop);
    }
    if (over_budget) {
      // The budget ends training like early stopping: this partial epoch is still validated.
      result_.out_of_time = true;
      break;
    }
    if (stop) {
      save_checkpoint(epoch, b);
      result_.interrupted = true;
      result_.lr_scale = optimizer_.lr_scale();
      if (options_.progress && interrupted()) {
        std::fprintf(stderr, "\ninterrupted: state saved, resume with --resume\n");
      }
      return false;
    }
    const auto batch_started = std::chrono::steady_clock::now();
    const size_t examples_before = totals.examples;
    train_batch(epoch, b, totals);
    result_.batch_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_started).count();
    result_.batch_targets += totals.examples - examples_before;
    ++result_.batches;
    ++batches_run_;
    if (options_.progress) {
      char status[64];
      std::snprintf(status, sizeof status, "loss %.4f",
                    totals.loss_sum / std::max<size_t>(totals.local_examples, 1));
      bar.update(std::min(epoch_units_, (b + 1) * batch_size_), status);
    }
  }
  return true;
}

// One team run per batch: every thread does its slice's forward and backward, then its slice of
// the gradient sum and of the dense parameter update.
void TrainingRun::train_batch(int epoch, size_t b, EpochTotals& totals) {
  // The rows this process builds: the whole batch, or with --shard-batches its shards' rows,
  // which start at global row `row_offset`.
  std::span<const Position> slice;
  size_t row_offset = 0;
  if (streams_) {
    streams_->batch_units(epoch, b, order_);
    slice = order_;
    row_offset = streams_->first_row();
  } else {
    const size_t begin = b * batch_size_, end = std::min(order_.size(), begin + batch_size_);
    slice = std::span<const Position>(order_).subspan(begin, end - begin);
  }
  if (config_.causal) {
    make_causal_batch(dataset_, slice, model_.config(), batch_, config_.exclude_seen);
  } else {
    make_batch(dataset_, slice, model_.config(), batch_, config_.exclude_seen);
  }
  optimizer_.set_schedule_scale(schedule_scale(epoch, b));
  const int length = model_.config().context_length;
  const int count = streams_ ? static_cast<int>(streams_->batch_rows()) : batch_.size;
  size_t targets = config_.causal ? batch_.targets.size() -
                                        std::count(batch_.targets.begin(), batch_.targets.end(), 0u)
                                  : static_cast<size_t>(count);
  if (streams_ && config_.causal && ranks_ > 1) {
    targets = static_cast<size_t>(collective_->sum(static_cast<double>(targets)));
  }
  const size_t targets_per_row = config_.causal ? static_cast<size_t>(length) : 1;
  const int slices = threads_ * ranks_;
  const int per_shard = (count + slices - 1) / slices;
  const float scale = 1.0f / static_cast<float>(std::max<size_t>(targets, 1));
  const bool sampled = sampler_.has_value();
  if (sampled) {
    // Seeded by (seed, epoch, batch), so a resumed run draws the same negatives.
    std::mt19937_64 batch_rng(config_.seed * 0x9E3779B97F4A7C15ull ^
                              (static_cast<uint64_t>(epoch) << 32) ^ b);
    sampler_->sample(batch_rng, config_.negatives, negatives_);
  }
  pool_.run_team([&](int s) {
    auto& shard = shards_[s];
    shard.loss = 0;
    shard.targets = 0;
    const int global_slice = rank_ * threads_ + s;
    int first = global_slice * per_shard, n = std::min(count, first + per_shard) - first;
    if (streams_) {
      const auto [begin, end] = streams_->slice_rows(global_slice, slices);
      first = static_cast<int>(begin);
      n = static_cast<int>(end - begin);
    }
    // This slice's rows in this process's batch.
    const size_t local = static_cast<size_t>(std::max(first, 0)) - row_offset;
    if (n > 0) {
      const int32_t* contexts = batch_.contexts.data() + local * length;
      // Dropout masks follow (seed, epoch, batch, sequence), not the thread layout.
      shard.encoder.dropout = {
          true,
          config_.seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(epoch) << 40) ^ (b << 8),
          static_cast<uint64_t>(first)};
      if (config_.causal) {
        model_.encode_steps(contexts, n, shard.encoder);
      } else if (extractor_) {
        extractor_->resize(shard.features, n);
        for (int i = 0; i < n; ++i) {
          const Position& p = slice[local + i];
          extractor_->fill(dataset_.timelines[p.timeline], p.pos, i, shard.features);
        }
        model_.encode(shard.features, shard.encoder);
      } else {
        model_.encode(contexts, n, shard.encoder);
      }
      int bias = model_.label_bias_index();
      const uint32_t* shard_targets = batch_.targets.data() + local * targets_per_row;
      shard.targets = config_.causal
                          ? static_cast<size_t>(n) * targets_per_row -
                                std::count(shard_targets, shard_targets + n * targets_per_row, 0u)
                          : static_cast<size_t>(n);
      nn::Gradient* bias_grad = bias >= 0 ? &shard.grads[bias] : nullptr;
      shard.loss =
          sampled
              ? sampled_softmax_cross_entropy(
                    shard.encoder.user(), shard_targets, model_.label_table(), model_.label_bias(),
                    negatives_, correction_, scale, shard.logits, shard.encoder.user_grad(),
                    shard.grads[model_.label_index()], bias_grad)
              : softmax_cross_entropy(
                    shard.encoder.user(), shard_targets, model_.label_table(), model_.label_bias(),
                    scale, shard.logits, shard.encoder.user_grad(),
                    shard.grads[model_.label_index()], bias_grad,
                    batch_.seen.empty() ? nullptr : batch_.seen.data() + local * targets_per_row);
      model_.encode_backward(shard.encoder, shard.grads);
    }
    barrier_.arrive_and_wait();
    if (rank_ > 0) {
      if (s == 0) receive_earlier_sum();
      barrier_.arrive_and_wait();
    }
    sum_dense_slice(shards_, s, threads_);
    barrier_.arrive_and_wait();
    if (s == 0) {
      sum_sparse(shards_);
      if (ranks_ > 1) pass_sum_on();
      sort_rows(shards_[0].grads);
      optimizer_.begin_step(model_.parameters(), shards_[0].grads);
    }
    barrier_.arrive_and_wait();
    optimizer_.update_dense_slice(model_.parameters(), shards_[0].grads, s, threads_);
  });
  for (const auto& shard : shards_) {
    totals.loss_sum += shard.loss;
    totals.local_examples += shard.targets;
  }
  totals.examples += targets;
}

EpochReport TrainingRun::validate(int epoch, double seconds, const EpochTotals& totals) {
  EpochReport report{epoch,   totals.loss_sum / std::max<size_t>(totals.examples, 1),
                     seconds, totals.examples / std::max(seconds, 1e-9),
                     0,       0};
  if (ranks_ > 1)
    report.loss = collective_->sum(totals.loss_sum) / std::max<size_t>(totals.examples, 1);
  if (!split_.valid.empty()) {
    auto metrics = validation_metrics();
    report.valid_hr10 = metrics.hit_rate(10);
    report.valid_ndcg10 = metrics.ndcg(10);
  }
  result_.epochs.push_back(report);
  return report;
}

bool TrainingRun::end_epoch(const EpochReport& report) {
  const int epoch = report.epoch;
  const bool improved = split_.valid.empty() || report.valid_ndcg10 > result_.best_ndcg10;
  if (improved) {
    result_.best_ndcg10 = report.valid_ndcg10;
    result_.best_epoch = epoch;
    bad_epochs_ = 0;
    keep_best();
    if (!options_.model_out.empty() && rank_ == 0) {
      save_model(options_.model_out, model_, dataset_.catalog);
    }
  } else {
    ++bad_epochs_;
    if (config_.lr_decay_patience > 0 && bad_epochs_ % config_.lr_decay_patience == 0) {
      optimizer_.set_lr_scale(optimizer_.lr_scale() * config_.lr_decay_factor);
      if (options_.progress) {
        std::fprintf(stderr, "learning rate x%g after %d epochs without gain\n",
                     static_cast<double>(optimizer_.lr_scale()), bad_epochs_);
      }
    }
  }
  if (planning_ && !result_.out_of_time) plan_under_budget(epoch);
  result_.schedule_done = schedule_epochs_ > 0 && epoch >= schedule_epochs_;
  // A schedule runs to its end: its cooldown is what lifts a plateau that would stop it.
  const bool patience_ran_out = schedule_epochs_ == 0 && bad_epochs_ >= config_.patience;
  return patience_ran_out || result_.out_of_time || result_.schedule_done;
}

// The plan follows the measured pace until its cooldown begins; from then on it is fixed, so
// the rate falls smoothly.
void TrainingRun::plan_under_budget(int epoch) {
  constexpr double kSteady = 1 - TrainConfig::kCooldownShare;
  if (schedule_epochs_ != 0 && epoch >= schedule_epochs_ * kSteady) return;
  const int earliest = static_cast<int>(std::ceil(epoch / kSteady));
  schedule_epochs_ = agree(std::max(
      trainer_.plan_schedule(epoch, epoch - start_epoch_ + 1, elapsed_seconds()), earliest));
  if (options_.progress && epoch + 1 > schedule_epochs_ * kSteady) {
    std::fprintf(stderr,
                 "cooldown: the learning rate falls to zero by epoch %d, where the %g-minute "
                 "budget ends\n",
                 schedule_epochs_, config_.max_minutes);
  }
}

void TrainingRun::receive_earlier_sum() {
  collective_->receive(rank_ - 1, message_);
  read_gradients(message_, shards_[0].grads, true);
}

void TrainingRun::pass_sum_on() {
  const int last = ranks_ - 1;
  if (rank_ < last) {
    write_gradients(shards_[0].grads, message_);
    collective_->send(rank_ + 1, message_);
    collective_->broadcast(last, message_);
    read_gradients(message_, shards_[0].grads, false);
  } else {
    write_gradients(shards_[0].grads, message_);
    collective_->broadcast(last, message_);
  }
  ++result_.steps;
}

int TrainingRun::agree(int value) {
  if (ranks_ < 2) return value;
  std::vector<char> bytes(sizeof value);
  std::memcpy(bytes.data(), &value, sizeof value);
  collective_->broadcast(0, bytes);
  std::memcpy(&value, bytes.data(), sizeof value);
  return value;
}

// Validation split across ranks by chunks of users; the chunks' metrics merge in chunk order on
// every rank, as evaluate() merges them in one process.
RankingMetrics TrainingRun::validation_metrics() {
  const auto scorer = model_scorer(model_, dataset_);
  if (streams_) return evaluate_by_shard(scorer, dataset_, split_.valid, {}, pool_, collective_);
  if (ranks_ < 2) return evaluate(scorer, dataset_, split_.valid, {}, pool_);
  auto chunks = evaluate_chunks(scorer, dataset_, split_.valid, {}, pool_, rank_, ranks_);
  std::vector<char> mine;
  for (size_t c = rank_; c < chunks.size(); c += ranks_) chunks[c].write(mine);
  std::vector<std::vector<char>> all;
  collective_->gather_all(mine, all);
  for (int r = 0; r < ranks_; ++r) {
    size_t at = 0;
    for (size_t c = r; c < chunks.size(); c += ranks_) chunks[c] = RankingMetrics::read(all[r], at);
  }
  RankingMetrics total(dataset_.catalog.size());
  for (const auto& c : chunks) total.merge(c);
  return total;
}

}  // namespace

Trainer::Trainer(DualEncoder& model, const Dataset& dataset, const Split& split, TrainConfig config)
    : model_(model), dataset_(dataset), split_(split), config_(std::move(config)) {
  config_.validate();
  if (split_.train.empty()) throw Error("training: the split has no training examples");
  if (config_.causal) {
    const auto& model_config = model_.config();
    if (!is_recurrent(model_config.encoder) && model_config.encoder != EncoderKind::kAttention) {
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
  return TrainingRun(*this, model_, dataset_, split_, config_, options).run();
}

// The epochs that fit the budget at the pace so far, with a margin for slower epochs: a cut
// before the cooldown ends would lose most of its gain.
int Trainer::plan_schedule(int epoch, int epochs_run, double elapsed) const {
  constexpr double kBudgetMargin = 0.9;
  const double per_epoch = elapsed / std::max(epochs_run, 1);
  const double remaining = config_.max_minutes * 60.0 * kBudgetMargin - elapsed;
  const int more = static_cast<int>(std::max(0.0, remaining) / std::max(per_epoch, 1e-9));
  return std::clamp(epoch + more, epoch + 1, std::max(config_.epochs, epoch + 1));
}

}  // namespace pocketrec
