// Per-target sigmoid and tanh of a vector, shared by the array activations (vector_math.cpp) and
// the LSTM kernel, so LOGISTIC, TANH and the LSTM's gates round alike. Included once per Highway
// target (toggling guard).
#if defined(POCKETREC_TFLITE_ACTIVATIONS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef POCKETREC_TFLITE_ACTIVATIONS_INL_H_
#undef POCKETREC_TFLITE_ACTIVATIONS_INL_H_
#else
#define POCKETREC_TFLITE_ACTIVATIONS_INL_H_
#endif

#include <hwy/highway.h>

#include <hwy/contrib/math/math-inl.h>

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D, class V>
HWY_INLINE V SigmoidOf(D d, V v) {
  // Exp is valid up to 104; beyond +-88 the sigmoid is 0 or 1 in float anyway.
  const auto clamped = hn::Min(hn::Max(v, hn::Set(d, -88.0f)), hn::Set(d, 88.0f));
  const auto one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, hn::Exp(d, hn::Neg(clamped))));
}

template <class D, class V>
HWY_INLINE V TanhOf(D d, V v) {
  return hn::Tanh(d, v);
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif
