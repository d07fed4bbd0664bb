#include "tflite/model.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl {
namespace {

constexpr uint32_t kSchemaVersion = 3;
constexpr int kMaxBuiltinCode = 161;                   // codes above are StableHLO-era
constexpr int64_t kMaxTensorBytes = int64_t{1} << 31;  // a FlatBuffer is < 2 GB anyway

template <typename T>
size_t count(const flatbuffers::Vector<T>* v) {
  return v ? v->size() : 0;
}

}  // namespace

std::string op_name(int code) {
  if (code >= 0 && code <= kMaxBuiltinCode) {
    const char* name = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(code));
    if (name && *name) return name;
  }
  return "op#" + std::to_string(code);
}

std::shared_ptr<const Model> Model::load_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open the model file: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    ::close(fd);
    throw Error(path + ": model file is larger than 2 GB, which TFLite FlatBuffers cannot be");
  }
  if (size == 0) {
    ::close(fd);
    return from_bytes("", 0, path);
  }
  // Mapped, not read: the pages are shared with the page cache and only those used stay resident.
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return load_file_by_reading(path);
  std::shared_ptr<Model> model(new Model());
  model->origin_ = path;
  model->size_ = size;
  model->mapping_ = std::shared_ptr<const void>(
      map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  model->bytes_ = static_cast<const uint8_t*>(map);
  model->decode();
  return model;
}

std::shared_ptr<const Model> Model::load_file_by_reading(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) throw Error(path + ": cannot read the model file");
  return from_bytes(bytes.data(), bytes.size(), path);
}

std::shared_ptr<const Model> Model::from_bytes(const void* data, size_t size,
                                               const std::string& origin) {
  std::shared_ptr<Model> model(new Model());
  model->origin_ = origin;
  model->size_ = size;
  model->file_.assign((size + 7) / 8, 0);
  if (size) std::memcpy(model->file_.data(), data, size);
  model->bytes_ = reinterpret_cast<const uint8_t*>(model->file_.data());
  model->decode();
  return model;
}

void Model::release_pages(const void* begin, size_t bytes) const {
  if (!mapping_ || !begin || bytes == 0) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto from = reinterpret_cast<uintptr_t>(begin);
  const auto start = reinterpret_cast<uintptr_t>(bytes_);
  if (from < start || from + bytes > start + size_) return;
  // Whole pages inside the range only: a neighbour's data may share the edge pages.
  const uintptr_t first = (from + page - 1) / page * page, last = (from + bytes) / page * page;
#ifdef MADV_DONTNEED
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
#endif
}

