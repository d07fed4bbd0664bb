#pragma once
// Tensors as the interpreter sees them: a dtype, a static shape (no batch dimension is assumed) and
// a pointer into either the model's constant storage or the interpreter's arena.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pocketrec::tfl {

// Values are TFLite's TensorType codes; only the types recommendation graphs use are executable.
enum class DType : int8_t {
  kFloat32 = 0,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kBool = 6,
  kInt16 = 7,
  kInt8 = 9,
};

// Bytes per element, or 0 for a TensorType code pocketrec cannot execute.
size_t dtype_size(int code);
inline size_t dtype_size(DType t) {
  return dtype_size(static_cast<int>(t));
}
std::string dtype_name(int code);
inline std::string dtype_name(DType t) {
  return dtype_name(static_cast<int>(t));
}

constexpr int kMaxRank = 6;

struct Shape {
  int rank = 0;
  std::array<int32_t, kMaxRank> dims{};

  Shape() = default;
  Shape(std::initializer_list<int32_t> list);
  static Shape of(const std::vector<int32_t>& list);
  int32_t operator[](int i) const { return dims[i]; }
  int32_t& operator[](int i) { return dims[i]; }
  // Saturates at 2^50 instead of overflowing, so absurd shapes from a hostile file fail the size
  // checks. Inline and free of divisions: operators ask for it several times per call.
  int64_t elements() const {
    constexpr int64_t kSaturated = int64_t{1} << 50;
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) {
      if (dims[i] <= 0) return 0;
      if (__builtin_mul_overflow(n, int64_t{dims[i]}, &n) || n > kSaturated) n = kSaturated;
    }
    return n;
  }
  std::string str() const;
  bool operator==(const Shape& other) const;
};

struct Quantization {
  std::vector<float> scale;  // empty: not quantized
  // One per scale, or one for all (a model's per-channel zero points that are all equal are
  // kept once: 8 MB at a million rows).
  std::vector<int64_t> zero_point;
  int axis = 0;
  bool quantized() const { return !scale.empty(); }
  int64_t zero(size_t channel) const {
    return zero_point.size() == 1 ? zero_point[0] : zero_point[channel];
  }
};

struct Tensor {
  std::string name;
  DType type = DType::kFloat32;
  Shape shape;
  std::byte* data = nullptr;
  size_t bytes = 0;
  bool constant = false;
  bool is_variable = false;
  Quantization quant;

  int64_t elements() const { return shape.elements(); }
  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(data);
  }
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data);
  }
};

}  // namespace pocketrec::tfl
