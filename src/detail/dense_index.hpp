#pragma once
// Dense indices of keys (customers, orders, channels, categories): 32-bit, numbered 0, 1, 2,
// ... as keys first come. One column may hold at most max_distinct_keys distinct keys:
// 2^32 - 1 (all ones) marks "no index", and one value more is kept free so that a count of
// keys also fits in 32 bits. Beyond, the work stops with invalid_input instead of wrapping
// around (two customers would share an index and be added together).
#include <cstddef>
#include <cstdint>

#include "tierkit/error.hpp"

namespace tierkit::detail {

inline constexpr std::size_t max_distinct_keys = 4294967294u;  // 2^32 - 2

// The next index for a dictionary holding `size` keys (and counts it), or invalid_input.
inline std::uint32_t take_dense_index(std::size_t& size) {
  if (size >= max_distinct_keys) {
    throw invalid_input("tierkit: more than 4,294,967,294 distinct keys in one column");
  }
  return static_cast<std::uint32_t>(size++);
}

}  // namespace tierkit::detail
