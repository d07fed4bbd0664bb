#include "model/attention_encoder.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "model/initializers.hpp"
#include "nn/layers.hpp"

namespace pocketrec {
namespace {

// Parameter slots inside a block.
enum BlockParam {
  kLn1Gamma,
  kLn1Beta,
  kQkvWeight,
  kQkvBias,
  kOutWeight,
  kOutBias,
  kLn2Gamma,
  kLn2Beta,
  kFfn1Weight,
  kFfn1Bias,
  kFfn2Weight,
  kFfn2Bias,
};

// Each dropout site draws from its own seed, so sites never share masks.
uint64_t site_seed(uint64_t seed, int site) {
  return seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull * static_cast<uint64_t>(site + 1);
}

// Scratch that every pass overwrites: no fill when the packed row count changes.
void ensure_shape(nn::Matrix& m, int rows, int cols) {
  if (m.rows != rows || m.cols != cols) m.reshape(rows, cols);
}

void fill_value(nn::Matrix& m, float value) {
  std::fill(m.data.begin(), m.data.end(), value);
}

}  // namespace

AttentionEncoder::AttentionEncoder(int length, int width, const AttentionSettings& settings,
                                   const std::string& prefix, std::vector<Parameter>& params)
    : length_(length),
      width_(width),
      ffn_dim_(settings.ffn_dim > 0 ? settings.ffn_dim : width),
      settings_(settings) {
  if (settings.blocks < 1) throw Error("attention: at least one block is needed");
  if (settings.heads < 1 || width % settings.heads != 0) {
    throw Error("attention: the width " + std::to_string(width) +
                " must be a multiple of the head count " + std::to_string(settings.heads));
  }
  first_param_ = static_cast<int>(params.size());
  const std::string base = prefix + "attention/";
  params.push_back({base + "position", nn::Matrix(length, width), false});
  for (int i = 0; i < settings.blocks; ++i) {
    const std::string b = base + "block_" + std::to_string(i) + "/";
    params.push_back({b + "ln1/gamma", nn::Matrix(1, width), false});
    params.push_back({b + "ln1/beta", nn::Matrix(1, width), false});
    params.push_back({b + "qkv/weight", nn::Matrix(width, 3 * width), false});
    params.push_back({b + "qkv/bias", nn::Matrix(1, 3 * width), false});
    params.push_back({b + "out/weight", nn::Matrix(width, width), false});
    params.push_back({b + "out/bias", nn::Matrix(1, width), false});
    params.push_back({b + "ln2/gamma", nn::Matrix(1, width), false});
    params.push_back({b + "ln2/beta", nn::Matrix(1, width), false});
    params.push_back({b + "ffn1/weight", nn::Matrix(width, ffn_dim_), false});
    params.push_back({b + "ffn1/bias", nn::Matrix(1, ffn_dim_), false});
    params.push_back({b + "ffn2/weight", nn::Matrix(ffn_dim_, width), false});
    params.push_back({b + "ffn2/bias", nn::Matrix(1, width), false});
  }
  params.push_back({base + "final_ln/gamma", nn::Matrix(1, width), false});
  params.push_back({base + "final_ln/beta", nn::Matrix(1, width), false});
}

void AttentionEncoder::initialize(std::vector<Parameter>& params, std::mt19937_64& rng) const {
  fill_normal(params[first_param_].value, 1.0f / std::sqrt(static_cast<float>(width_)), false, rng,
              0);
  for (int i = 0; i < settings_.blocks; ++i) {
    fill_value(params[block_param(i, kLn1Gamma)].value, 1.0f);
    fill_value(params[block_param(i, kLn2Gamma)].value, 1.0f);
    for (int k : {kQkvWeight, kOutWeight, kFfn1Weight, kFfn2Weight}) {
      fill_glorot(params[block_param(i, k)].value, rng);
    }
  }
  fill_value(params[final_param()].value, 1.0f);
}

void AttentionEncoder::pack_rows(const int32_t* mask, int batch, uint64_t first_sequence,
                                 AttentionWorkspace& ws) const {
  auto& layout = ws.layout;
  layout.start.resize(batch);
  layout.row0.resize(batch);
  ws.dropout_runs.resize(batch);
  size_t rows = 0;
  for (int b = 0; b < batch; ++b) {
    const int32_t* m = mask + static_cast<size_t>(b) * length_;
    int start = 0;
    while (start < length_ - 1 && m[start] == 0) ++start;
    layout.start[b] = start;
    layout.row0[b] = rows;
    // Mask indices as in the padded layout, so dropout does not depend on the packing.
    ws.dropout_runs[b] = {rows * width_, static_cast<size_t>(length_ - start) * width_,
                          ((first_sequence + b) * length_ + start) * width_};
    rows += static_cast<size_t>(length_ - start);
  }
  layout.rows = rows;
  ws.zeros.assign(width_, 0.0f);
}

void AttentionEncoder::forward(const std::vector<Parameter>& params, const float* input,
                               const int32_t* mask, int batch, const DropoutContext& dropout,
                               AttentionWorkspace& ws, float* out) const {
  pack_rows(mask, batch, dropout.first_sequence, ws);
  const auto& layout = ws.layout;
  const int rows = static_cast<int>(layout.rows);
  ws.batch = batch;
  ws.blocks.resize(settings_.blocks);
  ensure_shape(ws.last, rows, width_);
  ensure_shape(ws.output, rows, width_);
  // x0 = input * sqrt(W) + position, into the first block's input buffer.
  auto& x = ws.blocks[0].input;
  ensure_shape(x, rows, width_);
  const float scale = std::sqrt(static_cast<float>(width_));
  const auto& position = params[first_param_].value;
  for (int b = 0; b < batch; ++b) {
    for (int t = layout.start[b]; t < length_; ++t) {
      const float* in = input + (static_cast<size_t>(b) * length_ + t) * width_;
      const float* pos = position.row(t);
      float* o = x.row(static_cast<int>(layout.row(b, t)));
      for (int i = 0; i < width_; ++i) o[i] = in[i] * scale + pos[i];
    }
  }
  nn::dropout_forward_runs(x.data.data(), x.size(), ws.dropout_runs,
                           dropout.training ? settings_.embedding_dropout : 0.0f,
                           site_seed(dropout.seed, 0), ws.embedding_drop);
  for (int i = 0; i < settings_.blocks; ++i) {
    float* next = i + 1 < settings_.blocks ? (ensure_shape(ws.blocks[i + 1].input, rows, width_),
                                              ws.blocks[i + 1].input.data.data())
                                           : ws.last.data.data();
    std::memcpy(next, ws.blocks[i].input.data.data(), sizeof(float) * rows * width_);
    block_forward(params, i, mask, batch, dropout, ws, ws.blocks[i], next);
  }
  nn::layer_norm_forward(params[final_param()].value, params[final_param() + 1].value,
                         ws.last.data.data(), rows, width_, ws.final_ln, ws.output.data.data());
  if (out) {
    for (int b = 0; b < batch; ++b) {
      std::memcpy(out + static_cast<size_t>(b) * width_,
                  ws.output.row(static_cast<int>(layout.row(b, length_ - 1))),
                  sizeof(float) * width_);
    }
  }
}

// x holds the block's input on entry (a copy of state.input) and its output on return.
void AttentionEncoder::block_forward(const std::vector<Parameter>& params, int block,
                                     const int32_t* mask, int batch, const DropoutContext& dropout,
                                     const AttentionWorkspace& ws, AttentionBlockState& state,
                                     float* x) const {
  const int rows = static_cast<int>(ws.layout.rows);
  auto p = [&](int k) -> const nn::Matrix& { return params[block_param(block, k)].value; };
  const float residual_rate = dropout.training ? settings_.residual_dropout : 0.0f;
  const int site = 1 + 4 * block;
  ensure_shape(state.z1, rows, width_);
  ensure_shape(state.qkv, rows, 3 * width_);
  ensure_shape(state.context, rows, width_);
  ensure_shape(state.hidden, rows, width_);
  ensure_shape(state.z2, rows, width_);
  ensure_shape(state.ffn_pre, rows, ffn_dim_);
  ensure_shape(state.ffn_act, rows, ffn_dim_);
  nn::layer_norm_forward(p(kLn1Gamma), p(kLn1Beta), x, rows, width_, state.ln1,
                         state.z1.data.data());
  nn::dense_forward(p(kQkvWeight), p(kQkvBias), state.z1.data.data(), rows, state.qkv.data.data());
  nn::AttentionShape shape{batch, length_, width_, settings_.heads};
  nn::causal_attention_forward(state.qkv.data.data(), mask, shape, ws.layout,
                               dropout.training ? settings_.attention_dropout : 0.0f,
                               site_seed(dropout.seed, site), dropout.first_sequence,
                               state.attention, state.context.data.data());
  // hidden = x + dropout(context Wo + bo)
  float* hidden = state.hidden.data.data();
  nn::dense_forward(p(kOutWeight), p(kOutBias), state.context.data.data(), rows, hidden);
  nn::dropout_forward_runs(hidden, state.hidden.size(), ws.dropout_runs, residual_rate,
                           site_seed(dropout.seed, site + 1), state.attention_out_drop);
  for (size_t i = 0; i < state.hidden.size(); ++i) hidden[i] += x[i];
  nn::layer_norm_forward(p(kLn2Gamma), p(kLn2Beta), hidden, rows, width_, state.ln2,
                         state.z2.data.data());
  nn::dense_forward(p(kFfn1Weight), p(kFfn1Bias), state.z2.data.data(), rows,
                    state.ffn_pre.data.data());
  if (settings_.activation == Activation::kGelu) {
    nn::gelu_forward(state.ffn_pre.data.data(), state.ffn_act.data.data(), state.ffn_pre.size());
  } else {
    state.ffn_act.data = state.ffn_pre.data;
    nn::relu_forward(state.ffn_act.data.data(), state.ffn_act.size());
  }
  // out = hidden + dropout(act Wf2 + b)
  nn::dense_forward(p(kFfn2Weight), p(kFfn2Bias), state.ffn_act.data.data(), rows, x);
  nn::dropout_forward_runs(x, state.hidden.size(), ws.dropout_runs, residual_rate,
                           site_seed(dropout.seed, site + 2), state.ffn_out_drop);
  for (size_t i = 0; i < state.hidden.size(); ++i) x[i] += hidden[i];
}

void AttentionEncoder::backward(const std::vector<Parameter>& params, AttentionWorkspace& ws,
                                const float* out_grad, const float* step_grads, float* input_grad,
                                Gradients& grads) const {
  const auto& layout = ws.layout;
  const int batch = ws.batch, rows = static_cast<int>(layout.rows);
  ensure_shape(ws.grad, rows, width_);
  ensure_shape(ws.grad2, rows, width_);
  // dOutput: every stored position's gradient, plus the newest position's share of out_grad.
  if (step_grads) {
    for (int b = 0; b < batch; ++b) {
      const int start = layout.start[b];
      std::memcpy(ws.grad2.row(static_cast<int>(layout.row0[b])),
                  step_grads + (static_cast<size_t>(b) * length_ + start) * width_,
                  sizeof(float) * (length_ - start) * width_);
    }
  } else {
    fill_value(ws.grad2, 0.0f);
  }
  if (out_grad) {
    for (int b = 0; b < batch; ++b) {
      float* g = ws.grad2.row(static_cast<int>(layout.row(b, length_ - 1)));
      const float* o = out_grad + static_cast<size_t>(b) * width_;
      for (int i = 0; i < width_; ++i) g[i] += o[i];
    }
  }
  nn::layer_norm_backward(params[final_param()].value, ws.final_ln, ws.grad2.data.data(),
                          ws.grad.data.data(), false, grads[final_param()],
                          grads[final_param() + 1]);
  for (int i = settings_.blocks; i-- > 0;) {
    block_backward(params, i, ws.blocks[i], ws, ws.grad.data.data(), grads);
  }
  float* dx = ws.grad.data.data();
  nn::dropout_backward(ws.embedding_drop, dx, ws.grad.size());
  float* dpos = grads[first_param_].values.data.data();
  const float scale = std::sqrt(static_cast<float>(width_));
  for (int b = 0; b < batch; ++b) {
    float* in = input_grad + static_cast<size_t>(b) * length_ * width_;
    std::fill(in, in + static_cast<size_t>(layout.start[b]) * width_, 0.0f);
    for (int t = layout.start[b]; t < length_; ++t) {
      const float* g = dx + layout.row(b, t) * width_;
      float* pos = dpos + static_cast<size_t>(t) * width_;
      float* in_t = in + static_cast<size_t>(t) * width_;
      for (int i = 0; i < width_; ++i) {
        pos[i] += g[i];
        in_t[i] = g[i] * scale;
      }
    }
  }
}

// dx holds the gradient w.r.t. the block's output on entry and w.r.t. its input on return.
void AttentionEncoder::block_backward(const std::vector<Parameter>& params, int block,
                                      AttentionBlockState& state, AttentionWorkspace& ws, float* dx,
                                      Gradients& grads) const {
  const int rows = state.hidden.rows;
  auto p = [&](int k) -> const nn::Matrix& { return params[block_param(block, k)].value; };
  auto g = [&](int k) -> nn::Gradient& { return grads[block_param(block, k)]; };
  ensure_shape(ws.ffn_grad, rows, ffn_dim_);
  ensure_shape(ws.qkv_grad, rows, 3 * width_);
  ensure_shape(ws.context_grad, rows, width_);
  float* scratch = ws.grad2.data.data();  // [rows, W]
  const size_t count = static_cast<size_t>(rows) * width_;
  // out = hidden + drop(ffn): d hidden starts as dx; the FFN branch gets drop'(dx).
  std::memcpy(scratch, dx, sizeof(float) * count);
  nn::dropout_backward(state.ffn_out_drop, scratch, count);
  nn::dense_backward(p(kFfn2Weight), state.ffn_act.data.data(), scratch, rows,
                     ws.ffn_grad.data.data(), g(kFfn2Weight), g(kFfn2Bias));
  if (settings_.activation == Activation::kGelu) {
    nn::gelu_backward(state.ffn_pre.data.data(), ws.ffn_grad.data.data(), ws.ffn_grad.data.data(),
                      ws.ffn_grad.size());
  } else {
    nn::relu_backward(state.ffn_act.data.data(), ws.ffn_grad.data.data(), ws.ffn_grad.size());
  }
  nn::dense_backward(p(kFfn1Weight), state.z2.data.data(), ws.ffn_grad.data.data(), rows, scratch,
                     g(kFfn1Weight), g(kFfn1Bias));
  nn::layer_norm_backward(p(kLn2Gamma), state.ln2, scratch, dx, true, g(kLn2Gamma), g(kLn2Beta));
  // hidden = x + drop(context Wo + bo): dx keeps d hidden as the residual's share.
  std::memcpy(scratch, dx, sizeof(float) * count);
  nn::dropout_backward(state.attention_out_drop, scratch, count);
  nn::dense_backward(p(kOutWeight), state.context.data.data(), scratch, rows,
                     ws.context_grad.data.data(), g(kOutWeight), g(kOutBias));
  nn::causal_attention_backward(state.qkv.data.data(), state.attention, ws.context_grad.data.data(),
                                ws.qkv_grad.data.data());
  nn::dense_backward(p(kQkvWeight), state.z1.data.data(), ws.qkv_grad.data.data(), rows, scratch,
                     g(kQkvWeight), g(kQkvBias));
  nn::layer_norm_backward(p(kLn1Gamma), state.ln1, scratch, dx, true, g(kLn1Gamma), g(kLn1Beta));
}

}  // namespace pocketrec
