#pragma once
// Runs one operator kernel on hand-made tensors, outside any model: inputs and outputs own their
// memory, options are built as a real FlatBuffers Operator table.
#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>
#include <deque>
#include <vector>

#include "tflite/ops/kernel.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl::testing {

class OpHarness {
 public:
  explicit OpHarness(tflite::BuiltinOperator code) : code_(static_cast<int>(code)) {}

  template <typename T>
  Tensor* input(Shape shape, std::vector<T> values, DType type, bool constant = true) {
    Tensor& t = add(shape, type);
    t.constant = constant;
    EXPECT_EQ(static_cast<int64_t>(values.size()), shape.elements());
    std::memcpy(t.data, values.data(), values.size() * sizeof(T));
    inputs_.push_back(&t);
    return &t;
  }
  Tensor* floats(Shape shape, std::vector<float> v, bool constant = false) {
    return input(shape, std::move(v), DType::kFloat32, constant);
  }
  Tensor* ints(Shape shape, std::vector<int32_t> v, bool constant = true) {
    return input(shape, std::move(v), DType::kInt32, constant);
  }
  void omit_input() { inputs_.push_back(nullptr); }
  Tensor* output(DType type) {
    Tensor& t = add(Shape{}, type);
    outputs_.push_back(&t);
    return &t;
  }
  // make(fbb) returns the options table offset; T is the union member.
  template <typename Options, typename Make>
  void options(Make make) {
    fbb_.Clear();
    auto opts = make(fbb_);
    auto op = tflite::CreateOperator(
        fbb_, 0, 0, 0, tflite::BuiltinOptionsTraits<Options>::enum_value, opts.Union());
    fbb_.Finish(op);
    operator_ = flatbuffers::GetRoot<tflite::Operator>(fbb_.GetBufferPointer());
  }

  // Prepares (shape inference, checks), allocates outputs and scratch, evaluates.
  void run() {
    prepare();
    eval();
  }
  void prepare() {
    ctx_.code = code_;
    ctx_.options = operator_;
    ctx_.inputs = inputs_;
    ctx_.outputs = outputs_;
    const Kernel* k = find_kernel(code_);
    ASSERT_NE(k, nullptr);
    k->prepare(ctx_);
    for (Tensor* t : outputs_) {
      auto& storage = storage_.emplace_back(t->elements() * dtype_size(t->type) / 8 + 1);
      t->data = reinterpret_cast<std::byte*>(storage.data());
      t->bytes = t->elements() * dtype_size(t->type);
    }
    scratch_.assign(ctx_.scratch_bytes / 8 + 1, 0);
    ctx_.scratch = reinterpret_cast<std::byte*>(scratch_.data());
  }
  void eval() { find_kernel(code_)->eval(ctx_); }

  template <typename T>
  static std::vector<T> values(const Tensor* t) {
    return std::vector<T>(t->as<T>(), t->as<T>() + t->elements());
  }

 private:
  Tensor& add(Shape shape, DType type) {
    Tensor& t = tensors_.emplace_back();
    t.shape = shape;
    t.type = type;
    auto& storage = storage_.emplace_back(shape.elements() * dtype_size(type) / 8 + 1);
    t.data = reinterpret_cast<std::byte*>(storage.data());
    t.bytes = shape.elements() * dtype_size(type);
    return t;
  }

  int code_;
  std::deque<Tensor> tensors_;
  std::deque<std::vector<uint64_t>> storage_;
  std::vector<Tensor*> inputs_, outputs_;
  std::vector<uint64_t> scratch_;
  flatbuffers::FlatBufferBuilder fbb_;
  const tflite::Operator* operator_ = nullptr;
  OpContext ctx_;
};

}  // namespace pocketrec::tfl::testing
