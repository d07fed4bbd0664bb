#pragma once
// Encoders evaluated directly instead of operator by operator, for graph shapes pocketrec knows
// (fused_bow.hpp, fused_rnn.hpp). Each repeats its operators' arithmetic in the interpreter's
// order with the same kernels, and the runtime uses one only after it reproduced the
// interpreter's user vector bit for bit at load. Also the pieces they share: float constants
// (dequantizing int8 weights the graph dequantizes) and the dense layers before the user vector.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tflite/model.hpp"
#include "tflite/ops/op_util.hpp"

namespace tflite {
enum class BuiltinOperator : int32_t;  // tflite_generated.h
}

namespace pocketrec::runtime {

class FusedEncoder {
 public:
  virtual ~FusedEncoder() = default;
  int length() const { return length_; }  // history positions (the graph's int32 input)
  int rows() const { return rows_; }      // embedding rows: ids must be below
  int dim() const { return out_dim_; }
  size_t scratch_floats() const { return scratch_floats_; }
  virtual const char* name() const = 0;  // "BOW", "CNN", "LSTM", "GRU", "attention"
  // ids: the graph's int32 input (length() values); out: the user vector (dim() values). Throws
  // Error for an id outside the tables, as GATHER does.
  virtual void encode(const int32_t* ids, float* out, float* scratch) const = 0;

 protected:
  // Throws Error for an id outside the embedding table, as GATHER does.
  [[noreturn]] void outside_table(int32_t id) const;

  int length_ = 0, rows_ = 0, out_dim_ = 0;
  size_t scratch_floats_ = 0;
};

// FULLY_CONNECTED layers with float (or dequantized) weights, as the kernel computes them.
struct DenseLayer {
  const float* weights;  // [units, size]
  const float* bias;     // [units] or null
  int64_t units, size;
  tfl::Activation act;
  std::vector<float> pairs;  // the weights in tfl::pair_rows' layout, where that helps
};

// Float constants of a graph: float tensors in place, or the output of a DEQUANTIZE of an int8
// (uint8) constant, dequantized here with the kernel's arithmetic, real = scale[c] * (q - zero[c]).
// The dequantized copies live in `storage` (their buffers do not move with it).
class GraphConstants {
 public:
  explicit GraphConstants(const tfl::Model& model) : m_(model) {}
  // Null when the tensor is neither.
  const float* f32(int tensor);
  // The operator of `code` that writes `tensor`, or null.
  const tfl::OpSpec* producer(int tensor, tflite::BuiltinOperator code) const;
  const tfl::Model& model() const { return m_; }
  std::vector<std::vector<float>> take_storage() { return std::move(storage_); }
  std::vector<float>& keep(std::vector<float> values) {
    return storage_.emplace_back(std::move(values));
  }

 private:
  const tfl::Model& m_;
  std::vector<std::vector<float>> storage_;
};

// The index of the tensor called `name`, or -1. A scan, not a hash map (whose template instances
// the shared library would export): the matchers make a few dozen lookups at load.
int tensor_named(const tfl::Model& model, std::string_view name);

// True when `ids_reshape` (the RESHAPE that makes the [1, L] ids) reads the graph's one input,
// directly or through the export's id guard GATHER(remap, MINIMUM(MAXIMUM(input, 0), n)) with
// remap[r] = r below n: the identity for the in-range ids the runtime passes.
bool reshapes_graph_input(GraphConstants& constants, const tfl::OpSpec* ids_reshape);

// The rows behind an embedding: float rows, or int8 codes with a scale per row, both read in
// place from the model (dequantized, a 1M x 32 table would add 128 MB; pocketrec_runtime_memory,
// docs/BENCHMARKS.md). An int8 row is float(code) * scale, one product each, as the graph's CAST
// and MUL compute it.
struct EmbeddingRows {
  const float* f32 = nullptr;
  const int8_t* codes = nullptr;
  const float* scales = nullptr;
  int64_t count = 0, dim = 0;
  explicit operator bool() const { return f32 || codes; }
  bool quantized() const { return codes != nullptr; }
  // Row r: in place, or dequantized into `buffer` (dim floats).
  const float* row(int64_t r, float* buffer) const {
    if (f32) return f32 + r * dim;
    copy_row(r, buffer);
    return buffer;
  }
  void copy_row(int64_t r, float* out) const {
    if (f32) {
      std::copy_n(f32 + r * dim, dim, out);
      return;
    }
    const int8_t* c = codes + r * dim;
    const float scale = scales[r];
    for (int64_t d = 0; d < dim; ++d) out[d] = static_cast<float>(c[d]) * scale;
  }
};
// The rows behind `embedded`, the embedding of `ids_tensor`: GATHER(E, ids), or for int8 tables
// MUL(CAST(GATHER(E8, ids)), GATHER(S, ids)); empty when it is neither.
EmbeddingRows embedding_rows(GraphConstants& constants, int embedded, int ids_tensor);
// The reference starter models' masked embedding x [1, L, dim] = MUL(GATHER(E, ids),
// RESHAPE(CAST(NOT_EQUAL(ids, pad)))), ids = RESHAPE(the graph's input).
struct MaskedEmbedding {
  EmbeddingRows rows;
  int64_t count = 0, dim = 0;
  int32_t pad_id = 0;
  int length = 0;
  // x[i * dim + d] = rows[ids[i]][d] * (ids[i] != pad_id), one rounded product each as MUL
  // computes it; ids must be in [0, count).
  void embed(const int32_t* ids, float* x) const;
};
std::optional<MaskedEmbedding> masked_embedding(GraphConstants& constants, int x_tensor);
// The FULLY_CONNECTED operator `fc` as a layer, or nothing when its weights or activation are
// not ones the fused encoders can repeat.
std::optional<DenseLayer> dense_layer(GraphConstants& constants, const tfl::OpSpec& fc);
// The FULLY_CONNECTED layers that end at `tensor`, first layer first; `tensor` becomes their
// input. False when one of them has weights or an activation the fused encoders cannot repeat.
bool dense_chain(GraphConstants& constants, int& tensor, std::vector<DenseLayer>& layers);
// Runs the layers from `in` to `out`; `a` and `b` hold the widest layer each.
void run_dense(const std::vector<DenseLayer>& layers, const float* in, float* out, float* a,
               float* b);
size_t widest(const std::vector<DenseLayer>& layers);
// The layer applied to `rows` consecutive input rows (size values each) into consecutive output
// rows (units values each), row by row as FULLY_CONNECTED computes them.
void run_dense_rows(const DenseLayer& layer, const float* in, int64_t rows, float* out);

}  // namespace pocketrec::runtime
