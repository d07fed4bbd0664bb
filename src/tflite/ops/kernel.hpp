#pragma once
// The contract between the interpreter and one operator. prepare() runs once at load: it checks the
// inputs (types, shapes, options), sets every output's shape and asks for scratch memory; eval()
// runs per query on memory planned from those answers and must not allocate.
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "tflite/tensor.hpp"

namespace tflite {
struct Operator;
}

namespace pocketrec::tfl {

struct OpContext {
  int code = 0;
  int version = 1;
  const tflite::Operator* options = nullptr;  // null in unit tests: every option at its default
  std::span<Tensor*> inputs;                  // nullptr for an omitted optional input
  std::span<Tensor*> outputs;
  size_t scratch_bytes = 0;  // set by prepare
  std::byte* scratch = nullptr;
  std::string where;  // "operator 7 (GATHER)", for messages

  // Inline: an operator's eval asks for its tensors several times per call, and the graphs of
  // recurrent encoders run hundreds of operators on 16 values each.
  Tensor& input(size_t i) const {
    if (i >= inputs.size() || !inputs[i]) [[unlikely]]
      missing("input", i);
    return *inputs[i];
  }
  Tensor* optional_input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  Tensor& output(size_t i) const {
    if (i >= outputs.size() || !outputs[i]) [[unlikely]]
      missing("output", i);
    return *outputs[i];
  }
  [[noreturn]] void missing(const char* what, size_t i) const;
  [[noreturn]] void fail(const std::string& problem) const;
  // A string_view, so a literal message costs nothing when the check passes (eval must not
  // allocate).
  void require(bool ok, std::string_view problem) const {
    if (!ok) fail(std::string(problem));
  }
  void require_inputs(size_t min, size_t max) const;
  void require_outputs(size_t n) const;
  void require_type(const Tensor& t, DType type, const char* what) const;
  // Sets an output's shape and checks its declared type.
  void set_output(size_t i, const Shape& shape, DType type) const;
};

struct Kernel {
  void (*prepare)(OpContext&);
  void (*eval)(OpContext&);
};

// The kernel for a BuiltinOperator code, or null when pocketrec does not implement it.
const Kernel* find_kernel(int code);

}  // namespace pocketrec::tfl
