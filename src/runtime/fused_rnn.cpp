// Compiled with -ffp-contract=off (CMakeLists.txt): every product here is rounded on its own, as
// the interpreter's MUL operator rounds it, and never fused into the following add.
#include "runtime/fused_rnn.hpp"

#include <algorithm>
#include <string>

#include <hwy/cache_control.h>

#include "tflite/graph_names.hpp"
#include "tflite/ops/dot_rows.hpp"
#include "tflite/ops/vector_math.hpp"
#include "tflite_generated.h"

namespace pocketrec::runtime {
namespace {

using Op = tflite::BuiltinOperator;

// The longest history the recurrent encoders accept (their scratch grows with it).
constexpr int kMaxLength = 256;

// FULLY_CONNECTED(x, W_q) + b_q for all gates at once, as the graph's operators compute them.
void input_terms(const float* x, const float* weights, const float* bias, int dim, int width,
                 float* out) {
  std::fill(out, out + width, 0.0f);
  tfl::dot_rows_add(x, weights, dim, width, dim, out);
  tfl::add_bias_activate(out, bias, width, tfl::Activation::kNone);
}

}  // namespace

std::unique_ptr<FusedRnn> FusedRnn::match(const tfl::Model& m, int user_tensor,
                                          size_t max_projected_bytes) {
  const auto& tensors = m.tensors();
  GraphConstants constants(m);
  auto f = std::make_unique<FusedRnn>();
  int t = user_tensor;
  if (!dense_chain(constants, t, f->layers_)) return nullptr;
  const int length = static_cast<int>(tensors[m.inputs().at(0)].shape.elements());
  if (length < 1 || length > kMaxLength) return nullptr;
  // The last step's state is the dense layers' input (or the user vector itself).
  std::string prefix;
  for (const char* p : {"lstm", "gru"}) {
    if (t == tensor_named(m, graph_names::rnn_state(p, length - 1))) prefix = p;
  }
  if (prefix.empty()) return nullptr;
  f->lstm_ = prefix == "lstm";
  f->gates_ = f->lstm_ ? 4 : 3;
  const int units = static_cast<int>(tensors[t].shape.elements());
  const int steps = f->match_gates(constants, prefix, length, units);
  if (steps < 0 || !f->match_initial_state(constants, prefix, units) ||
      !f->match_history(constants, steps, length)) {
    return nullptr;
  }
  if (!f->layers_.empty() && f->layers_.front().size != units) return nullptr;
  f->length_ = length;
  f->units_ = units;
  f->out_dim_ = f->layers_.empty() ? units : static_cast<int>(f->layers_.back().units);
  f->prepare_tables(max_projected_bytes);
  f->dequantized_ = constants.take_storage();
  return f;
}

int FusedRnn::match_gates(GraphConstants& constants, const std::string& prefix, int length,
                          int units) {
  const tfl::Model& m = constants.model();
  const auto& tensors = m.tensors();
  const std::string gate_names = lstm_ ? "ifgo" : "rzn";
  int steps = -1;  // the [L, E] embedded history the input projections read
  for (int q = 0; q < gates_; ++q) {
    const tfl::OpSpec* fc =
        constants.producer(tensor_named(m, prefix + "/x_" + gate_names[q]), Op::FULLY_CONNECTED);
    const int recurrent = tensor_named(m, prefix + "/recurrent_" + gate_names[q]);
    if (!fc || fc->inputs.size() != 3 || recurrent < 0) return -1;
    if (q == 0) steps = fc->inputs[0];
    const auto* options = fc->raw ? fc->raw->builtin_options_as_FullyConnectedOptions() : nullptr;
    const float* w = constants.f32(fc->inputs[1]);
    const float* b = constants.f32(fc->inputs[2]);
    const float* r = constants.f32(recurrent);
    if (fc->inputs[0] != steps || !w || !b || !r ||
        (options && options->fused_activation_function() != tflite::ActivationFunctionType::NONE) ||
        !(tensors[steps].shape == tfl::Shape{length, tensors[steps].shape[1]}) ||
        !(tensors[fc->inputs[1]].shape == tfl::Shape{units, tensors[steps].shape[1]}) ||
        tensors[fc->inputs[2]].shape.elements() != units ||
        !(tensors[recurrent].shape == tfl::Shape{units, units})) {
      return -1;
    }
    const int dim = tensors[steps].shape[1];
    input_weights_.insert(input_weights_.end(), w, w + static_cast<size_t>(units) * dim);
    input_bias_.insert(input_bias_.end(), b, b + units);
    recurrent_weights_.insert(recurrent_weights_.end(), r, r + static_cast<size_t>(units) * units);
  }
  return steps;
}

bool FusedRnn::match_initial_state(GraphConstants& constants, const std::string& prefix,
                                   int units) {
  const tfl::Model& m = constants.model();
  for (const char* state : {"h0", "c0"}) {
    if (!lstm_ && state[0] == 'c') break;
    const int tensor = tensor_named(m, prefix + "/" + state);
    const float* values = constants.f32(tensor);
    if (!values || m.tensors()[tensor].shape.elements() != units) return false;
    (state[0] == 'h' ? h0_ : c0_).assign(values, values + units);
  }
  return true;
}

// steps = RESHAPE(embedded); the step mask = RESHAPE(GATHER(is_item, ids)).
bool FusedRnn::match_history(GraphConstants& constants, int steps, int length) {
  const tfl::Model& m = constants.model();
  const auto& tensors = m.tensors();
  const tfl::OpSpec* reshape = constants.producer(steps, Op::RESHAPE);
  const tfl::OpSpec* mask_reshape =
      constants.producer(tensor_named(m, graph_names::kStepMask), Op::RESHAPE);
  const tfl::OpSpec* valid =
      mask_reshape ? constants.producer(mask_reshape->inputs[0], Op::GATHER) : nullptr;
  if (!reshape || !valid || valid->inputs.size() != 2) return false;
  const int ids_tensor = valid->inputs[1];
  const tfl::OpSpec* ids_reshape = constants.producer(ids_tensor, Op::RESHAPE);
  if (!reshapes_graph_input(constants, ids_reshape) ||
      !(tensors[ids_tensor].shape == tfl::Shape{1, length}) ||
      !(tensors[mask_reshape->outputs[0]].shape == tfl::Shape{length, 1})) {
    return false;
  }
  embeddings_ = embedding_rows(constants, reshape->inputs[0], ids_tensor);
  const int64_t rows = embeddings_.count, dim = embeddings_.dim;
  valid_ = constants.f32(valid->inputs[0]);
  if (!embeddings_ || !valid_ || tensors[valid->inputs[0]].shape.elements() != rows ||
      dim != tensors[steps].shape[1] ||
      !(tensors[reshape->inputs[0]].shape == tfl::Shape{1, length, static_cast<int>(dim)})) {
    return false;
  }
  rows_ = static_cast<int>(rows);
  emb_dim_ = static_cast<int>(dim);
  return true;
}

void FusedRnn::prepare_tables(size_t max_projected_bytes) {
  const int units = units_;
  // Per step: input terms, recurrent terms, pre-activations, activations (gates * units each)
  // and four temporaries of units; then the state h and c; the dense layers' two buffers.
  // Then one dequantized embedding row, for int8 tables.
  row_buffer_ = 4 * static_cast<size_t>(gates_) * units + 6 * static_cast<size_t>(units) +
                2 * widest(layers_);
  scratch_floats_ = row_buffer_ + static_cast<size_t>(emb_dim_);
  const int width = gates_ * units;
  if (tfl::paired_rows_help()) {
    recurrent_pairs_ = tfl::pair_rows(recurrent_weights_.data(), units, width, units);
  }
  if (static_cast<size_t>(rows_) * width * sizeof(float) <= max_projected_bytes) {
    projected_.resize(static_cast<size_t>(rows_) * width);
    std::vector<float> buffer(emb_dim_);
    for (int64_t r = 0; r < rows_; ++r) {
      input_terms(embeddings_.row(r, buffer.data()), input_weights_.data(), input_bias_.data(),
                  emb_dim_, width, projected_.data() + r * width);
    }
  }
}

// One step of the export's graph, operator by operator, for item `id` (the embedded item x, m its
// mask).
void FusedRnn::step(int32_t id, float* h, float* c, float* s) const {
  const int n = units_, width = gates_ * units_;
  const float m = valid_[id];
  // FULLY_CONNECTED(x, W_q) + b_q, all gates.
  const float* in = s;
  if (projected_.empty()) {
    input_terms(embeddings_.row(id, s + row_buffer_), input_weights_.data(), input_bias_.data(),
                emb_dim_, width, s);
  } else {
    in = projected_.data() + static_cast<size_t>(id) * width;
  }
  float* rec = s + width;    // FULLY_CONNECTED(h, R_q), no bias
  float* pre = rec + width;  // ADD(x_q, h_q)
  float* act = pre + width;  // the gates' activations
  float* a = act + width;    // temporaries, n each
  float* b = a + n;
  float* h_new = b + n;
  float* c_new = h_new + n;
  std::fill(rec, rec + width, 0.0f);
  if (recurrent_pairs_.empty()) {
    tfl::dot_rows_add(h, recurrent_weights_.data(), n, width, n, rec);
  } else {
    tfl::dot_rows_add_paired(h, recurrent_pairs_.data(), width, n, rec);
  }
  tfl::add_bias_activate(rec, nullptr, width, tfl::Activation::kNone);
  for (int i = 0; i < width; ++i) pre[i] = in[i] + rec[i];
  if (lstm_) {
    tfl::sigmoid_array(pre, act, 2 * static_cast<size_t>(n));      // i, f
    tfl::tanh_array(pre + 2 * n, act + 2 * n, n);                  // g
    tfl::sigmoid_array(pre + 3 * n, act + 3 * n, n);               // o
    for (int u = 0; u < n; ++u) a[u] = act[n + u] * c[u];          // f c
    for (int u = 0; u < n; ++u) b[u] = act[u] * act[2 * n + u];    // i g
    for (int u = 0; u < n; ++u) c_new[u] = a[u] + b[u];            // c_new
    tfl::tanh_array(c_new, a, n);                                  // tanh(c_new)
    for (int u = 0; u < n; ++u) h_new[u] = act[3 * n + u] * a[u];  // o tanh(c_new)
  } else {
    tfl::sigmoid_array(pre, act, 2 * static_cast<size_t>(n));    // r, z
    for (int u = 0; u < n; ++u) a[u] = act[u] * rec[2 * n + u];  // r h_n
    for (int u = 0; u < n; ++u) b[u] = in[2 * n + u] + a[u];     // x_n + r h_n
    tfl::tanh_array(b, c_new, n);                                // n
    for (int u = 0; u < n; ++u) a[u] = h[u] - c_new[u];          // h - n
    for (int u = 0; u < n; ++u) b[u] = act[n + u] * a[u];        // z (h - n)
    for (int u = 0; u < n; ++u) h_new[u] = c_new[u] + b[u];      // n + z (h - n)
  }
  // Padding (m = 0) keeps the state: h + m (h_new - h), and the same for c.
  for (int u = 0; u < n; ++u) a[u] = h_new[u] - h[u];
  for (int u = 0; u < n; ++u) b[u] = m * a[u];
  for (int u = 0; u < n; ++u) h[u] = h[u] + b[u];
  if (lstm_) {
    for (int u = 0; u < n; ++u) a[u] = c_new[u] - c[u];
    for (int u = 0; u < n; ++u) b[u] = m * a[u];
    for (int u = 0; u < n; ++u) c[u] = c[u] + b[u];
  }
}

void FusedRnn::encode(const int32_t* ids, float* out, float* scratch) const {
  const int n = units_, width = gates_ * units_;
  float* h = scratch + 4 * static_cast<size_t>(width) + 4 * static_cast<size_t>(n);
  float* c = h + n;
  float* dense = c + n;
  for (int i = 0; i < length_; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) outside_table(ids[i]);
  }
  if (!projected_.empty()) {
    // The items' rows of the table (2 MB at 3,953 x 128 terms, beyond the L2 of many cores) are
    // requested at once, so later steps find them in cache instead of each waiting on its own.
    for (int i = 0; i < length_; ++i) {
      const float* row = projected_.data() + static_cast<size_t>(ids[i]) * width;
      for (int k = 0; k < width; k += 16) hwy::Prefetch(row + k);
    }
  }
  std::copy(h0_.begin(), h0_.end(), h);
  std::copy(c0_.begin(), c0_.end(), c);
  for (int i = 0; i < length_; ++i) {
    step(ids[i], h, c, scratch);
  }
  if (layers_.empty()) {
    std::copy(h, h + n, out);
  } else {
    run_dense(layers_, h, out, dense, dense + widest(layers_));
  }
}

