#pragma once
// Columnar evaluation of a rule expression (expr_node.hpp) over selected rows of a block:
// every node fills a buffer with one value per selected row.
//
// Selections make later rules and right-hand sides read fewer rows: `a and b` evaluates b
// only on the rows where a is not false, `a or b` only where a is not true, when b's cost
// estimate says gathering those rows pays; a policy evaluates each rule only on the rows no
// earlier rule took, once at most 3/4 of a block's rows are left (tier_policy::assign). A
// column compared with a literal (`monetary >= 100000`, `recency between 0 and 180`) is
// compared in one pass over its own buffer, without copying it first.
#include <cstddef>
#include <cstdint>

#include "detail/expr_node.hpp"
#include "tierkit/expression.hpp"

namespace tierkit::detail {

// The rows a node is evaluated on: `count` rows, row begin + rows[i] (ascending offsets), or
// the dense rows begin .. begin + count when rows is null.
struct row_selection {
  std::size_t begin = 0;
  std::size_t count = 0;
  const std::uint32_t* rows = nullptr;
};

// Truth (is_false, is_true, is_null) of the selected rows into out[0, s.count). The
// expression must have been checked against the table (expression::check).
void evaluate_truth(const rule_table& t, const expr_node& e, const row_selection& s, std::uint8_t* out);
// Numbers (NaN = null; a condition gives 1, 0 or NaN) of the selected rows.
void evaluate_numbers(const rule_table& t, const expr_node& e, const row_selection& s, double* out);

// One row of a column: its number (number columns; null: NaN) or its code (text columns
// held as codes: owned codes or a dictionary's indices; null: -1).
double number_at(const rule_column& c, std::size_t row) noexcept;
std::int32_t code_at(const rule_column& c, std::size_t row) noexcept;

}  // namespace tierkit::detail
