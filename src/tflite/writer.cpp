#include "tflite/writer.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "core/error.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl {
namespace {

// The oldest runtime that has each operator at version 1 (TFLite's runtime_version table), as
// "major.minor.patch" numbers; unknown operators count as 1.14.0.
std::array<int, 3> min_runtime(int code) {
  using Op = tflite::BuiltinOperator;
  switch (static_cast<Op>(code)) {
    case Op::FULLY_CONNECTED:
    case Op::RESHAPE:
    case Op::CAST:
    case Op::CONV_2D:
    case Op::MAX_POOL_2D:
    case Op::ADD:
    case Op::MUL:
    case Op::CONCATENATION:
      return {1, 5, 0};
    case Op::GATHER:
    case Op::MEAN:
    case Op::SUB:
    case Op::DIV:
      return {1, 6, 0};
    case Op::TOPK_V2:
      return {1, 7, 0};
    case Op::SUM:
      return {1, 10, 0};
    case Op::REDUCE_MAX:
      return {1, 11, 0};
    default:
      return {1, 14, 0};
  }
}

}  // namespace

int GraphWriter::add_tensor(const std::string& name, DType type, const Shape& shape) {
  tensors_.push_back({name, type, shape, 0, false, {}});
  return static_cast<int>(tensors_.size()) - 1;
}

int GraphWriter::add_variable(const std::string& name, DType type, const Shape& shape) {
  int index = add_tensor(name, type, shape);
  tensors_[index].is_variable = true;
  return index;
}

int GraphWriter::add_constant(const std::string& name, DType type, const Shape& shape,
                              const void* data, size_t bytes, Quantization quant) {
  if (bytes != static_cast<size_t>(shape.elements()) * dtype_size(type)) {
    throw Error("export: constant '" + name + "' has " + std::to_string(bytes) +
                " bytes for shape " + shape.str());
  }
  constants_.emplace_back(static_cast<const char*>(data), bytes);
  tensors_.push_back(
      {name, type, shape, static_cast<int>(constants_.size()), false, std::move(quant)});
  return static_cast<int>(tensors_.size()) - 1;
}

int GraphWriter::add_floats(const std::string& name, const Shape& shape,
                            const std::vector<float>& values) {
  return add_constant(name, DType::kFloat32, shape, values.data(), values.size() * sizeof(float));
}

int GraphWriter::add_ints(const std::string& name, const Shape& shape,
                          const std::vector<int32_t>& values) {
  return add_constant(name, DType::kInt32, shape, values.data(), values.size() * sizeof(int32_t));
}

void GraphWriter::add_op(int code, std::vector<int> inputs, std::vector<int> outputs,
                         OptionsMaker options, int version) {
  ops_.push_back({code, version, std::move(inputs), std::move(outputs), std::move(options)});
}

void GraphWriter::add_signature(const std::string& key,
                                std::vector<std::pair<std::string, int>> inputs,
                                std::vector<std::pair<std::string, int>> outputs) {
  signatures_.push_back({key, std::move(inputs), std::move(outputs)});
}

void GraphWriter::add_metadata(const std::string& name, std::string bytes) {
  metadata_.emplace_back(name, std::move(bytes));
}