std::unique_ptr<FusedSequenceLstm> FusedSequenceLstm::match(const tfl::Model& m, int user_tensor,
                                                            size_t max_projected_bytes) {
  const auto& tensors = m.tensors();
  GraphConstants constants(m);
  auto f = std::make_unique<FusedSequenceLstm>();
  int t = user_tensor;
  if (!dense_chain(constants, t, f->layers_)) return nullptr;
  // The last step: STRIDED_SLICE of the sequence (which step is left to the check at load).
  const tfl::OpSpec* slice = constants.producer(t, Op::STRIDED_SLICE);
  const tfl::OpSpec* lstm =
      slice ? constants.producer(slice->inputs[0], Op::UNIDIRECTIONAL_SEQUENCE_LSTM) : nullptr;
  if (!lstm || lstm->inputs.size() < 20 || !lstm->raw) return nullptr;
  const auto* options = lstm->raw->builtin_options_as_UnidirectionalSequenceLSTMOptions();
  if (!options || options->time_major()) return nullptr;
  auto optional = [&](size_t i) { return i < lstm->inputs.size() ? lstm->inputs[i] : -1; };
  for (size_t i : {9, 10, 11, 16, 17}) {
    if (optional(i) >= 0) return nullptr;  // peepholes, projection
  }
  for (size_t i = 20; i < lstm->inputs.size(); ++i) {
    if (lstm->inputs[i] >= 0) return nullptr;  // layer norm
  }
  const auto& x = tensors[lstm->inputs[0]];
  if (x.shape.rank != 3 || x.shape[0] != 1) return nullptr;
  const int length = x.shape[1], dim = x.shape[2];
  const int units =
      tensors[lstm->outputs[0]].shape.rank == 3 ? tensors[lstm->outputs[0]].shape[2] : -1;
  if (units < 1 || tensors[t].shape.elements() != units) return nullptr;
  const float* gate_w[4];
  const float* gate_r[4];
  const float* gate_b[4];
  for (int g = 0; g < 4; ++g) {
    gate_w[g] = constants.f32(lstm->inputs[1 + g]);
    gate_r[g] = constants.f32(lstm->inputs[5 + g]);
    gate_b[g] = constants.f32(lstm->inputs[12 + g]);
    if (!gate_w[g] || !gate_r[g] || !gate_b[g] ||
        !(tensors[lstm->inputs[1 + g]].shape == tfl::Shape{units, dim}) ||
        !(tensors[lstm->inputs[5 + g]].shape == tfl::Shape{units, units}) ||
        tensors[lstm->inputs[12 + g]].shape.elements() != units) {
      return nullptr;
    }
  }
  // Sized by weights the file holds, so bounded by its size.
  f->packed_.assign(static_cast<size_t>(4) * units * (1 + dim + units), 0.0f);
  float* bias = f->packed_.data();
  for (int g = 0; g < 4; ++g) std::copy(gate_b[g], gate_b[g] + units, bias + g * units);
  // The state starts at zero: variable tensors, reset before every query.
  for (size_t i : {18, 19}) {
    if (optional(i) < 0 || !tensors[lstm->inputs[i]].is_variable) return nullptr;
  }
  switch (options->fused_activation_function()) {
    case tflite::ActivationFunctionType::TANH:
      f->weights_.activation = tfl::LstmCellActivation::kTanh;
      break;
    case tflite::ActivationFunctionType::RELU:
      f->weights_.activation = tfl::LstmCellActivation::kRelu;
      break;
    case tflite::ActivationFunctionType::NONE:
      f->weights_.activation = tfl::LstmCellActivation::kNone;
      break;
    default:
      return nullptr;
  }
  float* input_t = bias + 4 * units;
  float* recurrent_t = input_t + static_cast<size_t>(4) * units * dim;
  tfl::pack_lstm_gates(gate_w, units, dim, input_t);
  tfl::pack_lstm_gates(gate_r, units, units, recurrent_t);
  f->weights_.input_t = input_t;
  f->weights_.recurrent_t = recurrent_t;
  f->weights_.bias = bias;
  f->weights_.n_input = dim;
  f->weights_.n_cell = units;
  f->weights_.cell_clip = options->cell_clip();
  auto embedding = masked_embedding(constants, lstm->inputs[0]);
  if (!embedding || embedding->length != length || embedding->dim != dim || length > kMaxLength) {
    return nullptr;
  }
  f->embedding_ = *embedding;
  if (!f->layers_.empty() && f->layers_.front().size != units) return nullptr;
  f->length_ = length;
  f->rows_ = static_cast<int>(embedding->count);
  f->emb_dim_ = dim;
  f->units_ = units;
  f->out_dim_ = f->layers_.empty() ? units : static_cast<int>(f->layers_.back().units);
  // The masked inputs, the outputs of every step, h and c, the kernel's scratch, the dense
  // layers' buffers.
  f->scratch_floats_ = static_cast<size_t>(length) * (dim + units) + 2 * units +
                       tfl::lstm_scratch_floats(f->weights_) + 2 * widest(f->layers_);
  const size_t width = 4 * static_cast<size_t>(units);
  if (static_cast<size_t>(f->rows_) * width * sizeof(float) <= max_projected_bytes) {
    f->projected_.resize(static_cast<size_t>(f->rows_) * width);
    std::vector<int32_t> one(static_cast<size_t>(length), f->embedding_.pad_id);
    std::vector<float> embedded(static_cast<size_t>(length) * dim);
    for (int32_t id = 0; id < f->rows_; ++id) {
      one[0] = id;  // the embedding's product with the mask, as embed computes it
      f->embedding_.embed(one.data(), embedded.data());
      tfl::lstm_input_terms(f->weights_, embedded.data(), f->projected_.data() + id * width);
    }
  }
  f->dequantized_ = constants.take_storage();
  return f;
}

