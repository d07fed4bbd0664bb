// Included first in every WebAssembly object: what Debian's emscripten 3.1.6 (clang 14, its
// libc++) lacks or adds, against the C++20 the native build uses.
#include <limits.h>
#include <version>

// Its <limits.h> defines ARG_MAX, also a TFLite operator (tflite::BuiltinOperator::ARG_MAX) in the
// generated schema header.
#undef ARG_MAX

// Its libc++ has no std::bit_cast; clang 14's builtin is the same operation.
#ifndef __cpp_lib_bit_cast
namespace std {
template <class To, class From>
constexpr To bit_cast(const From& from) noexcept {
  return __builtin_bit_cast(To, from);
}
}  // namespace std
#endif
