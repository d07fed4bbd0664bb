#pragma once
// The reference's CNN starter model, evaluated directly: the masked embedding, a chain of
// undilated CONV_2D (through the operator's own conv_undilated, on filters packed the way it packs
// them), a REDUCE_MAX over size-1 axes (a copy), the dense layers. Like every fused encoder it is
// used only after reproducing the interpreter's user vector bit for bit at load. pocketrec's CNN
// exports (masked max pooling) keep the interpreter.
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
  };
  MaskedEmbedding embedding_;
  std::vector<Conv> convs_;  // first layer first
  size_t widest_conv_ = 0;
  int pooled_ = 0;  // the convolutions' output values, the dense layers' input
  std::vector<DenseLayer> layers_;
  std::vector<std::vector<float>> dequantized_;
};

}  // namespace pocketrec::runtime
