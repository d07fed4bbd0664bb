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

template <class D, class V>
HWY_INLINE V TanhOf(D d, V v) {
  // |x| >= 0.5: 1 - 2 / (e^(2|x|) + 1), whose subtraction loses nothing there (the result is at
  // least 0.46). Below, the odd Taylor series to x^15 (truncation below 4e-8 relative at 0.5),
  // accurate down to the smallest values. The sign is put back last.
  const auto sign_bit = hn::Set(d, -0.0f);
  const auto a = hn::AndNot(sign_bit, v);
  const auto one = hn::Set(d, 1.0f);
  const auto two = hn::Set(d, 2.0f);
  const auto e = ClampedExp(d, hn::Min(hn::Add(a, a), hn::Set(d, 87.0f)));
  const auto large = hn::NegMulAdd(two, hn::Div(one, hn::Add(e, one)), one);
  const auto a2 = hn::Mul(a, a);
  auto p = hn::Set(d, -929569.0f / 638512875.0f);
  p = hn::MulAdd(p, a2, hn::Set(d, 21844.0f / 6081075.0f));
  p = hn::MulAdd(p, a2, hn::Set(d, -1382.0f / 155925.0f));
  p = hn::MulAdd(p, a2, hn::Set(d, 62.0f / 2835.0f));
  p = hn::MulAdd(p, a2, hn::Set(d, -17.0f / 315.0f));
  p = hn::MulAdd(p, a2, hn::Set(d, 2.0f / 15.0f));
  p = hn::MulAdd(p, a2, hn::Set(d, -1.0f / 3.0f));
  const auto small = hn::MulAdd(hn::Mul(p, a2), a, a);
  const auto t = hn::IfThenElse(hn::Lt(a, hn::Set(d, 0.5f)), small, large);
  return hn::IfThenElse(hn::IsNaN(v), v, hn::Or(t, hn::And(sign_bit, v)));
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif
