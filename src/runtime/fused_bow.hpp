#pragma once
// The bag-of-words encoder of pocketrec's exports and of the reference's BOW model, evaluated
// directly instead of operator by operator: a masked mean of the history's embeddings through the
// dense layers. It recognises either graph between the input ids and the user vector (GATHER,
// MUL, SUM, the count and division in each form, FULLY_CONNECTED...), repeats each operator's
// arithmetic in the same order, and is only used after it reproduced the interpreter's user
// vector bit for bit on test histories at load. Weights behind a DEQUANTIZE (int8 exports) are
// dequantized once, at match. Other graphs keep the interpreter.
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/fused_encoder.hpp"

namespace pocketrec::runtime {

class FusedBow final : public FusedEncoder {
 public:
  // The encoder of `model` up to `user_tensor`, or null when the graph has another shape.
  static std::unique_ptr<FusedBow> match(const tfl::Model& model, int user_tensor);

  const char* name() const override { return "BOW"; }
  void encode(const int32_t* ids, float* out, float* scratch) const override;

 private:
  static constexpr int kMaxLength = 64;  // history positions (the sums are on the stack)
  int emb_dim_ = 0;
  int ids_tensor_ = -1;
  EmbeddingRows embeddings_;  // [rows, emb_dim]
  size_t halves_ = 0;         // scratch: the mean and a spare buffer, this many floats each
  // pocketrec's form: a weight per id (0 for padding) and MAXIMUM's constant.
  const float* mask_ = nullptr;
  int64_t mask_rows_ = 0;
  float min_count_ = 0.0f;
  // The reference's form: weight 1 for every id but pad_id; the count times count_scale[d] divides
  // dimension d unless it equals zero_, where fallback[d] stands instead.
  int32_t pad_id_ = 0;
  const float* count_scale_ = nullptr;
  const float* fallback_ = nullptr;
  float zero_ = 0.0f;
  std::vector<DenseLayer> layers_;
  // Dequantized copies of int8 weights that the pointers above may point into.
  std::vector<std::vector<float>> dequantized_;
};

}  // namespace pocketrec::runtime
