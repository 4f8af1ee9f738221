#pragma once
// Radix sorting by 64-bit unsigned keys: least-significant digit first, 11 bits per pass,
// skipping digits all keys share. Linear in n; several times faster than std::sort on
// millions of keys. Uses that build on it:
//   radix_sort_by     records by a key function, stably (string keys sort 8 bytes a round)
//   radix_sort_bits   the same for keys of a known width, in the passes it needs
//   sort_nonnegative  doubles >= 0 (their IEEE-754 patterns read as unsigned integers order
//                     like the values); NaN must not occur; -0.0 is read as 0.
//   order_by_int_keys the permutation that orders int64 keys (within a 2^32 range: key - min
//                     in the high half of a word, the index in the low half).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

namespace tierkit::detail {

// Sorts records by a 64-bit unsigned key, key(record), stably: least-significant digit
// first, 11 bits per pass, skipping digits all keys share. Small inputs go to
// std::stable_sort.
template <class Record, class Key>
void radix_sort_by(std::vector<Record>& a, Key key) {
  const std::size_t n = a.size();
  if (n < 256 || n >= UINT32_MAX) {  // small, or beyond the 32-bit bucket counts
    std::stable_sort(a.begin(), a.end(),
                     [&](const Record& x, const Record& y) { return key(x) < key(y); });
    return;
  }
  constexpr int bits = 11, passes = 6;  // 66 >= 64 bits
  constexpr std::size_t buckets = std::size_t{1} << bits;
  std::vector<std::array<std::uint32_t, buckets>> count(passes);
  for (auto& c : count) c.fill(0);
  for (const Record& r : a) {
    const std::uint64_t k = key(r);
    for (int p = 0; p < passes; ++p) ++count[static_cast<std::size_t>(p)][(k >> (p * bits)) & (buckets - 1)];
  }
  std::vector<Record> b(n);
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
      b[c[(key(a[i]) >> shift) & (buckets - 1)]++] = a[i];
    }
    a.swap(b);
  }
}

// Sorts records by a key below 2^key_bits (1 <= key_bits <= 64), stably, as radix_sort_by,
// in the passes that width needs, digits of equal width (at most 11 bits: a narrower last
// digit would be a pass with few buckets for nothing), all passes' counts taken in one
// read. For keys packed from a few small codes (the lifetime-value merge: 25 bits in three
// passes of 8 or 9 bits, whose buckets' write positions stay in the L1 cache).
template <class Record, class Key>
void radix_sort_bits(std::vector<Record>& a, Key key, int key_bits) {
  const std::size_t n = a.size();
  if (n < 256 || n >= UINT32_MAX) {
    std::stable_sort(a.begin(), a.end(),
                     [&](const Record& x, const Record& y) { return key(x) < key(y); });
    return;
  }
  key_bits = std::clamp(key_bits, 1, 64);
  const int passes = (key_bits + 10) / 11, bits = (key_bits + passes - 1) / passes;
  const std::size_t buckets = std::size_t{1} << bits;
  const std::uint64_t mask = buckets - 1;
  std::vector<std::uint32_t> count(static_cast<std::size_t>(passes) * buckets, 0);
  for (const Record& r : a) {
    const std::uint64_t k = key(r);
    for (int p = 0; p < passes; ++p) ++count[static_cast<std::size_t>(p) * buckets + ((k >> (p * bits)) & mask)];
  }
  std::vector<Record> b(n);
  for (int p = 0; p < passes; ++p) {
    std::uint32_t* c = count.data() + static_cast<std::size_t>(p) * buckets;
    if (std::find(c, c + buckets, static_cast<std::uint32_t>(n)) != c + buckets) continue;  // one digit: no change
    std::uint32_t sum = 0;
    for (std::size_t d = 0; d < buckets; ++d) {
      const std::uint32_t here = c[d];
      c[d] = sum;
      sum += here;
    }
    const int shift = p * bits;
    for (std::size_t i = 0; i < n; ++i) b[c[(key(a[i]) >> shift) & mask]++] = a[i];
    a.swap(b);
  }
}

inline void radix_sort(std::vector<std::uint64_t>& a) {
  radix_sort_by(a, [](std::uint64_t k) { return k; });
}

inline void sort_nonnegative(std::vector<double>& values) {
  if (values.empty()) return;  // memcpy of an empty vector's null data is undefined
  std::vector<std::uint64_t> keys(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i] + 0.0;  // -0.0 -> +0.0
    std::memcpy(&keys[i], &x, sizeof x);
  }
  radix_sort(keys);
  std::memcpy(values.data(), keys.data(), keys.size() * sizeof(double));
}

// Indices 0..n-1 ordered by keys[i] ascending (ties by index); n < 2^32, as the indices are
// 32-bit (dictionaries hold fewer keys than that). Keys within a 2^32 range
// sort packed with their index in one 64-bit word; wider ones as (key, index) records.
inline std::vector<std::uint32_t> order_by_int_keys(const std::vector<std::int64_t>& keys) {
  const std::size_t n = keys.size();
  if (n == 0) return {};
  const auto [lo, hi] = std::minmax_element(keys.begin(), keys.end());
  const std::uint64_t span = static_cast<std::uint64_t>(*hi) - static_cast<std::uint64_t>(*lo);
  auto offset = [lo = static_cast<std::uint64_t>(*lo)](std::int64_t k) {
    return static_cast<std::uint64_t>(k) - lo;  // order-preserving: every key is >= lo
  };
  std::vector<std::uint32_t> order(n);
  if (span <= UINT32_MAX) {
    std::vector<std::uint64_t> packed(n);
    for (std::size_t i = 0; i < n; ++i) packed[i] = (offset(keys[i]) << 32) | i;
    radix_sort(packed);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(packed[i]);
    return order;
  }
  struct keyed {
    std::uint64_t key;
    std::uint32_t index;
  };
  std::vector<keyed> recs(n);
  for (std::size_t i = 0; i < n; ++i) recs[i] = keyed{offset(keys[i]), static_cast<std::uint32_t>(i)};
  radix_sort_by(recs, [](const keyed& r) { return r.key; });
  for (std::size_t i = 0; i < n; ++i) order[i] = recs[i].index;
  return order;
}

}  // namespace tierkit::detail
