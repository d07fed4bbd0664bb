#pragma once
// Builds a .tflite file the official runtime accepts (checklist in
// shared/reference/tflite-format.md section 6): identifier TFL3, version 3, empty buffer 0, one
// buffer per constant with exact sizes, de-duplicated operator codes with both code fields, options
// for every operator that needs them.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tflite/tensor.hpp"

namespace flatbuffers {
class FlatBufferBuilder;
template <typename T>
struct Offset;
}  // namespace flatbuffers

namespace pocketrec::tfl {

// Creates an operator's options table inside the file's builder; returns (union member index,
// table offset).
using OptionsMaker = std::function<std::pair<uint8_t, uint32_t>(flatbuffers::FlatBufferBuilder&)>;

class GraphWriter {
 public:
  int add_tensor(const std::string& name, DType type, const Shape& shape);
  int add_variable(const std::string& name, DType type, const Shape& shape);
  int add_constant(const std::string& name, DType type, const Shape& shape, const void* data,
                   size_t bytes, Quantization quant = {});
  int add_floats(const std::string& name, const Shape& shape, const std::vector<float>& values);
  int add_ints(const std::string& name, const Shape& shape, const std::vector<int32_t>& values);
  // `code` is a BuiltinOperator value; `version` the operator version the runtime must support.
  void add_op(int code, std::vector<int> inputs, std::vector<int> outputs,
              OptionsMaker options = nullptr, int version = 1);

  void set_inputs(std::vector<int> inputs) { inputs_ = std::move(inputs); }
  void set_outputs(std::vector<int> outputs) { outputs_ = std::move(outputs); }
  // A SignatureDef (inputs/outputs as name -> tensor).
  void add_signature(const std::string& key, std::vector<std::pair<std::string, int>> inputs,
                     std::vector<std::pair<std::string, int>> outputs);
  void add_metadata(const std::string& name, std::string bytes);

  const Shape& shape(int tensor) const { return tensors_.at(tensor).shape; }
  DType type(int tensor) const { return tensors_.at(tensor).type; }
  size_t tensor_count() const { return tensors_.size(); }

  // The finished file. min_runtime_version metadata is computed from the operators used.
  std::vector<uint8_t> finish(const std::string& description = "pocketrec") const;

 private:
  struct TensorEntry {
    std::string name;
    DType type;
    Shape shape;
    int buffer = 0;  // index into constants_ + 1, or 0
    bool is_variable = false;
    Quantization quant;
  };
  struct OpEntry {
    int code;
    int version;
    std::vector<int> inputs, outputs;
    OptionsMaker options;
  };
  std::vector<TensorEntry> tensors_;
  std::vector<std::string> constants_;
  std::vector<OpEntry> ops_;
  std::vector<int> inputs_, outputs_;
  struct Signature {
    std::string key;
    std::vector<std::pair<std::string, int>> inputs, outputs;
  };
  std::vector<Signature> signatures_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace pocketrec::tfl
