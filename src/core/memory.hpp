#pragma once
#include <sys/resource.h>

namespace pocketrec {

// Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB).
inline double peak_memory_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace pocketrec
