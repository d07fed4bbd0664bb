#include "tflite/interpreter.hpp"

#include <algorithm>
#include <cstring>

namespace pocketrec::tfl {
namespace {

constexpr size_t kAlign = 64;
// Recommendation graphs need kilobytes to a few megabytes of working memory; a file asking for
// more than this is broken or hostile.
constexpr size_t kMaxArenaBytes = size_t{1} << 30;
size_t aligned(size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

}  // namespace

Interpreter::Interpreter(std::shared_ptr<const Model> model, int target)
    : model_(std::move(model)) {
  const auto& specs = model_->tensors();
  tensors_.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    Tensor& t = tensors_[i];
    t.name = specs[i].name;
    t.type = specs[i].type;
    t.shape = specs[i].shape;
    t.is_variable = specs[i].is_variable;
    if (specs[i].data) {
      t.constant = true;
      t.data = const_cast<std::byte*>(specs[i].data);  // ops never write their inputs
      t.bytes = specs[i].bytes;
    }
  }
  const auto& ops = model_->ops();
  needed_.assign(ops.size(), target < 0 ? 1 : 0);
  std::vector<uint8_t> touched(specs.size(), 0);  // tensors a needed operator reads or writes
  if (target >= 0) {
    if (static_cast<size_t>(target) >= specs.size()) throw Error("interpreter target out of range");
    std::vector<uint8_t> wanted(specs.size(), 0);
    wanted[target] = 1;
    for (size_t o = ops.size(); o-- > 0;) {
      for (int out : ops[o].outputs) needed_[o] = needed_[o] || wanted[out];
      if (!needed_[o]) continue;
      for (int in : ops[o].inputs) {
        if (in >= 0) wanted[in] = 1;
      }
    }
  }
  for (size_t o = 0; o < ops.size(); ++o) {
    if (!needed_[o]) continue;
    for (int index : ops[o].inputs) {
      if (index >= 0) touched[index] = 1;
    }
    for (int index : ops[o].outputs) touched[index] = 1;
  }
  for (int index : model_->inputs()) touched[index] = 1;
  if (target < 0) {
    for (int index : model_->outputs()) touched[index] = 1;
  }
  // Quantization parameters only where an operator reads them: a 1M-row label table's per-row
  // scales and zero points are 12 MB a session when a session stops at the user vector.
  for (size_t i = 0; i < specs.size(); ++i) {
    if (touched[i]) tensors_[i].quant = specs[i].quant;
  }
  op_inputs_.resize(ops.size());
  op_outputs_.resize(ops.size());
  contexts_.resize(ops.size());
  kernels_.resize(ops.size());
  for (size_t o = 0; o < ops.size(); ++o) {
    for (int index : ops[o].inputs) op_inputs_[o].push_back(index < 0 ? nullptr : &tensors_[index]);
    for (int index : ops[o].outputs) op_outputs_[o].push_back(&tensors_[index]);
    OpContext& ctx = contexts_[o];
    ctx.code = ops[o].code;
    ctx.version = ops[o].version;
    ctx.options = ops[o].raw;
    ctx.inputs = op_inputs_[o];
    ctx.outputs = op_outputs_[o];
    ctx.where =
        model_->origin() + ": operator " + std::to_string(o) + " (" + op_name(ctx.code) + ")";
    if (!needed_[o]) continue;
    kernels_[o] = find_kernel(ctx.code);
    if (!kernels_[o]) ctx.fail("this operator is not supported by pocketrec's runtime");
    kernels_[o]->prepare(ctx);
  }
  // Plan: every non-constant tensor and every scratch area gets its own aligned slice.
  size_t total = kAlign;
  auto reserve = [&](size_t bytes) {
    total += aligned(bytes);
    if (bytes > kMaxArenaBytes || total > kMaxArenaBytes) {
      throw Error(model_->origin() + ": the graph needs more than 1 GiB of working memory");
    }
  };
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    if (!t.constant && touched[i]) reserve(static_cast<size_t>(t.elements()) * dtype_size(t.type));
  }
  for (const OpContext& ctx : contexts_) reserve(ctx.scratch_bytes);
  arena_.assign(total / sizeof(uint64_t), 0);
  auto* base = reinterpret_cast<std::byte*>(arena_.data());
  size_t misalign = reinterpret_cast<uintptr_t>(base) % kAlign;
  std::byte* cursor = base + (misalign ? kAlign - misalign : 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    Tensor& t = tensors_[i];
    if (t.constant || !touched[i]) continue;
    t.bytes = static_cast<size_t>(t.elements()) * dtype_size(t.type);
    t.data = cursor;
    cursor += aligned(t.bytes);
  }
  for (OpContext& ctx : contexts_) {
    ctx.scratch = cursor;
    cursor += aligned(ctx.scratch_bytes);
  }
  // Constant folding: an operator whose inputs are all constant (a DEQUANTIZE of int8 weights, a
  // recurrent step on the zero initial state) runs once here, never per query.
  std::vector<uint8_t> fixed(tensors_.size(), 0);
  for (size_t i = 0; i < tensors_.size(); ++i) fixed[i] = tensors_[i].constant;
  folded_.assign(ops.size(), 0);
  for (size_t o = 0; o < ops.size(); ++o) {
    if (!needed_[o]) continue;
    bool all_fixed = true;
    for (int index : ops[o].inputs) all_fixed = all_fixed && (index < 0 || fixed[index]);
    if (!all_fixed) continue;
    kernels_[o]->eval(contexts_[o]);
    folded_[o] = 1;
    for (int index : ops[o].outputs) fixed[index] = 1;
  }
}

int Interpreter::find_input(const std::string& name) const {
  for (size_t i = 0; i < model_->inputs().size(); ++i) {
    if (tensors_[model_->inputs()[i]].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Interpreter::find_output(const std::string& name) const {
  for (size_t i = 0; i < model_->outputs().size(); ++i) {
    if (tensors_[model_->outputs()[i]].name == name) return static_cast<int>(i);
  }
  return -1;
}

size_t Interpreter::folded_ops() const {
  return static_cast<size_t>(std::count(folded_.begin(), folded_.end(), 1));
}

void Interpreter::reset_variables() {
  for (Tensor& t : tensors_) {
    if (t.is_variable && t.data) std::memset(t.data, 0, t.bytes);
  }
}

void Interpreter::invoke() {
  for (size_t o = 0; o < contexts_.size(); ++o) {
    if (needed_[o] && !folded_[o]) kernels_[o]->eval(contexts_[o]);
  }
}

}  // namespace pocketrec::tfl
