#include "tflite/tensor.hpp"

#include "core/error.hpp"

namespace pocketrec::tfl {

size_t dtype_size(int code) {
  switch (static_cast<DType>(code)) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kInt16:
      return 2;
    case DType::kUInt8:
    case DType::kInt8:
    case DType::kBool:
      return 1;
  }
  return 0;
}

std::string dtype_name(int code) {
  switch (static_cast<DType>(code)) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kInt16:
      return "int16";
    case DType::kUInt8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kBool:
      return "bool";
  }
  return "type#" + std::to_string(code);
}

Shape::Shape(std::initializer_list<int32_t> list) {
  if (list.size() > kMaxRank) throw Error("tensor rank above " + std::to_string(kMaxRank));
  for (int32_t d : list) dims[rank++] = d;
}

Shape Shape::of(const std::vector<int32_t>& list) {
  if (list.size() > kMaxRank) {
    throw Error("tensor rank " + std::to_string(list.size()) + " is above the supported " +
                std::to_string(kMaxRank));
  }
  Shape s;
  for (int32_t d : list) s.dims[s.rank++] = d;
  return s;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ',';
    s += std::to_string(dims[i]);
  }
  s += ']';
  return s;
}

bool Shape::operator==(const Shape& other) const {
  if (rank != other.rank) return false;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] != other.dims[i]) return false;
  }
  return true;
}

}  // namespace pocketrec::tfl
