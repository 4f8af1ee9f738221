// Internals: the exact 10^-9 decimal grid money is summed on.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "detail/fixed_point.hpp"

using namespace tierkit::detail;

namespace {
// The definition: whole part, then the fraction scaled and rounded half away from zero.
fixed128 reference(double x) {
  if (!(std::fabs(x) < fixed_max_amount)) return 0;
  const double whole = std::trunc(x);
  return static_cast<fixed128>(static_cast<std::int64_t>(whole)) * fixed_scale +
         static_cast<fixed128>(std::llround((x - whole) * static_cast<double>(fixed_scale)));
}
}  // namespace

TEST_CASE("doubles go to the 10^-9 grid rounded half away from zero, as llround would") {
  std::vector<double> xs = {0.0, -0.0, 0.1, -0.1, 0.2, 19.99, -19.99, 1e-9, -1e-9, 5e-10, -5e-10,
                            4.999999999999999e-10, -4.999999999999999e-10, 1.5e-9, 2.5e-9,
                            0.49999999999999994e-9, 123456789.123456789, -987654321.5,
                            std::nextafter(0.5e-9, 0.0), std::nextafter(0.5e-9, 1.0),
                            std::numeric_limits<double>::denorm_min(), 1e15 + 0.25};
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (int i = 0; i < 200000; ++i) {
    xs.push_back(u(rng));
    xs.push_back(std::round(u(rng) * 100) / 100);                     // cents
    xs.push_back((static_cast<double>(rng() % 2000000) + 0.5) * 1e-9);  // halves of the grid
  }
  for (const double x : xs) {
    const fixed128 got = fixed_from_double(x), want = reference(x);
    if (got != want) FAIL_CHECK("x = " << x);
  }
  CHECK(fixed_from_double(0.1) == 100000000);
  CHECK(fixed_from_double(-19.99) == -19990000000);
  CHECK(fixed_from_double(std::nan("")) == 0);
  CHECK(fixed_from_double(INFINITY) == 0);
}
