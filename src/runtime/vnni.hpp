#pragma once
// VNNI (vpdpbusd: four unsigned bytes times four signed bytes added into an int32 lane) in the
// kernels compiled for Highway's AVX3_DL target. Highway 1.0.3 picks that target only on CPUs
// with AVX512_VNNI, but its target attributes do not enable the instruction, so the kernel files
// enable it on top of Highway's, right after HWY_BEFORE_NAMESPACE() (whose pop at
// HWY_AFTER_NAMESPACE() ends it):
//   #if HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL
//   POCKETREC_TARGET_VNNI
//   #endif
// and use it under `HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL && POCKETREC_AVX3_DL_VNNI`.
// Compilers other than GCC get it only where the whole build enables it (-march=native).
#include <hwy/highway.h>

#if HWY_COMPILER_GCC_ACTUAL
#define POCKETREC_TARGET_VNNI _Pragma("GCC target(\"avx512vnni\")")
#define POCKETREC_AVX3_DL_VNNI 1
#else
#define POCKETREC_TARGET_VNNI
#if defined(__AVX512VNNI__)
#define POCKETREC_AVX3_DL_VNNI 1
#else
#define POCKETREC_AVX3_DL_VNNI 0
#endif
#endif
