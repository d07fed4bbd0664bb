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

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// e^x for x in [-87, 87] (callers clamp): n = round(x / ln 2) by adding 1.5 * 2^23, whose low
// mantissa bits then hold n; r = x - n ln 2 in two parts (|r| <= 0.35); e^r by its Taylor series
// to r^7 (truncation below 1e-8); 2^n added into the exponent bits. About 2 ulp, as accurate as
// Highway's Exp in the sigmoid (1.5e-7 relative at worst over -87..87, measured), in 16 vector
// operations instead of about 25, with no range fix-ups the clamp makes unnecessary.
template <class D, class V>
HWY_INLINE V ClampedExp(D d, V x) {
  const hn::RebindToSigned<D> di;
  const auto magic = hn::Set(d, 12582912.0f);  // 1.5 * 2^23
  const auto shifted = hn::MulAdd(x, hn::Set(d, 1.44269504088896341f), magic);
  const auto n = hn::Sub(shifted, magic);
  auto r = hn::MulAdd(n, hn::Set(d, -0.693145751953125f), x);
  r = hn::MulAdd(n, hn::Set(d, -1.428606765330187045e-6f), r);
  const auto r2 = hn::Mul(r, r);
  // e^r = 1 + r + r^2 (1/2 + r/6 + r^2 (1/24 + r/120 + r^2 (1/720 + r/5040)))
  const auto p01 = hn::MulAdd(r, hn::Set(d, 1.0f / 6), hn::Set(d, 0.5f));
  const auto p23 = hn::MulAdd(r, hn::Set(d, 1.0f / 120), hn::Set(d, 1.0f / 24));
  const auto p45 = hn::MulAdd(r, hn::Set(d, 1.0f / 5040), hn::Set(d, 1.0f / 720));
  const auto p = hn::MulAdd(r2, hn::MulAdd(r2, p45, p23), p01);
  const auto er = hn::Add(hn::MulAdd(r2, p, r), hn::Set(d, 1.0f));
  // shifted's bits shifted left by 23 are n << 23: adding them to e^r's bits multiplies by 2^n.
  const auto bits = hn::ShiftLeft<23>(hn::BitCast(di, shifted));
  return hn::BitCast(d, hn::Add(hn::BitCast(di, er), bits));
}

template <class D, class V>
HWY_INLINE V SigmoidOf(D d, V v) {
  // Beyond +-87 the sigmoid is 0 (to within 1e-38) or 1 in float anyway.
  const auto clamped = hn::Min(hn::Max(v, hn::Set(d, -87.0f)), hn::Set(d, 87.0f));
  const auto one = hn::Set(d, 1.0f);
  const auto s = hn::Div(one, hn::Add(one, ClampedExp(d, hn::Neg(clamped))));
  return hn::IfThenElse(hn::IsNaN(v), v, s);  // the clamp would turn NaN into a number
}

// c[0] + c[1] y + ... + c[6] y^6, in three rounds of multiply-adds (Estrin's scheme).
template <class D, class V>
HWY_INLINE V Degree6(D d, const float (&c)[7], V y, V y2) {
  const auto p01 = hn::MulAdd(hn::Set(d, c[1]), y, hn::Set(d, c[0]));
  const auto p23 = hn::MulAdd(hn::Set(d, c[3]), y, hn::Set(d, c[2]));
  const auto p45 = hn::MulAdd(hn::Set(d, c[5]), y, hn::Set(d, c[4]));
  const auto p456 = hn::MulAdd(hn::Set(d, c[6]), y2, p45);
  return hn::MulAdd(hn::MulAdd(p456, y2, p23), y2, p01);
}

template <class D, class V>
HWY_INLINE V TanhOf(D d, V v) {
  // x P(x^2) / Q(x^2): the continued fraction x / (1 + x^2 / (3 + x^2 / (5 + ... + x^2 / 25)))
  // multiplied out (its Pade approximant of degree 13 over 12, coefficients below divided by
  // 7905853580625). It is within 3.7e-8 of tanh on [-9, 9], and both polynomials have positive
  // coefficients in x^2 >= 0, so their float sums cancel nothing: 3.0e-7 relative at worst
  // (3.3e-7 without fused multiply-adds), exact near 0 (P/Q = 1), odd (-0 stays -0), and exactly
  // +-1 at +-9, past which tanh rounds to +-1 in float. Its latency is about two thirds of
  // 1 - 2 / (e^2x + 1)'s, which each LSTM step waits on twice.
  static constexpr float kP[7] = {1.0f,           0.146666667f,    0.0052173913f,
                                  6.6252588e-05f, 3.22868363e-07f, 5.17970635e-10f,
                                  1.26488556e-13f};
  static constexpr float kQ[7] = {
      1.0f, 0.48f, 0.031884058f, 0.00066252588f, 5.23046747e-06f, 1.51938053e-08f, 1.15104586e-11f};
  const auto x = hn::Min(hn::Max(v, hn::Set(d, -9.0f)), hn::Set(d, 9.0f));
  const auto y = hn::Mul(x, x);
  const auto y2 = hn::Mul(y, y);
  const auto t = hn::Div(hn::Mul(x, Degree6(d, kP, y, y2)), Degree6(d, kQ, y, y2));
  return hn::IfThenElse(hn::IsNaN(v), v, t);  // the clamp would turn NaN into a number
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif
