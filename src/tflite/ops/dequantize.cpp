// DEQUANTIZE: int8/uint8 to float32, real = scale * (q - zero_point), per tensor or per channel
// along the quantized dimension.
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  ctx.require_inputs(1, 1);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  ctx.require(in.type == DType::kInt8 || in.type == DType::kUInt8, "input must be int8 or uint8");
  ctx.require(in.quant.quantized(), "input has no quantization parameters");
  ctx.set_output(0, in.shape, DType::kFloat32);
}

template <typename T>
void run(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Quantization& q = in.quant;
  const T* x = in.as<T>();
  float* y = ctx.output(0).as<float>();
  const int64_t n = in.elements();
  if (q.scale.size() == 1) {
    for (int64_t i = 0; i < n; ++i) {
      y[i] = q.scale[0] * static_cast<float>(static_cast<int64_t>(x[i]) - q.zero(0));
    }
    return;
  }
  int64_t inner = 1;
  for (int d = q.axis + 1; d < in.shape.rank; ++d) inner *= in.shape[d];
  const int64_t channels = in.shape[q.axis];
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = (i / inner) % channels;
    y[i] = q.scale[c] * static_cast<float>(static_cast<int64_t>(x[i]) - q.zero(c));
  }
}

void eval(OpContext& ctx) {
  if (ctx.input(0).type == DType::kInt8) {
    run<int8_t>(ctx);
  } else {
    run<uint8_t>(ctx);
  }
}

}  // namespace

const Kernel& dequantize_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
