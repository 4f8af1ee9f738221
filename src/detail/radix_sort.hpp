#pragma once
// Radix sorting of 64-bit unsigned keys: least-significant digit first, 11 bits per pass,
// skipping digits all keys share. Linear in n; several times faster than std::sort on
// millions of keys. Two uses build on it:
//   sort_nonnegative  doubles >= 0 (their IEEE-754 patterns read as unsigned integers order
//                     like the values); NaN must not occur; -0.0 is read as 0.
//   order_by_int_keys the permutation that orders int64 keys, when their range fits 32 bits
//                     (key - min in the high half, the index in the low half).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

namespace tierkit::detail {

inline void radix_sort(std::vector<std::uint64_t>& a) {
  const std::size_t n = a.size();
  if (n < 256 || n >= UINT32_MAX) {  // small, or beyond the 32-bit bucket counts
    std::sort(a.begin(), a.end());
    return;
  }
  constexpr int bits = 11, passes = 6;  // 66 >= 64 bits
  constexpr std::size_t buckets = std::size_t{1} << bits;
  std::vector<std::array<std::uint32_t, buckets>> count(passes);
  for (auto& c : count) c.fill(0);
  for (const std::uint64_t k : a) {
    for (int p = 0; p < passes; ++p) ++count[static_cast<std::size_t>(p)][(k >> (p * bits)) & (buckets - 1)];
  }
  std::vector<std::uint64_t> b(n);
  for (int p = 0; p < passes; ++p) {
    auto& c = count[static_cast<std::size_t>(p)];
    bool trivial = false;
    for (std::uint32_t x : c) {
      if (x == n) trivial = true;  // every key has this digit: the pass changes nothing
    }
    if (trivial) continue;
    std::uint32_t sum = 0;
    for (std::uint32_t& x : c) {
      const std::uint32_t here = x;
      x = sum;
      sum += here;
    }
    const int shift = p * bits;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = a[i];
      b[c[(k >> shift) & (buckets - 1)]++] = k;
    }
    a.swap(b);
  }
}

inline void sort_nonnegative(std::vector<double>& values) {
  std::vector<std::uint64_t> keys(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i] + 0.0;  // -0.0 -> +0.0
    std::memcpy(&keys[i], &x, sizeof x);
  }
  radix_sort(keys);
  std::memcpy(values.data(), keys.data(), keys.size() * sizeof(double));
}

// Indices 0..n-1 ordered by keys[i] ascending (ties by index), or nothing when the keys
// span 2^32 or more (the caller then sorts by comparison).
inline std::optional<std::vector<std::uint32_t>> order_by_int_keys(const std::vector<std::int64_t>& keys) {
  const std::size_t n = keys.size();
  if (n == 0) return std::vector<std::uint32_t>{};
  const auto [lo, hi] = std::minmax_element(keys.begin(), keys.end());
  const std::uint64_t span = static_cast<std::uint64_t>(*hi) - static_cast<std::uint64_t>(*lo);
  if (span > UINT32_MAX || n > UINT32_MAX) return std::nullopt;
  std::vector<std::uint64_t> packed(n);
  for (std::size_t i = 0; i < n; ++i) {
    packed[i] = ((static_cast<std::uint64_t>(keys[i]) - static_cast<std::uint64_t>(*lo)) << 32) | i;
  }
  radix_sort(packed);
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(packed[i]);
  return order;
}

}  // namespace tierkit::detail
