#include "model/dual_encoder.hpp"

#include <cmath>
#include <cstring>

#include <random>
#include "core/error.hpp"

#include "nn/layers.hpp"

namespace pocketrec {
namespace {

void fill_normal(nn::Matrix& m, float stddev, bool truncated, std::mt19937_64& rng, int first_row) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int r = first_row; r < m.rows; ++r) {
    for (int c = 0; c < m.cols; ++c) {
      float z = normal(rng);
      while (truncated && std::fabs(z) > 2.0f) z = normal(rng);
      m.at(r, c) = z * stddev;
    }
  }
}

void fill_glorot(nn::Matrix& m, std::mt19937_64& rng) {
  float limit = std::sqrt(6.0f / static_cast<float>(m.rows + m.cols));
  std::uniform_real_distribution<float> uniform(-limit, limit);
  for (float& v : m.data) v = uniform(rng);
}

}  // namespace

DualEncoder::DualEncoder(ModelConfig config) : config_(std::move(config)) {
  config_.validate();
  const int rows = config_.items + 1;
  context_index_ = 0;
  params_.push_back({"context_embedding", nn::Matrix(rows, config_.embedding_dim), true});
  if (config_.encoder == "cnn") {
    conv_index_ = static_cast<int>(params_.size());
    int channels = config_.embedding_dim;
    for (size_t i = 0; i < config_.conv_ratios.size(); ++i) {
      int filters = config_.embedding_dim * config_.conv_ratios[i];
      std::string name = "conv_" + std::to_string(i);
      params_.push_back(
          {name + "/weight", nn::Matrix(config_.conv_kernel * channels, filters), false});
      params_.push_back({name + "/bias", nn::Matrix(1, filters), false});
      channels = filters;
    }
  }
  if (config_.encoder == "gru" || config_.encoder == "lstm") {
    const int units = config_.rnn_units;
    const int gates = config_.encoder == "gru" ? 3 : 4;
    rnn_index_ = static_cast<int>(params_.size());
    params_.push_back(
        {config_.encoder + "/input", nn::Matrix(config_.embedding_dim, gates * units), false});
    params_.push_back({config_.encoder + "/recurrent", nn::Matrix(units, gates * units), false});
    params_.push_back({config_.encoder + "/bias", nn::Matrix(1, gates * units), false});
  }
  int width = config_.encoder_dim();
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
    label_index_ = context_index_;
    params_[context_index_].sparse_rows = false;  // the softmax touches every row
  } else {
    label_index_ = static_cast<int>(params_.size());
    params_.push_back({"label_embedding", nn::Matrix(rows, width), false});
  }
  if (config_.label_bias) {
    label_bias_index_ = static_cast<int>(params_.size());
    params_.push_back({"label_bias", nn::Matrix(1, rows), false});
  }
}

