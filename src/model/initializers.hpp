#pragma once
// Parameter initialisers shared by the dual encoder and its sequence encoders.
#include <cmath>
#include <random>

#include "nn/matrix.hpp"

namespace pocketrec {

// Rows from `first_row` on (row 0 of an embedding table is padding and stays zero).
inline void fill_normal(nn::Matrix& m, float stddev, bool truncated, std::mt19937_64& rng,
                        int first_row) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int r = first_row; r < m.rows; ++r) {
    for (int c = 0; c < m.cols; ++c) {
      float z = normal(rng);
      while (truncated && std::fabs(z) > 2.0f) z = normal(rng);
      m.at(r, c) = z * stddev;
    }
  }
}

inline void fill_glorot(nn::Matrix& m, std::mt19937_64& rng) {
  float limit = std::sqrt(6.0f / static_cast<float>(m.rows + m.cols));
  std::uniform_real_distribution<float> uniform(-limit, limit);
  for (float& v : m.data) v = uniform(rng);
}

}  // namespace pocketrec
