#pragma once
// The LSTM and GRU encoders of pocketrec's exports, evaluated directly. The export unrolls the
// recurrence into about 30 operators per step on vectors of the state size (TFLite's sequence
// operators have no way to keep the state through padding), so the interpreter spent most of an
// LSTM query on per-operator work. This encoder finds the export's weights by the names the
// exporter gives them (prefix/x_<gate>, prefix/recurrent_<gate>, prefix/h0, prefix/t<L-1>/h ...),
// repeats every operator's arithmetic in order with the same kernels (FULLY_CONNECTED's dot
// products, the vector sigmoid and tanh, single rounded products and sums), and like every fused
// encoder is used only after it reproduced the interpreter's user vector bit for bit at load.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/fused_encoder.hpp"
#include "tflite/ops/lstm_kernel.hpp"

namespace pocketrec::runtime {

class FusedRnn final : public FusedEncoder {
 public:
  // The most memory the items' precomputed input terms may take (3,953 items x 128 terms of a
  // 32-unit LSTM: 2 MB); beyond it each step computes its own.
  static constexpr size_t kMaxProjectedBytes = size_t{4} << 20;

  // The encoder of `model` up to `user_tensor`, or null when the graph is not such an export.
  static std::unique_ptr<FusedRnn> match(const tfl::Model& model, int user_tensor,
                                         size_t max_projected_bytes = kMaxProjectedBytes);

  const char* name() const override { return lstm_ ? "LSTM" : "GRU"; }
  void encode(const int32_t* ids, float* out, float* scratch) const override;
  bool projects_inputs() const { return !projected_.empty(); }

 private:
  // One step for item `id`: its input terms from projected_ where that is kept, else computed.
  void step(int32_t id, float* h, float* c, float* s) const;
  // The steps of match: each gate's input projection and recurrent matrix (returns the [L, E]
  // steps tensor they read, or -1), the initial state, the embedded history and its step mask,
  // then the tables computed at load.
  int match_gates(GraphConstants& constants, const std::string& prefix, int length, int units);
  bool match_initial_state(GraphConstants& constants, const std::string& prefix, int units);
  bool match_history(GraphConstants& constants, int steps, int length);
  void prepare_tables(size_t max_projected_bytes);

  bool lstm_ = true;
  int gates_ = 4, units_ = 0, emb_dim_ = 0;
  EmbeddingRows embeddings_;      // [rows, emb_dim]
  size_t row_buffer_ = 0;         // where a dequantized row goes in the scratch
  const float* valid_ = nullptr;  // [rows]: 1 for an item, 0 for padding (the step mask)
  // Gates side by side: the input projections [gates * units, emb_dim] and their biases, the
  // recurrent matrices [gates * units, units]. Row by row these are the graph's own matrices, and
  // FULLY_CONNECTED's dot products do not depend on which rows are computed together.
  std::vector<float> input_weights_, input_bias_, recurrent_weights_;
  std::vector<float> recurrent_pairs_;  // in tfl::pair_rows' layout, where that helps
  // Every item's input terms, FULLY_CONNECTED(x, W_q) + b_q for all gates [rows, gates * units],
  // computed once at load with the step's own kernels (so the same bits) where they fit in
  // max_projected_bytes: they depend on the item alone, and were half of every step's products.
  std::vector<float> projected_;
  std::vector<float> h0_, c0_;
  std::vector<DenseLayer> layers_;
  std::vector<std::vector<float>> dequantized_;
};

// The reference's LSTM starter model: UNIDIRECTIONAL_SEQUENCE_LSTM over the masked embeddings
// (GATHER(E, ids) times CAST(NOT_EQUAL(ids, pad))), the last step's output, dense layers. The
// recurrence runs through the operator's own kernel (tfl::lstm_sequence) on weights packed the
// way the operator packs them, so only the operators around it change hands.
class FusedSequenceLstm final : public FusedEncoder {
 public:
  // max_projected_bytes as FusedRnn::match takes it.
  static std::unique_ptr<FusedSequenceLstm> match(
      const tfl::Model& model, int user_tensor,
      size_t max_projected_bytes = FusedRnn::kMaxProjectedBytes);

  const char* name() const override { return "LSTM"; }
  void encode(const int32_t* ids, float* out, float* scratch) const override;
  bool projects_inputs() const { return !projected_.empty(); }

 private:
  int units_ = 0, emb_dim_ = 0;
  // Every item's input terms (tfl::lstm_input_terms of its masked embedding), [rows, 4 * units],
  // where they fit in FusedRnn::kMaxProjectedBytes (the starter model: 3,953 x 64, 1 MB); empty
  // otherwise. Each step then waits on the recurrent products alone.
  std::vector<float> projected_;
  MaskedEmbedding embedding_;
  std::vector<float> packed_;  // bias, input and recurrent weights (tfl::LstmWeights)
  tfl::LstmWeights weights_;
  std::vector<DenseLayer> layers_;
  std::vector<std::vector<float>> dequantized_;
};

}  // namespace pocketrec::runtime
