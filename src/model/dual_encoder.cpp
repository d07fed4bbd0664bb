#include "model/dual_encoder.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "model/initializers.hpp"
#include "nn/layers.hpp"

namespace pocketrec {
namespace {

// Resizes only when the shape changes: the buffers are overwritten by every pass anyway.
void ensure(nn::Matrix& m, int rows, int cols) {
  if (m.rows != rows || m.cols != cols) m.resize(rows, cols);
}

}  // namespace

DualEncoder::DualEncoder(ModelConfig config) : config_(std::move(config)) {
  config_.validate();
  const int rows = config_.items + 1;
  params_.push_back({"context_embedding", nn::Matrix(rows, config_.embedding_dim), true});
  const auto groups = config_.activity_groups();
  int offset = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    activity_.push_back(make_group(groups[g], false, static_cast<int>(g)));
    activity_.back().offset = offset;
    offset += activity_.back().encoder->output_dim();
  }
  for (size_t g = 0; g < config_.features.global.size(); ++g) {
    global_.push_back(make_group(config_.features.global[g], true, static_cast<int>(g)));
    global_.back().offset = offset;
    offset += global_.back().width;
  }
  pooled_width_ = offset;
  int width = offset;
  std::vector<int> dims = config_.hidden;
  if (config_.output_dim > 0) dims.push_back(config_.output_dim);
  for (size_t i = 0; i < dims.size(); ++i) {
    bool projection = config_.output_dim > 0 && i + 1 == dims.size();
    std::string name = projection ? "projection" : "hidden_" + std::to_string(i);
    dense_index_.push_back(static_cast<int>(params_.size()));
    params_.push_back({name + "/weight", nn::Matrix(width, dims[i]), false});
    params_.push_back({name + "/bias", nn::Matrix(1, dims[i]), false});
    width = dims[i];
  }
  if (config_.tie_embeddings) {
    label_index_ = 0;
    params_[0].sparse_rows = false;  // the softmax touches every row
  } else {
    label_index_ = static_cast<int>(params_.size());
    params_.push_back({"label_embedding", nn::Matrix(rows, width), false});
  }
  if (config_.label_bias) {
    label_bias_index_ = static_cast<int>(params_.size());
    params_.push_back({"label_bias", nn::Matrix(1, rows), false});
  }
}

DualEncoder::Group DualEncoder::make_group(const FeatureGroupSpec& spec, bool global,
                                           int group_number) {
  Group group;
  group.spec = spec;
  for (const auto& f : spec.features) {
    group.columns.push_back(group.width);
    group.width += f.width();
    if (f.is_float) {
      ++group.value_count;
      continue;
    }
    ++group.token_count;
    if (f.source != FeatureSource::kItem && f.vocab.size() < 2) {
      throw Error("feature '" + f.name +
                  "' has no vocabulary: bind the features to a dataset before building the model");
    }
    if (f.source == FeatureSource::kItem) {
      group.tables.push_back(0);
    } else {
      group.tables.push_back(static_cast<int>(params_.size()));
      params_.push_back(
          {"embedding/" + f.name, nn::Matrix(f.rows(config_.items), f.embedding_dim), true});
    }
  }
  if (!global) {
    // Group 0 keeps the historical parameter names, so item-id models read and export as before.
    std::string prefix = group_number == 0 ? "" : "group_" + std::to_string(group_number) + "/";
    group.encoder.emplace(spec.encoder, spec.length(), group.width, config_, prefix, params_);
  }
  return group;
}

void DualEncoder::initialize(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const bool truncated = config_.init == InitKind::kTruncatedNormal;
  auto init_table = [&](nn::Matrix& table) {
    fill_normal(table, 1.0f / std::sqrt(static_cast<float>(table.cols)), truncated, rng, 1);
  };
  init_table(params_[0].value);
  for (const auto& group : activity_) {
    for (int table : group.tables) {
      if (table != 0) init_table(params_[table].value);
    }
    group.encoder->initialize(params_, rng);
  }
  for (const auto& group : global_) {
    for (int table : group.tables) init_table(params_[table].value);
  }
  for (int index : dense_index_) {
    fill_glorot(params_[index].value, rng);
    std::fill(params_[index + 1].value.data.begin(), params_[index + 1].value.data.end(), 0.0f);
  }
  if (label_index_ != 0) init_table(params_[label_index_].value);
}

Gradients DualEncoder::make_gradients() const {
  Gradients grads(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    grads[i].init(params_[i].value.rows, params_[i].value.cols, params_[i].sparse_rows);
  }
  return grads;
}

size_t DualEncoder::parameter_count() const {
  size_t total = 0;
  for (const auto& p : params_) total += p.value.size();
  return total;
}

bool DualEncoder::dense_relu(size_t layer) const {
  const bool projection = config_.output_dim > 0 && layer + 1 == dense_index_.size();
  return !projection || config_.final_relu;
}

