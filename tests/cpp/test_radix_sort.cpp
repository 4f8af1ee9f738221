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

TEST_CASE("integer keys are ordered by radix, narrow and wide ranges alike, ties by index") {
  using tierkit::detail::order_by_int_keys;
  auto by_comparison = [](const std::vector<std::int64_t>& keys) {
    std::vector<std::uint32_t> want(keys.size());
    std::iota(want.begin(), want.end(), 0u);
    std::stable_sort(want.begin(), want.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
    return want;
  };
  // Within a 2^32 range (packed words) and across the whole int64 range (records).
  for (const int shift : {40, 0}) {
    std::vector<std::int64_t> keys;
    std::uint64_t s = 99;
    for (int i = 0; i < 50000; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      keys.push_back(static_cast<std::int64_t>(s >> shift) - 5'000'000);  // signs mixed, repeats
      if (i % 7 == 0) keys.push_back(keys[static_cast<std::size_t>(i) / 2]);
    }
    keys.push_back(-5'000'000);
    if (shift == 0) {
      keys.push_back(std::numeric_limits<std::int64_t>::min());
      keys.push_back(std::numeric_limits<std::int64_t>::max());
    }
    CHECK(order_by_int_keys(keys) == by_comparison(keys));
  }
  for (const std::vector<std::int64_t>& keys : std::vector<std::vector<std::int64_t>>{
           {0, std::int64_t{1} << 32}, {0, UINT32_MAX}, {std::int64_t{1} << 32, 0},
           {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max() - 1},
           {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}, {}}) {
    CHECK(order_by_int_keys(keys) == by_comparison(keys));
  }
}

TEST_CASE("records sort stably by a key function") {
  struct rec {
    std::uint64_t key;
    std::uint32_t seq;
  };
  for (const std::size_t n : {std::size_t{100}, std::size_t{70000}}) {  // comparison and radix paths
    std::vector<rec> v;
    std::uint64_t s = 5;
    for (std::size_t i = 0; i < n; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      v.push_back(rec{(i % 3 == 0) ? (s >> 50) : s, static_cast<std::uint32_t>(i)});  // many ties
    }
    std::vector<rec> want = v;
    std::stable_sort(want.begin(), want.end(), [](const rec& a, const rec& b) { return a.key < b.key; });
    tierkit::detail::radix_sort_by(v, [](const rec& r) { return r.key; });
    REQUIRE(v.size() == want.size());
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) same = same && v[i].key == want[i].key && v[i].seq == want[i].seq;
    CHECK(same);
  }
}

TEST_CASE("records sort stably by a key of a known width, in the passes it needs") {
  struct rec {
    std::uint32_t key;
    std::uint32_t seq;
  };
  // Widths of one pass, of several passes of equal digits, of a last digit narrower than the
  // others would be (25 bits: 9, 8, 8); small n takes the comparison path; 64 bits below.
  for (const int width : {1, 7, 11, 12, 25, 32}) {
    for (const std::size_t n : {std::size_t{100}, std::size_t{50000}}) {
      CAPTURE(width);
      CAPTURE(n);
      std::vector<rec> v;
      std::uint64_t s = 9;
      const std::uint64_t mask = width == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
      for (std::size_t i = 0; i < n; ++i) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::uint64_t k = (i % 4 == 0 ? (s >> 40) : s >> 20) & mask;  // many ties
        v.push_back(rec{static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(i)});
      }
      std::vector<rec> want = v;
      std::stable_sort(want.begin(), want.end(), [](const rec& a, const rec& b) { return a.key < b.key; });
      tierkit::detail::radix_sort_bits(v, [](const rec& r) { return std::uint64_t{r.key}; }, width);
      REQUIRE(v.size() == want.size());
      bool same = true;
      for (std::size_t i = 0; i < n; ++i) same = same && v[i].key == want[i].key && v[i].seq == want[i].seq;
      CHECK(same);
    }
  }
  std::vector<std::uint64_t> wide(3000);
  std::uint64_t s = 3;
  for (std::uint64_t& k : wide) k = s = s * 6364136223846793005ULL + 1442695040888963407ULL;
  std::vector<std::uint64_t> want = wide;
  std::sort(want.begin(), want.end());
  tierkit::detail::radix_sort_bits(wide, [](std::uint64_t k) { return k; }, 64);
  CHECK(wide == want);
}
