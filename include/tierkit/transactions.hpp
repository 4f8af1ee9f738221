#pragma once
// transactions: the columns of a batch of transactions, as non-owning views.
//
// Roles and the column types each accepts:
//   customer  (required)  integer (int8..int64, uint8..uint32), string (utf8, large_utf8,
//                         utf8_view, string_views) or dictionary of either
//   time      (required)  date32, date64, or timestamp of any unit, UTC-instant or wall-clock
//   amount    (required)  integer, float32, float64 or decimal128; the signed line value:
//                         a line with amount < 0 is a return, amount >= 0 a purchase (zero-
//                         value lines, e.g. free items, are purchases)
//   order     (optional)  key types as customer: lines of one order share it
//   quantity  (optional)  numeric; units on the line
//   channel, category (optional)  key types as customer; profiles count distinct values
//
// Invalid rows (policy): a null in any given column, a NaN or infinite amount or quantity,
// an amount of magnitude >= 2^60, a time outside the supported dates 0001-01-01 to
// 9999-12-31 (calendar.hpp: what Python and pandas can show), and (when as_of is given
// without an explicit window) a time on or after as_of. Under
// invalid_policy::raise (the default) one tierkit::invalid_input lists every problem with
// its column and row count; under invalid_policy::drop those rows are left out and counted
// per column and problem in the validation_report returned with the result. Nothing is
// dropped silently.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tierkit/column.hpp"

namespace tierkit {

enum class invalid_policy : std::uint8_t { raise, drop };

// Parses "raise" or "drop"; throws tierkit::invalid_input otherwise.
invalid_policy parse_invalid_policy(const std::string& name);
const char* invalid_policy_name(invalid_policy p) noexcept;

struct transactions {
  column_view customer;
  column_view time;
  column_view amount;
  std::optional<column_view> order;
  std::optional<column_view> quantity;
  std::optional<column_view> channel;
  std::optional<column_view> category;

  std::int64_t rows() const noexcept { return customer.length; }

  // Checks that every column has the same length and a type its role accepts. Throws
  // tierkit::schema_error naming `function`, the column, the expected and the found type.
  void check_schema(const char* function) const;
};

// One kind of invalid row: the column, the problem, how many rows.
struct row_issue {
  std::string column;
  std::string problem;
  std::int64_t rows = 0;
};

// What happened to the input rows. rows_read = rows_used + rows_dropped +
// rows_outside_window.
struct validation_report {
  std::int64_t rows_read = 0;
  std::int64_t rows_used = 0;
  std::int64_t rows_dropped = 0;         // rows left out under invalid_policy::drop
  std::int64_t rows_outside_window = 0;  // rows outside an explicitly given window
  std::vector<row_issue> dropped;        // per column and problem; a row with two problems
                                         // counts under both

  // Adds the counts of `other` (issues with the same column and problem are summed).
  void merge(const validation_report& other);
};

}  // namespace tierkit