std::vector<DualEncoder::DenseLayer> DualEncoder::dense_layers() const {
  std::vector<DenseLayer> layers;
  for (size_t i = 0; i < dense_index_.size(); ++i) {
    const Parameter& weight = params_[dense_index_[i]];
    std::string name = weight.name.substr(0, weight.name.rfind('/'));
    layers.push_back({name, &weight.value, &params_[dense_index_[i] + 1].value, dense_relu(i)});
  }
  return layers;
}

void DualEncoder::encode(const int32_t* contexts, int batch, EncoderWorkspace& ws) const {
  if (config_.has_features()) {
    throw Error("this model has side features: encode it from a FeatureBatch");
  }
  ws.groups.resize(1);
  ws.groups[0].tokens = contexts;
  ws.groups[0].values = nullptr;
  run(batch, false, ws);
}

void DualEncoder::encode(const FeatureBatch& features, EncoderWorkspace& ws) const {
  if (!config_.has_features()) {
    encode(features.tokens.at(0).data(), features.batch, ws);
    return;
  }
  if (features.tokens.size() != activity_.size() ||
      features.global_tokens.size() != global_.size()) {
    throw Error("feature batch does not match the model's feature groups");
  }
  ws.groups.resize(activity_.size());
  for (size_t g = 0; g < activity_.size(); ++g) {
    ws.groups[g].tokens = features.tokens[g].data();
    ws.groups[g].values = features.values[g].data();
  }
  ws.global_tokens.clear();
  ws.global_values.clear();
  for (size_t g = 0; g < global_.size(); ++g) {
    ws.global_tokens.push_back(features.global_tokens[g].data());
    ws.global_values.push_back(features.global_values[g].data());
  }
  run(features.batch, false, ws);
}

void DualEncoder::encode_steps(const int32_t* contexts, int batch, EncoderWorkspace& ws) const {
  if (config_.has_features() || !activity_.front().encoder->every_step()) {
    throw Error("causal training needs a recurrent or attention encoder over item ids alone");
  }
  ws.groups.resize(1);
  ws.groups[0].tokens = contexts;
  ws.groups[0].values = nullptr;
  run(batch, true, ws);
}

void DualEncoder::embed(const Group& group, int rows, GroupWorkspace& gw) const {
  ensure(gw.input, rows, group.width);
  ensure(gw.input_grad, rows, group.width);
  if (group.token_count == 1 && group.value_count == 0) {
    nn::embedding_forward(params_[group.tables[0]].value, gw.tokens, rows, gw.input.data.data());
    gw.mask_ids = gw.tokens;
    return;
  }
  float* input = gw.input.data.data();
  const int width = group.width;
  size_t token = 0, value = 0;
  for (size_t f = 0; f < group.spec.features.size(); ++f) {
    float* column = input + group.columns[f];
    if (group.spec.features[f].is_float) {
      for (int r = 0; r < rows; ++r) {
        column[static_cast<size_t>(r) * width] = gw.values[r * group.value_count + value];
      }
      ++value;
    } else {
      nn::embedding_forward_strided(params_[group.tables[token]].value, gw.tokens + token,
                                    group.token_count, rows, column, width);
      ++token;
    }
  }
  // A position is padding when all its features are zero (how FeatureExtractor pads).
  gw.mask.resize(rows);
  for (int r = 0; r < rows; ++r) {
    bool present = false;
    for (int t = 0; t < group.token_count; ++t)
      present |= gw.tokens[r * group.token_count + t] != 0;
    for (int v = 0; v < group.value_count; ++v)
      present |= gw.values[r * group.value_count + v] != 0;
    gw.mask[r] = present;
  }
  gw.mask_ids = gw.mask.data();
}

void DualEncoder::embed_backward(const Group& group, int rows, const float* input_grad,
                                 const GroupWorkspace& gw, Gradients& grads) const {
  size_t token = 0;
  for (size_t f = 0; f < group.spec.features.size(); ++f) {
    if (group.spec.features[f].is_float) continue;
    nn::embedding_backward_strided(gw.tokens + token, group.token_count, rows,
                                   input_grad + group.columns[f], group.width,
                                   grads[group.tables[token]]);
    ++token;
  }
}

