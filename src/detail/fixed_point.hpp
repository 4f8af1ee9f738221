#pragma once
// Exact, order-independent money sums.
//
// Every amount is rounded once to a multiple of 10^-9 (nano-units) and summed as a 128-bit
// integer. Integer addition is associative, so any chunking, thread count or merge order
// gives bit-for-bit the same sum, which floating-point summation would not. Amounts with at
// most nine decimals (cents, mills, ...) are represented exactly, so a sum of cent amounts
// comes back as the nearest double to the exact decimal total (627.78, not
// 627.7799999995). Integers convert exactly; decimal128 with scale <= 9 converts exactly,
// larger scales round half away from zero. Validation rejects amounts of magnitude 2^60
// or more, so sums of up to 2^37 lines cannot overflow.
#include <cmath>
#include <cstdint>
#include "detail/int128.hpp"

namespace tierkit::detail {

using fixed128 = int128;

inline constexpr std::int64_t fixed_scale = 1'000'000'000;  // units per 1.0
inline constexpr double fixed_max_amount = 1152921504606846976.0;  // 2^60

// Round-to-nearest conversion of a double to nano-units. The integer part converts exactly;
// only the fraction (in [0, 1)) is scaled, so the rounding is to the nearest 10^-9 of the
// double's exact value. Non-finite input gives 0 (validation rejects it; this only keeps
// skipped rows harmless).
inline fixed128 fixed_from_double(double x) noexcept {
  if (!(std::fabs(x) < fixed_max_amount)) return 0;
  const double whole = std::trunc(x);
  const double frac = x - whole;  // exact
  // frac * 10^9 rounded half away from zero, as llround does, without the library call:
  // |y| < 10^9, so the truncation and the remainder y - t are exact.
  const double y = frac * static_cast<double>(fixed_scale);
  auto t = static_cast<std::int64_t>(y);
  const double rest = y - static_cast<double>(t);
  if (rest >= 0.5) ++t;
  if (rest <= -0.5) --t;
  return static_cast<fixed128>(static_cast<std::int64_t>(whole)) * fixed_scale + t;
}

inline fixed128 fixed_from_int(std::int64_t v) noexcept {
  return static_cast<fixed128>(v) * fixed_scale;
}

inline double fixed_to_double(fixed128 v) noexcept {
  return static_cast<double>(v) / static_cast<double>(fixed_scale);
}

// Decimal128 with the given scale (value = unscaled * 10^-scale).
fixed128 fixed_from_decimal(fixed128 unscaled, int scale) noexcept;

}  // namespace tierkit::detail
