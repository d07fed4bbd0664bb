#pragma once
// Runs a check once per instruction set the kernels are compiled for and this machine runs, with
// the kernels dispatched to it; skips the test where only one is compiled (-march=native).
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include "runtime/score_table.hpp"

namespace pocketrec::runtime {

template <class Check>
void on_every_compiled_target(const Check& check) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  if (targets.size() < 2) {
    GTEST_SKIP() << "only " << hwy::TargetName(targets[0])
                 << " is compiled (-march=native); the sanitizer build compiles the portable "
                    "targets too and runs this test on each";
  }
  for (int64_t target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    ASSERT_EQ(simd_target(), hwy::TargetName(target));
    check();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace pocketrec::runtime