void FusedSequenceLstm::encode(const int32_t* ids, float* out, float* scratch) const {
  float* x = scratch;
  float* y = x + static_cast<size_t>(length_) * emb_dim_;
  float* h = y + static_cast<size_t>(length_) * units_;
  float* c = h + units_;
  float* kernel = c + units_;
  float* dense = kernel + tfl::lstm_scratch_floats(weights_);
  for (int i = 0; i < length_; ++i) {
    if (ids[i] < 0 || ids[i] >= rows_) outside_table(ids[i]);
  }
  std::fill(h, h + 2 * units_, 0.0f);
  if (!projected_.empty()) {
    const float* terms[kMaxLength];
    const size_t width = 4 * static_cast<size_t>(units_);
    for (int i = 0; i < length_; ++i) terms[i] = projected_.data() + ids[i] * width;
    tfl::lstm_sequence_from_terms(weights_, terms, length_, h, c, y, units_, kernel);
  } else {
    embedding_.embed(ids, x);
    tfl::lstm_sequence(weights_, x, emb_dim_, length_, h, c, y, units_, kernel);
  }
  const float* last = y + static_cast<size_t>(length_ - 1) * units_;
  if (layers_.empty()) {
    std::copy(last, last + units_, out);
  } else {
    run_dense(layers_, last, out, dense, dense + widest(layers_));
  }
}

}  // namespace pocketrec::runtime