std::optional<std::string_view> Model::metadata(std::string_view name) const {
  for (const auto& [key, value] : metadata_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::vector<std::string> Model::metadata_names() const {
  std::vector<std::string> names;
  for (const auto& entry : metadata_) names.push_back(entry.first);
  return names;
}

void Model::decode() {
  auto fail = [&](const std::string& problem) { return Error(origin_ + ": " + problem); };
  const uint8_t* bytes = bytes_;
  if (size_ < 8)
    throw fail("not a TFLite model: the file is only " + std::to_string(size_) + " bytes");
  if (!flatbuffers::BufferHasIdentifier(bytes, tflite::ModelIdentifier())) {
    throw fail("not a TFLite model: the file identifier is not 'TFL3'");
  }
  flatbuffers::Verifier verifier(bytes, size_);
  if (!tflite::VerifyModelBuffer(verifier)) {
    throw fail(
        "corrupt TFLite model: the FlatBuffer structure does not verify (truncated or damaged)");
  }
  const tflite::Model* model = tflite::GetModel(bytes);
  if (model->version() != kSchemaVersion) {
    throw fail("TFLite schema version " + std::to_string(model->version()) +
               " is not supported (expected 3)");
  }
  if (model->description()) description_ = model->description()->str();
  const auto* subgraphs = model->subgraphs();
  if (!subgraphs || subgraphs->size() == 0) throw fail("the model has no subgraph");
  const auto* buffers = model->buffers();
  if (!buffers) throw fail("the model has no buffers");
  const tflite::SubGraph* graph = subgraphs->Get(0);
  if (!graph->tensors()) throw fail("subgraph 0 has no tensors");
  if (!graph->operators()) throw fail("subgraph 0 has no operator list");

  // Tensors: shapes, types and constant data, all checked before anything is copied.
  const auto* fb_tensors = graph->tensors();
  const size_t n_tensors = fb_tensors->size();
  std::vector<const flatbuffers::Vector<uint8_t>*> tensor_data(n_tensors, nullptr);
  tensors_.resize(n_tensors);
  for (size_t i = 0; i < n_tensors; ++i) {
    const tflite::Tensor* t = fb_tensors->Get(static_cast<flatbuffers::uoffset_t>(i));
    TensorSpec& spec = tensors_[i];
    spec.name = t->name() ? t->name()->str() : "";
    std::string label =
        "tensor " + std::to_string(i) + (spec.name.empty() ? "" : " '" + spec.name + "'");
    int type = static_cast<int>(t->type());
    if (dtype_size(type) == 0) {
      throw fail(label + " has type " + dtype_name(type) + ", which pocketrec cannot execute");
    }
    spec.type = static_cast<DType>(type);
    if (count(t->shape()) > static_cast<size_t>(kMaxRank)) {
      throw fail(label + " has rank " + std::to_string(count(t->shape())) + " (at most " +
                 std::to_string(kMaxRank) + " supported)");
    }
    int64_t elements = 1;
    if (t->shape()) {
      for (int32_t d : *t->shape()) {
        if (d < 0) throw fail(label + " has a negative dimension " + std::to_string(d));
        spec.shape.dims[spec.shape.rank++] = d;
        elements *= d;
        if (elements * static_cast<int64_t>(dtype_size(type)) > kMaxTensorBytes) {
          throw fail(label + " is absurdly large (shape over 2 GB)");
        }
      }
    }
    spec.is_variable = t->is_variable();
    if (t->sparsity()) throw fail(label + " is sparse, which pocketrec does not support");
    if (const auto* q = t->quantization(); q && q->scale() && q->scale()->size() > 0) {
      if (count(q->zero_point()) != q->scale()->size()) {
        throw fail(label + ": quantization has " + std::to_string(q->scale()->size()) +
                   " scales but " + std::to_string(count(q->zero_point())) + " zero points");
      }
      int axis = q->quantized_dimension();
      size_t scales = q->scale()->size();
      if (scales > 1 && (axis < 0 || axis >= spec.shape.rank ||
                         static_cast<size_t>(spec.shape[axis]) != scales)) {
        throw fail(label + ": " + std::to_string(scales) +
                   " quantization scales do not match dimension " + std::to_string(axis) +
                   " of shape " + spec.shape.str());
      }
      spec.quant.scale.assign(q->scale()->begin(), q->scale()->end());
      const auto* zeros = q->zero_point();
      if (std::all_of(zeros->begin(), zeros->end(),
                      [&](int64_t z) { return z == zeros->Get(0); })) {
        spec.quant.zero_point.assign(1, zeros->Get(0));
      } else {
        spec.quant.zero_point.assign(zeros->begin(), zeros->end());
      }
      spec.quant.axis = axis;
    }
    uint32_t buffer = t->buffer();
    if (buffer >= buffers->size()) {
      throw fail(label + " refers to buffer " + std::to_string(buffer) + " but the model has " +
                 std::to_string(buffers->size()));
    }
    const tflite::Buffer* b = buffers->Get(buffer);
    if (buffer != 0 && b->offset() > 1) {
      throw fail(label + " keeps its data outside the FlatBuffer (>2 GB layout), not supported");
    }
    if (buffer != 0 && b->data()) {
      size_t want = static_cast<size_t>(elements) * dtype_size(type);
      if (b->data()->size() != want) {
        throw fail(label + " has " + std::to_string(b->data()->size()) +
                   " bytes of data but shape " + spec.shape.str() + " of " + dtype_name(type) +
                   " needs " + std::to_string(want));
      }
      if (spec.is_variable) throw fail(label + " is a variable tensor with constant data");
      tensor_data[i] = b->data();
      spec.bytes = want;
    }
  }
  // Constants are used in place when their alignment suits their type; older files keep data only
  // 4-byte aligned, so the rest (e.g. int64) gets one aligned copy.
  std::vector<size_t> copies;
  size_t copy_bytes = 0;
  for (size_t i = 0; i < n_tensors; ++i) {
    if (!tensor_data[i]) continue;
    const auto address = reinterpret_cast<uintptr_t>(tensor_data[i]->data());
    if (address % dtype_size(tensors_[i].type) == 0) {
      tensors_[i].data = reinterpret_cast<const std::byte*>(tensor_data[i]->data());
    } else {
      copies.push_back(i);
      copy_bytes += (tensors_[i].bytes + 63) / 64 * 64;
    }
  }
  constants_.assign(copies.empty() ? 0 : copy_bytes / 8 + 8, 0);
  if (!copies.empty()) {
    auto* base = reinterpret_cast<std::byte*>(constants_.data());
    size_t misalign = reinterpret_cast<uintptr_t>(base) % 64;
    std::byte* cursor = base + (misalign ? 64 - misalign : 0);
    for (size_t i : copies) {
      std::memcpy(cursor, tensor_data[i]->data(), tensors_[i].bytes);
      tensors_[i].data = cursor;
      cursor += (tensors_[i].bytes + 63) / 64 * 64;
    }
  }

  auto check_index = [&](int index, const std::string& where) {
    if (index < 0 || static_cast<size_t>(index) >= n_tensors) {
      throw fail(where + " refers to tensor " + std::to_string(index) + " but subgraph 0 has " +
                 std::to_string(n_tensors));
    }
  };
  // Which tensors hold a value before the first operator runs.
  std::vector<uint8_t> available(n_tensors, 0);
  for (size_t i = 0; i < n_tensors; ++i) available[i] = tensors_[i].data || tensors_[i].is_variable;
  if (graph->inputs()) {
    for (int index : *graph->inputs()) {
      check_index(index, "subgraph input");
      if (tensors_[index].data)
        throw fail("subgraph input tensor " + std::to_string(index) + " is a constant");
      inputs_.push_back(index);
      available[index] = 1;
    }
  }

  const auto* codes = model->operator_codes();
  const auto* fb_ops = graph->operators();
  for (size_t o = 0; o < fb_ops->size(); ++o) {
    const tflite::Operator* op = fb_ops->Get(static_cast<flatbuffers::uoffset_t>(o));
    std::string where = "operator " + std::to_string(o);
    if (op->opcode_index() >= count(codes)) {
      throw fail(where + " uses operator code " + std::to_string(op->opcode_index()) +
                 " but the model lists " + std::to_string(count(codes)));
    }
    const tflite::OperatorCode* code = codes->Get(op->opcode_index());
    OpSpec spec;
    spec.code = std::max(static_cast<int>(code->builtin_code()),
                         static_cast<int>(code->deprecated_builtin_code()));
    spec.version = code->version();
    spec.raw = op;
    where += " (" + op_name(spec.code) + ")";
    if (spec.code == static_cast<int>(tflite::BuiltinOperator::CUSTOM)) {
      throw fail(where + ": custom operator '" +
                 (code->custom_code() ? code->custom_code()->str() : std::string()) +
                 "' is not supported");
    }
    if (spec.code < 0 || spec.code > kMaxBuiltinCode) {
      throw fail(where + ": unknown builtin operator code " + std::to_string(spec.code));
    }
    if (!op->inputs() || !op->outputs()) throw fail(where + " has no input or output list");
    for (int index : *op->inputs()) {
      if (index == -1) {
        spec.inputs.push_back(-1);
        continue;
      }
      check_index(index, where + " input");
      if (!available[index]) {
        throw fail(where + " reads tensor " + std::to_string(index) +
                   " before any operator produces it");
      }
      spec.inputs.push_back(index);
    }
    for (int index : *op->outputs()) {
      check_index(index, where + " output");
      const TensorSpec& t = tensors_[index];
      if (t.data || t.is_variable || available[index]) {
        throw fail(where + " writes tensor " + std::to_string(index) +
                   ", which is a constant, a variable, an input or already written");
      }
      available[index] = 1;
      spec.outputs.push_back(index);
    }
    ops_.push_back(std::move(spec));
  }
  if (graph->outputs()) {
    for (int index : *graph->outputs()) {
      check_index(index, "subgraph output");
      if (!available[index])
        throw fail("subgraph output tensor " + std::to_string(index) + " is never produced");
      outputs_.push_back(index);
    }
  }

  if (model->metadata()) {
    for (const tflite::Metadata* m : *model->metadata()) {
      if (!m->name()) throw fail("a metadata entry has no name");
      if (m->buffer() >= buffers->size()) {
        throw fail("metadata '" + m->name()->str() + "' refers to buffer " +
                   std::to_string(m->buffer()) + " but the model has " +
                   std::to_string(buffers->size()));
      }
      const auto* data = buffers->Get(m->buffer())->data();
      std::string_view value;
      if (data) value = {reinterpret_cast<const char*>(data->data()), data->size()};
      metadata_.emplace_back(m->name()->str(), value);
    }
  }
  if (model->signature_defs()) {
    for (const tflite::SignatureDef* s : *model->signature_defs()) {
      if (!s->signature_key() || !s->inputs() || !s->outputs()) {
        throw fail("a signature has no key, inputs or outputs");
      }
      SignatureSpec sig;
      sig.key = s->signature_key()->str();
      for (int pass = 0; pass < 2; ++pass) {
        const auto* maps = pass == 0 ? s->inputs() : s->outputs();
        for (const tflite::TensorMap* m : *maps) {
          if (!m->name()) continue;
          check_index(static_cast<int>(m->tensor_index()), "signature '" + sig.key + "'");
          (pass == 0 ? sig.inputs : sig.outputs)
              .emplace_back(m->name()->str(), static_cast<int>(m->tensor_index()));
        }
      }
      signatures_.push_back(std::move(sig));
    }
  }
}

int Model::producer(int tensor) const {
  for (size_t o = 0; o < ops_.size(); ++o) {
    for (int out : ops_[o].outputs) {
      if (out == tensor) return static_cast<int>(o);
    }
  }
  return -1;
}

}  // namespace pocketrec::tfl
