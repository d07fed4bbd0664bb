#pragma once
// Row-major float matrices over contiguous buffers, and the sparse-row gradient that embedding
// tables need. Eigen maps give BLAS-quality products without owning the memory.
#include <Eigen/Core>
#include <cstdint>
#include <new>
#include <vector>

namespace pocketrec::nn {

// 64-byte aligned storage: Eigen peels unaligned heads off its vectorised reductions at run time,
// so without a fixed alignment the summation order (and the last bits of the result) would depend
// on where malloc put a buffer, breaking run-to-run determinism.
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlignment); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const {
    return true;
  }
};

using FloatBuffer = std::vector<float, AlignedAllocator<float>>;

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<RowMajor>;
using ConstMatMap = Eigen::Map<const RowMajor>;

struct Matrix {
  int rows = 0;
  int cols = 0;
  FloatBuffer data;

  Matrix() = default;
  Matrix(int r, int c) : rows(r), cols(c), data(static_cast<size_t>(r) * c, 0.0f) {}
  void resize(int r, int c) {
    rows = r;
    cols = c;
    data.assign(static_cast<size_t>(r) * c, 0.0f);
  }
  // Like resize, but keeps the old values (and zeroes only new ones): for scratch that every
  // pass overwrites, where resize's fill would be a memset per batch of changing shape.
  void reshape(int r, int c) {
    rows = r;
    cols = c;
    data.resize(static_cast<size_t>(r) * c);
  }
  size_t size() const { return data.size(); }
  float* row(int r) { return data.data() + static_cast<size_t>(r) * cols; }
  const float* row(int r) const { return data.data() + static_cast<size_t>(r) * cols; }
  float& at(int r, int c) { return data[static_cast<size_t>(r) * cols + c]; }
  float at(int r, int c) const { return data[static_cast<size_t>(r) * cols + c]; }
  MatMap map() { return MatMap(data.data(), rows, cols); }
  ConstMatMap map() const { return ConstMatMap(data.data(), rows, cols); }
};

inline MatMap map(float* data, int rows, int cols) {
  return MatMap(data, rows, cols);
}
inline ConstMatMap map(const float* data, int rows, int cols) {
  return ConstMatMap(data, rows, cols);
}

// A gradient the shape of its parameter. Embedding tables mark the rows a batch touched, so the
// optimizer can update only those and clearing costs only what was used.
struct Gradient {
  Matrix values;
  bool sparse_rows = false;
  std::vector<uint32_t> rows;
  std::vector<uint8_t> marked;

  void init(int r, int c, bool sparse) {
    values.resize(r, c);
    sparse_rows = sparse;
    rows.clear();
    marked.assign(sparse ? static_cast<size_t>(r) : 0, 0);
  }
  void mark(uint32_t r) {
    if (!sparse_rows) return;
    if (!marked[r]) {
      marked[r] = 1;
      rows.push_back(r);
    }
  }
  void clear();
  // this += other (rows marked in other become marked here).
  void add(const Gradient& other);
  double squared_norm() const;
  void scale(float factor);
};

}  // namespace pocketrec::nn
