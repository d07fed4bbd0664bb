#include "tflite/ops/kernel.hpp"

#include "tflite/model.hpp"

namespace pocketrec::tfl {

void OpContext::missing(const char* what, size_t i) const {
  fail(std::string(what) + " " + std::to_string(i) + " is missing");
}

void OpContext::fail(const std::string& problem) const {
  throw Error((where.empty() ? op_name(code) : where) + ": " + problem);
}

void OpContext::require_inputs(size_t min, size_t max) const {
  if (inputs.size() < min || inputs.size() > max) {
    fail("expects " +
         (min == max ? std::to_string(min) : std::to_string(min) + "-" + std::to_string(max)) +
         " inputs, has " + std::to_string(inputs.size()));
  }
}

void OpContext::require_outputs(size_t n) const {
  if (outputs.size() != n) {
    fail("expects " + std::to_string(n) + " outputs, has " + std::to_string(outputs.size()));
  }
}

void OpContext::require_type(const Tensor& t, DType type, const char* what) const {
  if (t.type != type) {
    fail(std::string(what) + " must be " + dtype_name(type) + ", is " + dtype_name(t.type));
  }
}

void OpContext::set_output(size_t i, const Shape& shape, DType type) const {
  Tensor& out = output(i);
  if (out.type != type) {
    fail("output " + std::to_string(i) + " is declared " + dtype_name(out.type) +
         " but the operator produces " + dtype_name(type));
  }
  out.shape = shape;
}

}  // namespace pocketrec::tfl
