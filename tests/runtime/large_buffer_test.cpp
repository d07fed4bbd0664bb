#include "runtime/large_buffer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

namespace pocketrec::runtime {
namespace {

TEST(LargeBuffer, LargeBuffersStartOnAHugePageBoundaryAndKeepTheirContents) {
  LargeVector<int32_t> big(3 * kHugePageBytes / sizeof(int32_t) + 5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % kHugePageBytes, 0u);
  std::iota(big.begin(), big.end(), 0);
  LargeVector<int32_t> copy = big;
  ASSERT_EQ(copy.size(), big.size());
  EXPECT_EQ(copy.back(), static_cast<int32_t>(big.size() - 1));
  EXPECT_EQ(copy[kHugePageBytes / sizeof(int32_t)], static_cast<int32_t>(kHugePageBytes / 4));
}

TEST(LargeBuffer, SmallBuffersAndGrowthAcrossTheThresholdWork) {
  LargeVector<uint8_t> v;
  for (size_t i = 0; i < kHugePageBytes + 100; ++i) v.push_back(static_cast<uint8_t>(i * 7));
  for (size_t i = 0; i < v.size(); i += 4099) EXPECT_EQ(v[i], static_cast<uint8_t>(i * 7));
  const LargeVector<uint8_t> small(v.begin(), v.begin() + 10);
  EXPECT_EQ(small[9], static_cast<uint8_t>(63));
}

TEST(LargeBuffer, HotBuffersGoOnHugePagesFrom32KiB) {
  // The prefilter's codes and row-major rows: a starter table's 63 KB of codes gets a huge page,
  // an 8-row table's do not, and growing across the threshold moves the contents intact.
  HotVector<float> hot(64 * 1024 / sizeof(float));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(hot.data()) % kHugePageBytes, 0u);
  HotVector<float> grown;
  for (int i = 0; i < 20000; ++i) grown.push_back(static_cast<float>(i));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(grown.data()) % kHugePageBytes, 0u);
  for (int i = 0; i < 20000; i += 997) EXPECT_EQ(grown[i], static_cast<float>(i));
  const HotVector<float> copy = grown;
  EXPECT_EQ(copy[19999], 19999.0f);
  HotVector<uint8_t> small(1024);
  small.back() = 9;
  EXPECT_EQ(small[1023], 9);
}

TEST(LargeBuffer, ImpossibleSizesThrowBadAlloc) {
  LargeBufferAllocator<double> allocator;
  EXPECT_THROW((void)allocator.allocate(static_cast<size_t>(-1) / 4), std::bad_alloc);
}

}  // namespace
}  // namespace pocketrec::runtime
