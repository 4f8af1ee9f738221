#pragma once
// How a fresh key dictionary numbers the integer keys of the columns it is about to read.
#include <cstdint>
#include <vector>

#include "detail/key_dictionary.hpp"
#include "tierkit/column.hpp"

namespace tierkit::detail {

// Chooses the numbering of an empty dictionary `d` from the keys' range [lo, hi] (every row
// of `keys`, invalid ones too) and, when that range is narrow (at most max(65,536, rows / 2)
// keys), from how many distinct keys fill it:
// - at least half of the range: by key (index = key - lo; no lookup at all, and keys come
//   out in key order; the holes, indices no key came for, are at most as many as the keys);
// - less: a direct table of 4 bytes per key of the range (one memory access per lookup
//   instead of a 16-byte hash slot);
// - a wider range, string or dictionary-encoded keys, or a dictionary already in use:
//   hashing (d is left as it is).
// Two passes over the keys on up to `threads` threads (0: all cores). Returns true when the
// keys are numbered by key: the caller must then skip the holes.
bool choose_key_numbering(key_dictionary& d, const std::vector<const column_view*>& keys,
                          std::int64_t rows, unsigned threads);

}  // namespace tierkit::detail
