#include "model/sequence_encoder.hpp"

#include "core/error.hpp"
#include "model/initializers.hpp"
#include "model/model_config.hpp"
#include "nn/layers.hpp"

namespace pocketrec {

SequenceEncoder::SequenceEncoder(EncoderKind kind, int length, int width, const ModelConfig& config,
                                 const std::string& prefix, std::vector<Parameter>& params)
    : kind_(kind), length_(length), width_(width), output_dim_(width) {
  first_param_ = static_cast<int>(params.size());
  if (kind_ == EncoderKind::kCnn) {
    kernel_ = config.conv_kernel;
    int channels = width;
    for (size_t i = 0; i < config.conv_ratios.size(); ++i) {
      int filters = width * config.conv_ratios[i];
      std::string name = prefix + "conv_" + std::to_string(i);
      params.push_back({name + "/weight", nn::Matrix(kernel_ * channels, filters), false});
      params.push_back({name + "/bias", nn::Matrix(1, filters), false});
      filters_.push_back(filters);
      channels = filters;
    }
    output_dim_ = channels;
  } else if (recurrent()) {
    units_ = config.rnn_units;
    const int gates = kind_ == EncoderKind::kGru ? 3 : 4;
    const std::string base = prefix + std::string(name(kind_));
    params.push_back({base + "/input", nn::Matrix(width, gates * units_), false});
    params.push_back({base + "/recurrent", nn::Matrix(units_, gates * units_), false});
    params.push_back({base + "/bias", nn::Matrix(1, gates * units_), false});
    output_dim_ = units_;
  } else if (kind_ == EncoderKind::kAttention) {
    attention_.emplace(length, width, config.attention, prefix, params);
  }
}

void SequenceEncoder::initialize(std::vector<Parameter>& params, std::mt19937_64& rng) const {
  if (attention_) attention_->initialize(params, rng);
  for (size_t i = 0; i < filters_.size(); ++i) {
    fill_glorot(params[first_param_ + 2 * i].value, rng);
  }
  if (recurrent()) {
    fill_glorot(params[first_param_].value, rng);
    fill_glorot(params[first_param_ + 1].value, rng);
    if (kind_ == EncoderKind::kLstm) {
      // Forget-gate bias 1: the usual start that lets the cell remember early on.
      auto& bias = params[first_param_ + 2].value;
      for (int u = 0; u < units_; ++u) bias.at(0, units_ + u) = 1.0f;
    }
  }
}

nn::GruWeights SequenceEncoder::gru_weights(const std::vector<Parameter>& params) const {
  return {params[first_param_].value, params[first_param_ + 1].value,
          params[first_param_ + 2].value};
}

nn::LstmWeights SequenceEncoder::lstm_weights(const std::vector<Parameter>& params) const {
  return {params[first_param_].value, params[first_param_ + 1].value,
          params[first_param_ + 2].value};
}

void SequenceEncoder::forward(const std::vector<Parameter>& params, const float* input,
                              const int32_t* mask, int batch, SequenceWorkspace& ws,
                              float* out) const {
  ws.batch = batch;
  if (attention_) {
    attention_->forward(params, input, mask, batch, ws.dropout, ws.attention, out);
    return;
  }
  if (kind_ == EncoderKind::kGru) {
    nn::gru_forward(gru_weights(params), input, mask, batch, length_, ws.gru, out);
    return;
  }
  if (kind_ == EncoderKind::kLstm) {
    nn::lstm_forward(lstm_weights(params), input, mask, batch, length_, ws.lstm, out);
    return;
  }
  if (kind_ == EncoderKind::kBow) {
    nn::masked_mean_forward(input, mask, batch, length_, width_, out);
    return;
  }
  const size_t layers = filters_.size();
  ws.conv.resize(layers);
  ws.conv_out.resize(layers);
  ws.conv_grad.resize(layers);
  ws.conv_mask.resize(layers + 1);
  int length = length_;
  ws.conv_mask[0].resize(static_cast<size_t>(batch) * length);
  for (size_t i = 0; i < ws.conv_mask[0].size(); ++i) ws.conv_mask[0][i] = mask[i] != 0;
  // Padded positions are all-zero inputs (padding rows of the tables are zero and never trained).
  const float* x = input;
  int channels = width_;
  for (size_t i = 0; i < layers; ++i) {
    const auto& weight = params[first_param_ + 2 * i].value;
    nn::Conv1dShape shape{batch, length, channels, kernel_, kernel_, weight.cols};
    ws.conv_out[i].resize(batch * shape.out_length(), weight.cols);
    ws.conv_grad[i].resize(batch * shape.out_length(), weight.cols);
    nn::conv1d_forward(weight, params[first_param_ + 2 * i + 1].value, x, shape, ws.conv[i],
                       ws.conv_out[i].data.data());
    nn::relu_forward(ws.conv_out[i].data.data(), ws.conv_out[i].size());
    ws.conv_mask[i + 1] = nn::conv1d_mask(ws.conv_mask[i], shape);
    x = ws.conv_out[i].data.data();
    length = shape.out_length();
    channels = weight.cols;
  }
  nn::masked_max_forward(x, ws.conv_mask[layers], batch, length, channels, out, ws.max_winner);
}

void SequenceEncoder::backward(const std::vector<Parameter>& params, const float* input,
                               const int32_t* mask, SequenceWorkspace& ws, const float* out_grad,
                               const float* step_grads, float* input_grad, Gradients& grads) const {
  const int w = first_param_;
  if (attention_) {
    attention_->backward(params, ws.attention, out_grad, step_grads, input_grad, grads);
    return;
  }
  if (kind_ == EncoderKind::kGru) {
    nn::gru_backward(gru_weights(params), input, mask, ws.gru, out_grad, step_grads, input_grad,
                     grads[w], grads[w + 1], grads[w + 2]);
    return;
  }
  if (kind_ == EncoderKind::kLstm) {
    nn::lstm_backward(lstm_weights(params), input, mask, ws.lstm, out_grad, step_grads, input_grad,
                      grads[w], grads[w + 1], grads[w + 2]);
    return;
  }
  if (kind_ == EncoderKind::kBow) {
    nn::masked_mean_backward(mask, ws.batch, length_, width_, out_grad, input_grad);
    return;
  }
  const size_t layers = filters_.size();
  const auto& last = ws.conv[layers - 1].shape;
  nn::masked_max_backward(ws.max_winner, ws.batch, last.out_length(), last.filters, out_grad,
                          ws.conv_grad[layers - 1].data.data());
  for (size_t i = layers; i-- > 0;) {
    nn::relu_backward(ws.conv_out[i].data.data(), ws.conv_grad[i].data.data(),
                      ws.conv_out[i].size());
    float* dx = i == 0 ? input_grad : ws.conv_grad[i - 1].data.data();
    const int p = w + 2 * static_cast<int>(i);
    nn::conv1d_backward(params[p].value, ws.conv[i], ws.conv_grad[i].data.data(), dx, grads[p],
                        grads[p + 1]);
  }
}

const float* SequenceEncoder::step_state(const SequenceWorkspace& ws, int t, int b) const {
  if (attention_) return attention_->position_output(ws.attention, t - 1, b);
  const auto& hidden = kind_ == EncoderKind::kGru ? ws.gru.hidden : ws.lstm.hidden;
  return hidden[t].row(b);
}

}  // namespace pocketrec
