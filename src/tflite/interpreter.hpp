#pragma once
// Runs subgraph 0 of a verified Model. Construction prepares every operator (types, shapes,
// options) and plans one arena for all activations, variables and scratch; invoke() then allocates
// nothing. One Interpreter per thread; the Model can be shared.
#include <memory>
#include <string>
#include <vector>

#include "tflite/model.hpp"
#include "tflite/ops/kernel.hpp"

namespace pocketrec::tfl {

class Interpreter {
 public:
  // With `target` (a tensor index), only the operators that tensor depends on are prepared, given
  // memory and run: the runtime's fast path stops at the user vector and never allocates the
  // scores or a dequantized label table.
  explicit Interpreter(std::shared_ptr<const Model> model, int target = -1);
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;
  Interpreter(Interpreter&&) = default;

  const Model& model() const { return *model_; }
  size_t input_count() const { return model_->inputs().size(); }
  size_t output_count() const { return model_->outputs().size(); }
  Tensor& input(size_t i) { return tensors_[model_->inputs().at(i)]; }
  const Tensor& output(size_t i) const { return tensors_[model_->outputs().at(i)]; }
  // Position of the input/output whose tensor is called `name`, or -1.
  int find_input(const std::string& name) const;
  int find_output(const std::string& name) const;

  // Variable tensors (recurrent state) are zeroed at construction and by reset_variables(); the
  // TFLite LSTM kernel leaves its final state in them, so callers reset between queries.
  void reset_variables();
  void invoke();
  const Tensor& tensor(int index) const { return tensors_.at(index); }
  size_t arena_bytes() const { return arena_.size() * sizeof(uint64_t); }
  size_t folded_ops() const;

 private:
  std::shared_ptr<const Model> model_;
  std::vector<Tensor> tensors_;
  std::vector<std::vector<Tensor*>> op_inputs_, op_outputs_;
  std::vector<OpContext> contexts_;
  std::vector<const Kernel*> kernels_;
  std::vector<uint8_t> folded_;  // evaluated once at construction
  std::vector<uint8_t> needed_;  // run by invoke()
  std::vector<uint64_t> arena_;
};

}  // namespace pocketrec::tfl
