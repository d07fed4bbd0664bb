#pragma once
// Resident memory of this process, in MiB: now (VmRSS) and at its peak (VmHWM). Both come from
// /proc/self/status so the peak is never reported below the current size; getrusage's peak is
// the fallback where /proc is absent.
#include <sys/resource.h>

#include <fstream>
#include <string>

namespace pocketrec {

namespace memory_detail {
inline double status_field_mib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == field) {
      double kib = 0;
      in >> kib;
      return kib / 1024.0;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}
}  // namespace memory_detail

inline double peak_memory_mib() {
  const double peak = memory_detail::status_field_mib("VmHWM:");
  if (peak >= 0) return peak;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

inline double resident_memory_mib() {
  return memory_detail::status_field_mib("VmRSS:");
}

}  // namespace pocketrec
