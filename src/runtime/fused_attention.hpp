#pragma once
// pocketrec's self-attention exports evaluated directly. The export computes every block over all
// L positions, padding included; only the history's items (and the newest position, whose output
// is the user vector) reach the result, because masked keys get attention weights of exactly 0.
// This encoder computes those rows alone, so a short history costs little at L = 200, and calls
// the kernels' own arithmetic (FULLY_CONNECTED's dot products, tfl::softmax_row,
// tfl::weighted_rows_add, tfl::gelu, LayerNorm's lane sums) so the surviving values keep the
// interpreter's bits: softmax sums skip the masked keys' exact zeros, the weighted sums skip zero
// weights in both. The weights are found by the names the exporter gives them
// (attention/block_<b>/head_<h>/query ...), the masks' constants are checked value by value, and
// like every fused encoder it is used only after reproducing the interpreter's user vector bit for
// bit at load.
#include <memory>
#include <vector>

#include "runtime/fused_encoder.hpp"

namespace pocketrec::runtime {

class FusedAttention final : public FusedEncoder {
 public:
  // The most scratch memory an encoder may need (L = 4096 with width 256 is about 50 MB).
  static constexpr size_t kMaxScratchBytes = size_t{64} << 20;

  static std::unique_ptr<FusedAttention> match(const tfl::Model& model, int user_tensor);

  const char* name() const override { return "attention"; }
  void encode(const int32_t* ids, float* out, float* scratch) const override;

 private:
  struct LayerNorm {
    const float* gamma = nullptr;
    const float* beta = nullptr;
    float epsilon = 0;
  };
  struct Block {
    LayerNorm ln1, ln2;
    // The heads' projections side by side: head h is output columns [h * head_dim, ...).
    DenseLayer query, key, value;
    std::vector<float> betas;  // each head's SOFTMAX beta
    DenseLayer out, ffn1, ffn2;
    bool gelu = false, gelu_approximate = false;
  };

  // LayerNorm as the graph computes it (MEAN, SUB, MUL, MEAN, ADD, RSQRT, MUL, MUL, ADD), row by
  // row over `rows` rows of width_; `squares` holds width_ values.
  void layer_norm(const LayerNorm& ln, const float* in, int64_t rows, float* out,
                  float* squares) const;

  int width_ = 0, heads_ = 0, head_dim_ = 0, ffn_ = 0;
  EmbeddingRows embeddings_;         // [rows, width]
  const float* valid_ = nullptr;     // [rows]: 1 for an item, 0 otherwise (checked at load)
  const float* position_ = nullptr;  // [L, width]
  float input_scale_ = 1, score_scale_ = 1;
  std::vector<Block> blocks_;
  LayerNorm final_;
  std::vector<DenseLayer> layers_;
  std::vector<std::vector<float>> storage_;  // dequantized and concatenated weights
};

}  // namespace pocketrec::runtime
