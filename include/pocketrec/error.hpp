#pragma once
// The one exception type pocketrec's C++ API throws (a std::runtime_error): a model file that
// does not load, an id or index out of range, a bad option. Its message names the file and the
// problem. The C API (pocketrec.h) returns statuses instead and throws nothing.
#include <stdexcept>
#include <string>

#ifndef POCKETREC_API
#if defined(_WIN32)
#define POCKETREC_API __declspec(dllexport)
#else
#define POCKETREC_API __attribute__((visibility("default")))
#endif
#endif

namespace pocketrec {

class POCKETREC_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace pocketrec
