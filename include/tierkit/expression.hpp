#pragma once
// The rule expression language: small, safe by construction (no host code is evaluated).
//
//   monetary >= 100000 and frequency >= 12
//   rfm_segment in ('Champions', 'Loyal Customers')
//   recency between 0 and 180 or not (lifecycle = 'churned')
//   age is null or age < 60
//   last_purchase >= date '2024-01-01'         (dates are day numbers)
//   gross_sales - returns_value > 2 * monetary
//
// Grammar (lowest precedence first): or; and; not; comparison (= == != <> < <= > >=,
// [not] between a and b (inclusive), [not] in (literals), is [not] null); + -; * / %;
// unary -; literals (numbers, 'text' with '' for a quote, true/false, date 'YYYY-MM-DD'),
// column names (letters, digits, _; or "any text" in double quotes) and parentheses.
// Keywords are case-insensitive.
//
// Types: number (booleans are 1/0; a number used as a condition is true when non-zero) and
// text. Arithmetic needs numbers; comparisons need both sides of one type; a mismatch names
// both types. Nulls follow SQL: a comparison with a null is null, `and`/`or` use three-valued
// logic, and a rule whose condition is null does not match. Division by zero gives null.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/column.hpp"

namespace tierkit {

enum class value_kind : std::uint8_t { number, text };
const char* value_kind_name(value_kind k) noexcept;

// A column rules read: numbers (NaN = null) or text (codes into labels, -1 = null), owned;
// or a borrowed Arrow-layout column read in place: in one piece (`view`; for a dictionary
// of strings, `labels` holds its values) or in pieces (Arrow chunks: piece k holds the
// table's rows piece_starts[k] .. piece_starts[k + 1]; `view` is then null).
struct rule_column {
  std::string name;
  value_kind kind = value_kind::number;
  std::vector<double> numbers;
  std::vector<std::int32_t> codes;
  std::vector<std::string> labels;
  std::shared_ptr<const column_view> view;
  std::vector<column_view> pieces;
  std::vector<std::size_t> piece_starts;

  bool borrowed() const noexcept { return view != nullptr || !pieces.empty(); }
  // The borrowed view holding table row `row`, and the table row where that view starts
  // (`first`); null for owned columns.
  const column_view* view_at(std::size_t row, std::size_t& first) const noexcept;

  bool is_null(std::size_t row) const noexcept;
  double number_at(std::size_t row) const noexcept;     // number columns; NaN = null
  std::string_view text_at(std::size_t row) const noexcept;  // text columns, non-null rows
};

class rule_table {
 public:
  rule_table() = default;
  // A table of `rows` rows: every column must have that many (a policy whose rules read no
  // column still needs to know how many customers it tiers).
  explicit rule_table(std::size_t rows) : rows_(rows), rows_fixed_(true) {}
  // Throws schema_error for a repeated name or a length differing from earlier columns.
  void add_numbers(std::string name, std::vector<double> values);
  void add_text(std::string name, std::vector<std::int32_t> codes, std::vector<std::string> labels);
  // Borrows a column without copying it (the caller keeps its buffers alive while the table
  // is used): integers, floats and booleans are numbers, date32 are day numbers, strings
  // (utf8, large_utf8, utf8_view, std::string_view arrays) and dictionaries of strings are
  // text. Other types throw schema_error naming the column and its type.
  void add_column(const column_view& column);
  // The same for a view the table shares (the view's owner may hold buffers the view points
  // into, e.g. a validity mask made for it: they live as long as the table needs them).
  void add_column(std::shared_ptr<const column_view> column);
  // Borrows a column in pieces (an Arrow chunked array) without combining them: the pieces
  // in row order, all of one type. Dictionaries must come in one piece (each piece's
  // dictionary would differ); throws schema_error otherwise.
  void add_column(const std::string& name, const std::vector<column_view>& pieces);
  // Rows where pieces of some column meet, ascending: evaluation blocks end there, so that
  // every block reads one piece of each column.
  const std::vector<std::size_t>& piece_bounds() const noexcept { return piece_bounds_; }

  std::size_t rows() const noexcept { return rows_; }
  const rule_column* find(const std::string& name) const noexcept;
  std::vector<std::string> names() const;
  const std::vector<rule_column>& columns() const noexcept { return columns_; }

 private:
  void admit(const std::string& name, std::size_t n) const;  // throws for a repeated name or length
  std::size_t rows_ = 0;
  bool rows_fixed_ = false;
  std::vector<rule_column> columns_;
  std::vector<std::size_t> piece_bounds_;
};

// Three-valued truth per row.
enum truth : std::uint8_t { is_false = 0, is_true = 1, is_null = 2 };

namespace detail {
struct expr_node;
}

// A simple constraint a condition implies (used by static checks): column op value(s).
struct column_constraint {
  std::string column;
  value_kind kind = value_kind::number;
  double lo = -1.0 / 0.0, hi = 1.0 / 0.0;  // numbers: [lo, hi] with open ends below
  bool lo_open = false, hi_open = false;
  std::vector<std::string> texts;  // text: the allowed values (when texts_given)
  bool texts_given = false;
};

class tier_policy;

class expression {
 public:
  expression();
  ~expression();
  expression(const expression&);
  expression& operator=(const expression&);
  expression(expression&&) noexcept;
  expression& operator=(expression&&) noexcept;

  // Throws invalid_input with the position and a caret under the problem. `what` names the
  // rule in messages.
  static expression parse(const std::string& text, const std::string& what = "expression");

  const std::string& text() const noexcept { return text_; }
  // Column names the expression reads, in order of first use.
  std::vector<std::string> columns() const;

  // Checks every column exists and every operator gets the types it needs; throws
  // schema_error (unknown column with the closest names; type mismatch naming both types).
  void check(const rule_table& schema) const;

  // Truth per row of [begin, end) into out (end - begin values). check() first. Throws
  // invalid_input for rows outside the table.
  void evaluate(const rule_table& table, std::size_t begin, std::size_t end, std::uint8_t* out) const;
  // Truth of the rows begin + rows[i], i < count (rows strictly ascending, below 2^32) into
  // out (count values): only the rows still needing an answer, as a policy's later rules
  // do. check() first. Throws invalid_input for rows out of order or outside the table.
  void evaluate_rows(const rule_table& table, std::size_t begin, const std::uint32_t* rows,
                     std::size_t count, std::uint8_t* out) const;
  // Whole table, on `threads` threads (0: all).
  std::vector<std::uint8_t> evaluate(const rule_table& table, unsigned threads = 0) const;

  // Numbers per row, on `threads` threads (NaN = null; a condition gives 1, 0 or null): for
  // derived columns such as `Quantity * UnitPrice`. Checks the types first; a text
  // expression throws schema_error.
  std::vector<double> evaluate_numbers(const rule_table& table, unsigned threads = 0) const;

  // When the condition is a conjunction of simple constraints (column op literal, between,
  // in, is not null), those constraints; otherwise empty and `simple` false.
  std::vector<column_constraint> constraints(bool& simple) const;
  // For explanations: the top-level conjuncts (a and b and c -> a, b, c) as expressions.
  std::vector<expression> conjuncts() const;

 private:
  // evaluate_rows without its checks, for a tier policy's own row lists (ascending inside
  // the table by construction: checking them again per rule and block is work done twice).
  friend class tier_policy;
  void evaluate_selected(const rule_table& table, std::size_t begin, const std::uint32_t* rows,
                         std::size_t count, std::uint8_t* out) const;

  std::string text_, what_;
  std::shared_ptr<const detail::expr_node> root_;
};

}  // namespace tierkit
