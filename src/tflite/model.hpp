#pragma once
// A .tflite file, verified and decoded once. Nothing here trusts the file: the FlatBuffers verifier
// checks the structure, then every index, shape, buffer size and the operator order are checked
// before any tensor is touched. The model is immutable after loading and can be shared by threads.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tflite/tensor.hpp"

namespace tflite {
struct Operator;
}

namespace pocketrec::tfl {

struct TensorSpec {
  std::string name;
  DType type = DType::kFloat32;
  Shape shape;
  bool is_variable = false;
  Quantization quant;
  const std::byte* data = nullptr;  // constant tensors only; aligned for the type (not more)
  size_t bytes = 0;
};

struct OpSpec {
  int code = 0;                           // BuiltinOperator
  int version = 1;                        // operator version
  std::vector<int> inputs, outputs;       // tensor indices; -1 = omitted optional input
  const tflite::Operator* raw = nullptr;  // for the operator's options
};

struct SignatureSpec {
  std::string key;
  std::vector<std::pair<std::string, int>> inputs, outputs;  // name -> tensor index
};

class Model {
 public:
  static std::shared_ptr<const Model> load_file(const std::string& path);
  // Copies the bytes; `origin` names the source in error messages.
  static std::shared_ptr<const Model> from_bytes(const void* data, size_t size,
                                                 const std::string& origin);

  const std::string& origin() const { return origin_; }
  const std::string& description() const { return description_; }
  const std::vector<TensorSpec>& tensors() const { return tensors_; }
  const std::vector<OpSpec>& ops() const { return ops_; }
  // The operator that writes `tensor`, or -1 (a constant, an input, or no tensor at all).
  int producer(int tensor) const;
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  const std::vector<SignatureSpec>& signatures() const { return signatures_; }
  // The raw bytes of a metadata entry, if the file has one with this name.
  std::optional<std::string_view> metadata(std::string_view name) const;
  std::vector<std::string> metadata_names() const;
  size_t file_size() const { return size_; }
  const uint8_t* file_bytes() const { return bytes_; }
  // Tells the system that this part of a mapped file will not be read soon (the runtime has
  // copied it into its own layout): its pages leave the process's resident set and come back
  // from the file if read again. Nothing for models held in memory.
  void release_pages(const void* begin, size_t bytes) const;

 private:
  Model() = default;
  void decode();
  static std::shared_ptr<const Model> load_file_by_reading(const std::string& path);

  std::string origin_;
  // The file's bytes: mapped read-only from disk, or an 8-byte aligned copy of a caller's buffer
  // (the FlatBuffers verifier wants aligned scalars). Constants are used in place when aligned.
  std::shared_ptr<const void> mapping_;
  std::vector<uint64_t> file_;
  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  std::vector<uint64_t> constants_;
  std::string description_;
  std::vector<TensorSpec> tensors_;
  std::vector<OpSpec> ops_;
  std::vector<int> inputs_, outputs_;
  std::vector<SignatureSpec> signatures_;
  std::vector<std::pair<std::string, std::string_view>> metadata_;
};

// Name of a BuiltinOperator code ("FULLY_CONNECTED"), or "op#N".
std::string op_name(int code);

}  // namespace pocketrec::tfl