void DualEncoder::run(int batch, bool every_step, EncoderWorkspace& ws) const {
  const size_t layers = dense_index_.size() + 1;
  const int length = config_.context_length;
  const int rows = every_step ? batch * length : batch;
  const bool direct = pools_in_place(every_step);
  ws.batch = batch;
  ws.every_step = every_step;
  ws.layers.resize(layers);
  ws.grads.resize(layers);
  ensure(ws.layers[0], rows, pooled_width_);
  ensure(ws.grads[0], rows, pooled_width_);
  for (size_t i = 0; i < dense_index_.size(); ++i) {
    int width = params_[dense_index_[i]].value.cols;
    ensure(ws.layers[i + 1], rows, width);
    ensure(ws.grads[i + 1], rows, width);
  }
  nn::Matrix& pooled_all = ws.layers[0];
  for (size_t g = 0; g < activity_.size(); ++g) {
    const Group& group = activity_[g];
    const SequenceEncoder& encoder = *group.encoder;
    GroupWorkspace& gw = ws.groups[g];
    embed(group, batch * encoder.length(), gw);
    gw.encoder.dropout = ws.dropout;
    ensure(gw.pooled, batch, encoder.output_dim());
    ensure(gw.pooled_grad, batch, encoder.output_dim());
    float* out = direct ? pooled_all.data.data() : gw.pooled.data.data();
    encoder.forward(params_, gw.input.data.data(), gw.mask_ids, batch, gw.encoder, out);
    if (direct) continue;
    if (every_step) {
      // The state after every step, row b * L + t, so the head scores every position.
      for (int b = 0; b < batch; ++b) {
        for (int t = 0; t < length; ++t) {
          std::memcpy(pooled_all.row(b * length + t), encoder.step_state(gw.encoder, t + 1, b),
                      sizeof(float) * encoder.output_dim());
        }
      }
      continue;
    }
    for (int b = 0; b < batch; ++b) {
      std::memcpy(pooled_all.row(b) + group.offset, gw.pooled.row(b),
                  sizeof(float) * encoder.output_dim());
    }
  }
  for (size_t g = 0; g < global_.size(); ++g) {
    const Group& group = global_[g];
    const int32_t* tokens = ws.global_tokens[g];
    const float* values = ws.global_values[g];
    float* out = pooled_all.data.data() + group.offset;
    size_t token = 0, value = 0;
    for (size_t f = 0; f < group.spec.features.size(); ++f) {
      float* column = out + group.columns[f];
      if (group.spec.features[f].is_float) {
        for (int b = 0; b < batch; ++b) {
          column[static_cast<size_t>(b) * pooled_all.cols] = values[b * group.value_count + value];
        }
        ++value;
      } else {
        nn::embedding_forward_strided(params_[group.tables[token]].value, tokens + token,
                                      group.token_count, batch, column, pooled_all.cols);
        ++token;
      }
    }
  }
  for (size_t i = 0; i < dense_index_.size(); ++i) {
    const auto& weight = params_[dense_index_[i]].value;
    const auto& bias = params_[dense_index_[i] + 1].value;
    nn::Matrix& out = ws.layers[i + 1];
    nn::dense_forward(weight, bias, ws.layers[i].data.data(), rows, out.data.data());
    if (dense_relu(i)) nn::relu_forward(out.data.data(), out.size());
  }
}

void DualEncoder::encode_backward(EncoderWorkspace& ws, Gradients& grads) const {
  const int batch = ws.batch;
  const int rows = ws.every_step ? batch * config_.context_length : batch;
  for (size_t i = dense_index_.size(); i-- > 0;) {
    nn::Matrix& out = ws.layers[i + 1];
    nn::Matrix& out_grad = ws.grads[i + 1];
    if (dense_relu(i)) nn::relu_backward(out.data.data(), out_grad.data.data(), out.size());
    int w = dense_index_[i];
    nn::dense_backward(params_[w].value, ws.layers[i].data.data(), out_grad.data.data(), rows,
                       ws.grads[i].data.data(), grads[w], grads[w + 1]);
  }
  const nn::Matrix& pooled_grad = ws.grads[0];
  const bool direct = pools_in_place(ws.every_step);
  for (size_t g = 0; g < activity_.size(); ++g) {
    const Group& group = activity_[g];
    const SequenceEncoder& encoder = *group.encoder;
    GroupWorkspace& gw = ws.groups[g];
    const float* out_grad = pooled_grad.data.data();
    const float* step_grads = nullptr;
    if (ws.every_step) {
      // The head ran on all B*L states: they reach the recurrence step by step.
      std::fill(gw.pooled_grad.data.begin(), gw.pooled_grad.data.end(), 0.0f);
      out_grad = gw.pooled_grad.data.data();
      step_grads = pooled_grad.data.data();
    } else if (!direct) {
      for (int b = 0; b < batch; ++b) {
        std::memcpy(gw.pooled_grad.row(b), pooled_grad.row(b) + group.offset,
                    sizeof(float) * encoder.output_dim());
      }
      out_grad = gw.pooled_grad.data.data();
    }
    encoder.backward(params_, gw.input.data.data(), gw.mask_ids, gw.encoder, out_grad, step_grads,
                     gw.input_grad.data.data(), grads);
    embed_backward(group, batch * encoder.length(), gw.input_grad.data.data(), gw, grads);
  }
  for (size_t g = 0; g < global_.size(); ++g) {
    const Group& group = global_[g];
    size_t token = 0;
    for (size_t f = 0; f < group.spec.features.size(); ++f) {
      if (group.spec.features[f].is_float) continue;
      nn::embedding_backward_strided(ws.global_tokens[g] + token, group.token_count, batch,
                                     pooled_grad.data.data() + group.offset + group.columns[f],
                                     pooled_grad.cols, grads[group.tables[token]]);
      ++token;
    }
  }
}

}  // namespace pocketrec
