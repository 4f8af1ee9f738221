#pragma once
// Exact, order-independent money sums.
//
// Every amount is rounded once to a multiple of 2^-32 (about 2.3e-10) and summed as a
// 128-bit integer. Integer addition is associative, so any chunking, thread count or merge
// order gives bit-for-bit the same sum; floating-point summation would not. Integer
// amounts convert exactly; float and decimal amounts are rounded to the 2^-32 grid once.
#include <cmath>
#include <cstdint>

namespace tierkit::detail {

using fixed128 = __int128;

inline constexpr int fixed_fraction_bits = 32;
inline constexpr double fixed_one = 4294967296.0;  // 2^32
// Amounts at or beyond 2^60 (about 1.15e18) are rejected as out of range by validation, so
// that a sum of up to 2^34 of them still fits in 127 bits.
inline constexpr double fixed_max_amount = 1152921504606846976.0;  // 2^60

// Rounds x * 2^32 to the nearest integer, ties to even. Non-finite input gives 0; callers
// reject it during validation, this only keeps skipped rows harmless.
inline fixed128 fixed_from_double(double x) noexcept {
  if (std::fabs(x) < 2147483648.0) {  // |x| < 2^31: x * 2^32 fits in int64 exactly
    return static_cast<fixed128>(std::llrint(x * fixed_one));
  }
  if (!std::isfinite(x)) return 0;
  // Large magnitudes: x * 2^32 is an integer already (doubles this large have no bits
  // below 2^-21), so the conversion is exact.
  return static_cast<fixed128>(x * fixed_one);
}

inline fixed128 fixed_from_int(std::int64_t v) noexcept {
  return static_cast<fixed128>(v) * (static_cast<fixed128>(1) << fixed_fraction_bits);
}

inline double fixed_to_double(fixed128 v) noexcept {
  return static_cast<double>(v) / fixed_one;
}

// Decimal128 with the given scale (value = unscaled * 10^-scale). Exact for scale 0 and
// rounded half away from zero to the 2^-32 grid otherwise. Scales above 18 go through
// long double.
fixed128 fixed_from_decimal(fixed128 unscaled, int scale) noexcept;

}  // namespace tierkit::detail
