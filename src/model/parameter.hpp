#pragma once
// A named trainable tensor and the gradients of a parameter list.
#include <string>
#include <vector>

#include "nn/matrix.hpp"

namespace pocketrec {

struct Parameter {
  std::string name;
  nn::Matrix value;
  bool sparse_rows = false;  // embedding tables: gradients touch few rows
};

using Gradients = std::vector<nn::Gradient>;

}  // namespace pocketrec
