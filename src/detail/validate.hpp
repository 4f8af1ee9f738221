#pragma once
// Row validation of a transactions batch, run once before any aggregation.
#include <cstdint>
#include <optional>
#include <vector>

#include "detail/cancel_point.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit::detail {

struct validation_options {
  const char* function = "tierkit";
  std::optional<std::int32_t> as_of;  // rows on or after it are invalid (no explicit window)
  const time_zone* zone = nullptr;
  // The days a time may name, inclusive (a profile's or balances' valid_dates); rows outside
  // are "dated before <first> (the first of valid_dates)" or after the last. Without it,
  // days outside the supported dates of calendar.hpp are invalid ("outside the supported
  // dates"). A range must lie within the supported dates.
  std::optional<day_range> valid_days;
  unsigned threads = 1;  // rows are checked in shares on this many threads (0: all cores)
  cancel_point* cancel = nullptr;  // checked before each column's share of rows
};

struct validation_result {
  std::vector<row_issue> issues;     // problems with a nonzero row count, in a fixed order
  std::int64_t invalid_rows = 0;     // distinct invalid rows
  std::vector<std::uint8_t> invalid; // 1 per invalid row; empty when there are none
};

validation_result validate_transactions(const transactions& batch,
                                        const validation_options& options);

// The same checks for any set of columns of one table: keys (null, dictionary index out of
// range), an optional time column (null, outside valid_days or else the supported days of
// calendar.hpp, on/after as_of), numbers (null, NaN, infinite, magnitude >= 2^60).
validation_result validate_columns(std::int64_t rows, const std::vector<const column_view*>& keys,
                                   const column_view* time,
                                   const std::vector<const column_view*>& numbers,
                                   const validation_options& options);

// Throws tierkit::invalid_input unless `range` (a valid_dates setting) runs forwards within
// the supported dates of calendar.hpp.
void check_valid_days(const char* function, const day_range& range);

// Throws tierkit::invalid_input listing every issue.
[[noreturn]] void throw_invalid_rows(const char* function, const std::vector<row_issue>& issues,
                                     std::int64_t invalid_rows, std::int64_t total_rows);

}  // namespace tierkit::detail
