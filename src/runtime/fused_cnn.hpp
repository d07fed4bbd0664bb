#pragma once
// CNN encoders evaluated directly, in the two forms known:
//  - the reference's CNN starter model: the masked embedding, a chain of undilated CONV_2D, a
//    REDUCE_MAX over size-1 axes (a copy), the dense layers;
//  - pocketrec's CNN exports: the embedding, a chain of CONV_2D with a MAX_POOL_2D of the 0/1
//    history mask beside each (is any position of the window an item), the last convolution
//    times the last mask, REDUCE_MAX over the positions, the dense layers.
// The convolutions run through the operator's own conv_undilated on filters packed the way it
// packs them; the pooling, product and maximum repeat their operators' comparisons in order.
// Like every fused encoder it is used only after reproducing the interpreter's user vector bit
// for bit at load.
#include <memory>
#include <vector>

#include "runtime/fused_encoder.hpp"
#include "tflite/ops/conv_rows.hpp"

namespace pocketrec::runtime {

class FusedCnn final : public FusedEncoder {
 public:
  static std::unique_ptr<FusedCnn> match(const tfl::Model& model, int user_tensor);

  const char* name() const override { return "CNN"; }
  void encode(const int32_t* ids, float* out, float* scratch) const override;

 private:
  struct Conv {
    tfl::ConvShape shape;
    std::vector<float> packed;  // [KH][KW][Cin][Cout]
    const float* bias;          // [Cout] or null
    tfl::Activation act;
    size_t out_floats;
    tfl::WindowGeometry pool;  // pocketrec's form: the mask's pooling window along the history
    int32_t pool_width = 0, pool_stride = 0;
  };
  // pocketrec's form: window masks beside the convolutions, from valid_[id] (0 or 1 per row).
  void pool_masks(const int32_t* ids, float* a, float* b, const float** last) const;

  MaskedEmbedding embedding_;  // the starter's form; in pocketrec's, pad_id is unused
  const float* valid_ = nullptr;
  std::vector<Conv> convs_;  // first layer first
  size_t widest_conv_ = 0;
  int pooled_ = 0;  // the convolutions' output values, the dense layers' input
  std::vector<DenseLayer> layers_;
  std::vector<std::vector<float>> dequantized_;
};

}  // namespace pocketrec::runtime
