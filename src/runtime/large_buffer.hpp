#pragma once
// Storage for the tables a query streams or visits at random: a million-row table is 32-60 MB,
// and with 4 KB pages the blocks the 4-bit filter sends to exact scoring each need a page walk
// (a software prefetch waits for it: 15% of a 1M-row query was spent on prefetch instructions).
// Buffers of 2 MB and more are aligned to 2 MB and marked for transparent huge pages where the
// system offers them (Linux, Android); elsewhere, or when the kernel declines, they are ordinary
// memory, so this only ever changes speed. HotVector does the same from 32 KB, for the smaller
// arrays every query visits at random (the prefilter's codes and row-major rows): rounded up to a
// whole huge page where the kernel grants one (up to 2 MB more resident memory each; none where
// it does not, as untouched pages are never backed), it spares their page walks.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace pocketrec::runtime {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

template <class T, size_t kMinHugeBytes = kHugePageBytes>
class LargeBufferAllocator {
 public:
  using value_type = T;
  template <class U>
  struct rebind {
    using other = LargeBufferAllocator<U, kMinHugeBytes>;
  };
  LargeBufferAllocator() = default;
  template <class U>
  explicit LargeBufferAllocator(const LargeBufferAllocator<U, kMinHugeBytes>&) {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T) - kHugePageBytes) throw std::bad_alloc();
    const size_t bytes = n * sizeof(T);
    if (bytes < kMinHugeBytes) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    void* p = std::aligned_alloc(kHugePageBytes, rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) < kMinHugeBytes) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  template <class U>
  bool operator==(const LargeBufferAllocator<U, kMinHugeBytes>&) const noexcept {
    return true;
  }
};

template <class T>
using LargeVector = std::vector<T, LargeBufferAllocator<T>>;
template <class T>
using HotVector = std::vector<T, LargeBufferAllocator<T, size_t{32} << 10>>;

}  // namespace pocketrec::runtime
