#pragma once
// Text levels as ranks: a card level "gold" in the levels (classic, gold, platinum, ...)
// is rank 2, for rules and criteria that compare levels as numbers (card_level >= 2).
//
// Policy: a row matches a level when its text equals the level, or equals it after ASCII
// lower-casing the row (levels are given in lower case). Null rows have no rank (NaN).
// Rows matching no level are counted in `unknown` and have no rank either: the caller
// decides (tierkit's Python layer retries them with Unicode lower-casing, then reports the
// rows still unknown as invalid input).
#include <cstdint>
#include <string>
#include <vector>

#include "tierkit/column.hpp"

namespace tierkit {

// Ranks (1-based; NaN for null and unknown rows) of the rows of a text column (utf8,
// large_utf8, utf8_view or std::string_view arrays; not dictionaries) into ranks[0,
// text.length), on all cores. Returns the number of unknown rows (non-null, matching no
// level). Throws schema_error for other column types.
std::int64_t rank_levels(const column_view& text, const std::vector<std::string>& levels, double* ranks);

}  // namespace tierkit
