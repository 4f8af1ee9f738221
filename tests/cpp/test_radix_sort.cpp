// Internals: radix sorting of 64-bit keys, non-negative doubles and integer keys' order.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "detail/radix_sort.hpp"

TEST_CASE("the radix sort orders non-negative doubles like std::sort, zeros of both signs included") {
  std::vector<double> v;
  std::uint64_t s = 12345;
  for (int i = 0; i < 100000; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double x = static_cast<double>(s >> 11) * 1e-9 * ((s & 7) == 0 ? 1e-300 : (s & 7) == 1 ? 1e300 : 1.0);
    v.push_back((s & 15) == 3 ? -0.0 : (s & 15) == 4 ? 0.0 : x);
  }
  v.push_back(std::numeric_limits<double>::denorm_min());
  v.push_back(std::numeric_limits<double>::max());
  std::vector<double> want = v;
  std::sort(want.begin(), want.end());
  tierkit::detail::sort_nonnegative(v);
  REQUIRE(v.size() == want.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    CHECK(v[i] == want[i]);
    CHECK_FALSE(std::signbit(v[i]));
  }
}

TEST_CASE("integer keys are ordered by radix within a 2^32 range, ties by index") {
  std::vector<std::int64_t> keys;
  std::uint64_t s = 99;
  for (int i = 0; i < 50000; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    keys.push_back(static_cast<std::int64_t>(s >> 40) - 5'000'000);  // negative and positive, repeats
  }
  keys.push_back(-5'000'000);
  auto order = tierkit::detail::order_by_int_keys(keys);
  REQUIRE(order.has_value());
  std::vector<std::uint32_t> want(keys.size());
  std::iota(want.begin(), want.end(), 0u);
  std::stable_sort(want.begin(), want.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
  CHECK(*order == want);
  // A range of 2^32 or more is left to comparison sorting.
  CHECK_FALSE(tierkit::detail::order_by_int_keys({0, std::int64_t{1} << 32}).has_value());
  CHECK(tierkit::detail::order_by_int_keys({0, UINT32_MAX}).has_value());
  CHECK(tierkit::detail::order_by_int_keys({std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max() - 1}).value() == std::vector<std::uint32_t>{1, 0});
  CHECK(tierkit::detail::order_by_int_keys({}).value().empty());
}
