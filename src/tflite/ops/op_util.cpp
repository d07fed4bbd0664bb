#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {

std::vector<int64_t> constant_ints(const OpContext& ctx, const Tensor& t, const char* what) {
  if (!t.constant) ctx.fail(std::string(what) + " must be a constant tensor");
  std::vector<int64_t> values(static_cast<size_t>(t.elements()));
  if (t.type == DType::kInt32) {
    for (size_t i = 0; i < values.size(); ++i) values[i] = t.as<int32_t>()[i];
  } else if (t.type == DType::kInt64) {
    for (size_t i = 0; i < values.size(); ++i) values[i] = t.as<int64_t>()[i];
  } else {
    ctx.fail(std::string(what) + " must be int32 or int64, is " + dtype_name(t.type));
  }
  return values;
}

int normalize_axis(const OpContext& ctx, int64_t axis, int rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max(rank, 1)) {
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return static_cast<int>(a);
}

std::optional<Activation> activation_of(tflite::ActivationFunctionType type) {
  switch (type) {
    case tflite::ActivationFunctionType::NONE:
      return Activation::kNone;
    case tflite::ActivationFunctionType::RELU:
      return Activation::kRelu;
    case tflite::ActivationFunctionType::RELU_N1_TO_1:
      return Activation::kReluN1To1;
    case tflite::ActivationFunctionType::RELU6:
      return Activation::kRelu6;
    default:
      return std::nullopt;
  }
}

Activation fused_activation(const OpContext& ctx, tflite::ActivationFunctionType type) {
  if (auto a = activation_of(type)) return *a;
  ctx.fail("fused activation " + std::to_string(static_cast<int>(type)) + " is not supported");
}

void activate_all(Activation a, float* x, int64_t n) {
  // One loop per activation: with the switch inside, GCC compiled ReLU to a compare and a branch
  // per value, mispredicted on about half of them; these loops vectorise (max, min).
  switch (a) {
    case Activation::kNone:
      return;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      return;
    case Activation::kReluN1To1:
      for (int64_t i = 0; i < n; ++i) x[i] = std::clamp(x[i], -1.0f, 1.0f);
      return;
    case Activation::kRelu6:
      for (int64_t i = 0; i < n; ++i) x[i] = std::clamp(x[i], 0.0f, 6.0f);
      return;
  }
}

void add_bias_activate(float* x, const float* bias, int64_t n, Activation a) {
  if (bias) {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] + bias[i];
  } else {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] + 0.0f;
  }
  activate_all(a, x, n);
}

Shape broadcast_shape(const OpContext& ctx, const Shape& a, const Shape& b) {
  Shape out;
  out.rank = std::max(a.rank, b.rank);
  for (int i = 0; i < out.rank; ++i) {
    int ia = a.rank - out.rank + i, ib = b.rank - out.rank + i;
    int32_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      ctx.fail("shapes " + a.str() + " and " + b.str() + " do not broadcast");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void broadcast_strides(const Shape& in, const Shape& out, std::array<int64_t, kMaxRank>& strides) {
  int64_t stride = 1;
  for (int i = out.rank - 1; i >= 0; --i) {
    int j = in.rank - out.rank + i;
    int32_t d = j >= 0 ? in[j] : 1;
    strides[i] = d == 1 ? 0 : stride;
    stride *= d;
  }
}

}  // namespace pocketrec::tfl