void DualEncoder::initialize(uint64_t seed) {
  std::mt19937_64 rng(seed);
  bool truncated = config_.init == "truncated-normal";
  auto& context = params_[context_index_].value;
  fill_normal(context, 1.0f / std::sqrt(static_cast<float>(context.cols)), truncated, rng, 1);
  for (size_t i = 0; conv_index_ >= 0 && i < config_.conv_ratios.size(); ++i) {
    fill_glorot(params_[conv_index_ + 2 * i].value, rng);
  }
  if (rnn_index_ >= 0) {
    fill_glorot(params_[rnn_index_].value, rng);
    fill_glorot(params_[rnn_index_ + 1].value, rng);
    if (config_.encoder == "lstm") {
      // Forget-gate bias 1: the usual start that lets the cell remember early on.
      auto& bias = params_[rnn_index_ + 2].value;
      for (int u = 0; u < config_.rnn_units; ++u) bias.at(0, config_.rnn_units + u) = 1.0f;
    }
  }
  for (int index : dense_index_) {
    fill_glorot(params_[index].value, rng);
    std::fill(params_[index + 1].value.data.begin(), params_[index + 1].value.data.end(), 0.0f);
  }
  if (label_index_ != context_index_) {
    auto& label = params_[label_index_].value;
    fill_normal(label, 1.0f / std::sqrt(static_cast<float>(label.cols)), truncated, rng, 1);
  }
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

void DualEncoder::conv_forward(const int32_t* contexts, int batch, EncoderWorkspace& ws) const {
  const size_t layers = config_.conv_ratios.size();
  ws.conv.resize(layers);
  ws.conv_out.resize(layers);
  ws.conv_grad.resize(layers);
  ws.conv_mask.resize(layers + 1);
  int length = config_.context_length;
  ws.conv_mask[0].resize(static_cast<size_t>(batch) * length);
  for (size_t i = 0; i < ws.conv_mask[0].size(); ++i) ws.conv_mask[0][i] = contexts[i] != 0;
  // Padding rows of the embedding table are zero and never trained, so padded inputs are zeros.
  const float* input = ws.embedded.data.data();
  int channels = config_.embedding_dim;
  for (size_t i = 0; i < layers; ++i) {
    const auto& weight = params_[conv_index_ + 2 * i].value;
    nn::Conv1dShape shape{batch,      length, channels, config_.conv_kernel, config_.conv_kernel,
                          weight.cols};
    ws.conv_out[i].resize(batch * shape.out_length(), weight.cols);
    ws.conv_grad[i].resize(batch * shape.out_length(), weight.cols);
    nn::conv1d_forward(weight, params_[conv_index_ + 2 * i + 1].value, input, shape, ws.conv[i],
                       ws.conv_out[i].data.data());
    nn::relu_forward(ws.conv_out[i].data.data(), ws.conv_out[i].size());
    ws.conv_mask[i + 1] = nn::conv1d_mask(ws.conv_mask[i], shape);
    input = ws.conv_out[i].data.data();
    length = shape.out_length();
    channels = weight.cols;
  }
  nn::masked_max_forward(input, ws.conv_mask[layers], batch, length, channels,
                         ws.layers[0].data.data(), ws.max_winner);
}

void DualEncoder::conv_backward(EncoderWorkspace& ws, Gradients& grads) const {
  const size_t layers = config_.conv_ratios.size();
  const int batch = ws.batch;
  const auto& last = ws.conv[layers - 1].shape;
  nn::masked_max_backward(ws.max_winner, batch, last.out_length(), last.filters,
                          ws.grads[0].data.data(), ws.conv_grad[layers - 1].data.data());
  for (size_t i = layers; i-- > 0;) {
    nn::relu_backward(ws.conv_out[i].data.data(), ws.conv_grad[i].data.data(),
                      ws.conv_out[i].size());
    float* input_grad = i == 0 ? ws.embedded_grad.data.data() : ws.conv_grad[i - 1].data.data();
    int w = conv_index_ + 2 * static_cast<int>(i);
    nn::conv1d_backward(params_[w].value, ws.conv[i], ws.conv_grad[i].data.data(), input_grad,
                        grads[w], grads[w + 1]);
  }
}

nn::GruWeights DualEncoder::gru_weights() const {
  return {params_[rnn_index_].value, params_[rnn_index_ + 1].value, params_[rnn_index_ + 2].value};
}

nn::LstmWeights DualEncoder::lstm_weights() const {
  return {params_[rnn_index_].value, params_[rnn_index_ + 1].value, params_[rnn_index_ + 2].value};
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
  run_encoder(contexts, batch, false, ws);
}

void DualEncoder::encode_steps(const int32_t* contexts, int batch, EncoderWorkspace& ws) const {
  if (rnn_index_ < 0) throw Error("causal training needs a recurrent encoder (gru or lstm)");
  run_encoder(contexts, batch, true, ws);
}

void DualEncoder::run_encoder(const int32_t* contexts, int batch, bool every_step,
                              EncoderWorkspace& ws) const {
  const int length = config_.context_length;
  const int dim = config_.embedding_dim;
  const size_t layers = dense_index_.size() + 1;
  const int rows = every_step ? batch * length : batch;
  if (ws.layers.size() != layers || ws.batch != batch || ws.every_step != every_step) {
    ws.batch = batch;
    ws.every_step = every_step;
    ws.embedded.resize(batch * length, dim);
    ws.embedded_grad.resize(batch * length, dim);
    ws.final_state.resize(batch, config_.encoder_dim());
    ws.layers.resize(layers);
    ws.grads.resize(layers);
    ws.layers[0].resize(rows, config_.encoder_dim());
    ws.grads[0].resize(rows, config_.encoder_dim());
    for (size_t i = 0; i < dense_index_.size(); ++i) {
      int width = params_[dense_index_[i]].value.cols;
      ws.layers[i + 1].resize(rows, width);
      ws.grads[i + 1].resize(rows, width);
    }
  }
  float* pooled = every_step ? ws.final_state.data.data() : ws.layers[0].data.data();
  nn::embedding_forward(params_[context_index_].value, contexts, batch * length,
                        ws.embedded.data.data());
  if (config_.encoder == "cnn") {
    conv_forward(contexts, batch, ws);
  } else if (config_.encoder == "gru") {
    nn::gru_forward(gru_weights(), ws.embedded.data.data(), contexts, batch, length, ws.gru,
                    pooled);
  } else if (config_.encoder == "lstm") {
    nn::lstm_forward(lstm_weights(), ws.embedded.data.data(), contexts, batch, length, ws.lstm,
                     pooled);
  } else {
    nn::masked_mean_forward(ws.embedded.data.data(), contexts, batch, length, dim,
                            ws.layers[0].data.data());
  }
  if (every_step) {
    // The state after every step, row b * L + t, so the head scores every position.
    const auto& hidden = config_.encoder == "gru" ? ws.gru.hidden : ws.lstm.hidden;
    const int units = config_.encoder_dim();
    for (int b = 0; b < batch; ++b) {
      for (int t = 0; t < length; ++t) {
        std::memcpy(ws.layers[0].row(b * length + t), hidden[t + 1].row(b), sizeof(float) * units);
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

void DualEncoder::encode_backward(const int32_t* contexts, EncoderWorkspace& ws,
                                  Gradients& grads) const {
  const int batch = ws.batch;
  const int rows = ws.every_step ? batch * config_.context_length : batch;
  for (size_t i = dense_index_.size(); i-- > 0;) {
    nn::Matrix& out = ws.layers[i + 1];
    nn::Matrix& out_grad = ws.grads[i + 1];
    if (dense_relu(i)) {
      nn::relu_backward(out.data.data(), out_grad.data.data(), out.size());
    }
    int w = dense_index_[i];
    nn::dense_backward(params_[w].value, ws.layers[i].data.data(), out_grad.data.data(), rows,
                       ws.grads[i].data.data(), grads[w], grads[w + 1]);
  }
  // In every-step mode the head ran on all B*L states: they reach the RNN step by step.
  std::vector<float> zeros;
  const float* final_grad = ws.grads[0].data.data();
  const float* step_grads = nullptr;
  if (ws.every_step) {
    zeros.assign(static_cast<size_t>(ws.batch) * config_.encoder_dim(), 0.0f);
    final_grad = zeros.data();
    step_grads = ws.grads[0].data.data();
  }
  if (config_.encoder == "cnn") {
    conv_backward(ws, grads);
  } else if (config_.encoder == "gru") {
    nn::gru_backward(gru_weights(), ws.embedded.data.data(), contexts, ws.gru, final_grad,
                     step_grads, ws.embedded_grad.data.data(), grads[rnn_index_],
                     grads[rnn_index_ + 1], grads[rnn_index_ + 2]);
  } else if (config_.encoder == "lstm") {
    nn::lstm_backward(lstm_weights(), ws.embedded.data.data(), contexts, ws.lstm, final_grad,
                      step_grads, ws.embedded_grad.data.data(), grads[rnn_index_],
                      grads[rnn_index_ + 1], grads[rnn_index_ + 2]);
  } else {
    nn::masked_mean_backward(contexts, batch, config_.context_length, config_.embedding_dim,
                             ws.grads[0].data.data(), ws.embedded_grad.data.data());
  }
  nn::embedding_backward(contexts, batch * config_.context_length, ws.embedded_grad.data.data(),
                         grads[context_index_]);
}

}  // namespace pocketrec