std::vector<uint8_t> GraphWriter::finish(const std::string& description) const {
  flatbuffers::FlatBufferBuilder fbb(1 << 20);
  // Buffers: 0 empty, then constants, then metadata values.
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers;
  buffers.push_back(tflite::CreateBuffer(fbb));
  for (const std::string& bytes : constants_) {
    fbb.ForceVectorAlignment(bytes.size(), 1, 16);
    auto data = fbb.CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    buffers.push_back(tflite::CreateBuffer(fbb, data));
  }
  std::array<int, 3> runtime{1, 5, 0};
  for (const OpEntry& op : ops_) runtime = std::max(runtime, min_runtime(op.code));
  std::string version_text = std::to_string(runtime[0]) + "." + std::to_string(runtime[1]) + "." +
                             std::to_string(runtime[2]);
  version_text.resize(16, '\0');  // the converter's fixed 16-byte, NUL-padded field
  std::vector<std::pair<std::string, std::string>> metadata = metadata_;
  metadata.insert(metadata.begin(), {"min_runtime_version", version_text});
  std::vector<flatbuffers::Offset<tflite::Metadata>> metadata_entries;
  for (const auto& [name, bytes] : metadata) {
    fbb.ForceVectorAlignment(bytes.size(), 1, 16);
    auto data = fbb.CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    buffers.push_back(tflite::CreateBuffer(fbb, data));
    metadata_entries.push_back(tflite::CreateMetadata(fbb, fbb.CreateString(name),
                                                      static_cast<uint32_t>(buffers.size() - 1)));
  }

  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors;
  for (const TensorEntry& t : tensors_) {
    std::vector<int32_t> shape(t.shape.dims.begin(), t.shape.dims.begin() + t.shape.rank);
    flatbuffers::Offset<tflite::QuantizationParameters> quant;
    if (t.quant.quantized()) {
      quant = tflite::CreateQuantizationParametersDirect(
          fbb, nullptr, nullptr, &t.quant.scale, &t.quant.zero_point,
          tflite::QuantizationDetails::NONE, 0, t.quant.axis);
    }
    tensors.push_back(tflite::CreateTensorDirect(
        fbb, &shape, static_cast<tflite::TensorType>(t.type), static_cast<uint32_t>(t.buffer),
        t.name.c_str(), quant, t.is_variable));
  }

  // One OperatorCode per distinct builtin, at the highest version any use needs.
  std::map<int, int> versions;
  for (const OpEntry& op : ops_) versions[op.code] = std::max(versions[op.code], op.version);
  std::map<int, uint32_t> code_index;
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes;
  for (const auto& [code, version] : versions) {
    code_index[code] = static_cast<uint32_t>(codes.size());
    codes.push_back(tflite::CreateOperatorCode(fbb, static_cast<int8_t>(std::min(code, 127)), 0,
                                               version,
                                               static_cast<tflite::BuiltinOperator>(code)));
  }
  std::vector<flatbuffers::Offset<tflite::Operator>> ops;
  for (const OpEntry& op : ops_) {
    uint8_t type = 0;
    flatbuffers::Offset<void> options;
    if (op.options) {
      auto [t, offset] = op.options(fbb);
      type = t;
      options = flatbuffers::Offset<void>(offset);
    }
    ops.push_back(tflite::CreateOperatorDirect(fbb, code_index[op.code], &op.inputs, &op.outputs,
                                               static_cast<tflite::BuiltinOptions>(type), options));
  }
  auto subgraph = tflite::CreateSubGraphDirect(fbb, &tensors, &inputs_, &outputs_, &ops, "main");
  std::vector<flatbuffers::Offset<tflite::SubGraph>> subgraphs{subgraph};

  std::vector<flatbuffers::Offset<tflite::SignatureDef>> signatures;
  for (const Signature& s : signatures_) {
    std::vector<flatbuffers::Offset<tflite::TensorMap>> in, out;
    for (const auto& [name, index] : s.inputs) {
      in.push_back(tflite::CreateTensorMapDirect(fbb, name.c_str(), static_cast<uint32_t>(index)));
    }
    for (const auto& [name, index] : s.outputs) {
      out.push_back(tflite::CreateTensorMapDirect(fbb, name.c_str(), static_cast<uint32_t>(index)));
    }
    signatures.push_back(tflite::CreateSignatureDefDirect(fbb, &in, &out, s.key.c_str(), 0));
  }
  auto model =
      tflite::CreateModelDirect(fbb, 3, &codes, &subgraphs, description.c_str(), &buffers, nullptr,
                                &metadata_entries, signatures.empty() ? nullptr : &signatures);
  tflite::FinishModelBuffer(fbb, model);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

}  // namespace pocketrec::tfl
