// Configure-time probe (CMakeLists.txt): GCC 12.2 with AVX-512 enabled (-march=native on Zen 4/5,
// Sapphire Rapids) stores some small constant vectors built by the SLP vectorizer as a broadcast of
// their first half, so std::vector<uint32_t>{1, 1, 1, 1, 0, 0, 0, 0} reads back as eight 1s.
// Exit status 0: the compiler gets these right.
#include <cstddef>
#include <cstdint>
#include <vector>

__attribute__((noinline)) std::vector<uint32_t> words() {
  return {1, 1, 1, 1, 0, 0, 0, 0};
}
__attribute__((noinline)) std::vector<double> reals() {
  return {1, 1, 0, 0};
}
__attribute__((noinline)) std::vector<size_t> sizes() {
  return {1, 1, 0, 0};
}

template <typename T>
__attribute__((noinline)) double sum(const std::vector<T>& values) {
  double total = 0;
  for (const volatile T& v : values) total += static_cast<double>(v);
  return total;
}

int main() {
  return sum(words()) == 4 && sum(reals()) == 2 && sum(sizes()) == 2 ? 0 : 1;
}
