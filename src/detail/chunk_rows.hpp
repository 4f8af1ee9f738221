#pragma once
// How many rows the profile aggregates per chunk (two passes: decode and file rows by
// block of customers, then aggregate block by block), given the update's size and how its
// customer keys are numbered.
#include <cstdint>

#include "detail/key_dictionary.hpp"

namespace tierkit::detail {

// Rows aggregated per chunk. With keys numbered by value or through a direct table: an
// eighth of the update's rows, a power of two from 2^18 to 2^20 (to 2^23 with many
// customers, below). Larger chunks give each block of customers more rows per visit in
// pass 2 and the threads fewer barriers (each doubling up to 2^21 measured faster at 10^7
// and 10^8 rows); but the decoded copy of a chunk (32 bytes a row) is fresh memory once per
// update, so small updates keep small chunks (10^6 rows ran faster in four chunks of 2^18
// than in one of 2^20). Hashed keys keep 2^18: a larger copy crowds their table out of the
// cache (sparse ids measured slower with 2^20, and no faster once the lookups' prefetches
// worked).
// Keys numbered by value (their range at least half full, so about the customers) go on
// past 2^20, up to 2^23, doubling while a chunk holds fewer rows than twice the range (so
// it ends with fewer than four rows a key): with millions of customers the aggregates are
// far larger than the caches, and a chunk with under a row per customer misses the cache on
// nearly every row; more rows per visit let a block's customers be hit more than once
// while its lines are in the cache (measured faster with 2^23 at 10^8 rows and 4 million
// customers; the copy, 256 MB, stays an eighth of the update's rows, 32 bytes a row, plus
// 24 with quantity, channel or category columns).
// A direct table's range may be far larger than its customers, and its first chunk sets
// the new keys' rows aside (64 bytes a row): it keeps 2^20.
inline constexpr std::int64_t min_chunk_rows = std::int64_t{1} << 18;
inline constexpr std::int64_t rows_chunk_rows = std::int64_t{1} << 20;
inline constexpr std::int64_t max_chunk_rows = std::int64_t{1} << 23;
inline std::int64_t chunk_rows_for(std::int64_t rows, const key_dictionary& customers) noexcept {
  std::int64_t c = min_chunk_rows;
  if (!customers.by_key() && !customers.direct()) return c;
  const std::int64_t cap = customers.by_key() ? max_chunk_rows : rows_chunk_rows;
  const auto range = static_cast<std::int64_t>(customers.size());  // by key: the key range
  while (c < cap && 2 * c <= rows / 8 && (2 * c <= rows_chunk_rows || c < 2 * range)) c *= 2;
  return c;
}

}  // namespace tierkit::detail
