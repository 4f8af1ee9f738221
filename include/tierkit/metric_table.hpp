#pragma once
// metric_table: named numeric columns, one row per customer (or per product, or per any
// key): what scoring strategies read. Values are doubles; NaN means "missing" (a customer
// without purchases has no recency). Rows are aligned with whatever the caller keyed them
// by; strategies return results in the same row order. Columns are owned (add) or borrowed
// in place (add_borrowed: a numpy or Arrow buffer, no copy); copies of a table share them.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tierkit/number_span.hpp"

namespace tierkit {

struct profile;

class metric_table {
 public:
  metric_table() = default;

  // Adds a column. Throws schema_error when the name is taken or the length differs from
  // the columns already present.
  void add(std::string name, std::vector<double> values);
  // Adds a column read in place: `rows` doubles at `data`, kept alive by `owner` for as long
  // as the table or a copy of it exists. Same checks as add.
  void add_borrowed(std::string name, const double* data, std::size_t rows, std::shared_ptr<const void> owner);

  // Records that column `name` is left out on purpose: column() then says `why` (how to get
  // it) instead of suggesting other names.
  void note_absent(std::string name, std::string why);
  // The columns noted absent, with why (kept by whoever rebuilds a table from this one).
  const std::vector<std::pair<std::string, std::string>>& absent() const noexcept { return absent_; }

  // The metrics of a profile: recency, tenure (NaN without purchases), frequency,
  // purchase_days, median_gap, last_gap (days between the last two purchase days; these
  // three only when the profile has purchase days, else noted absent), transactions,
  // returns, monetary, gross_sales, returns_value, average_order_value (NaN when frequency
  // is 0), spend_growth (value_potential.hpp; with a spend series, else noted absent), and
  // quantity, channels, categories when the profile has them.
  static metric_table from_profile(const profile& p);

  // Rows [start, start + count) of every column, read in place (the slice shares the
  // columns' owners, so it copies nothing); notes of absent columns carry over. Throws
  // invalid_input when the range runs past the rows.
  metric_table slice(std::size_t start, std::size_t count) const;
  // The named columns only, read in place (sharing their owners), in the listed order; notes
  // of absent columns carry over. Throws schema_error for a name the table lacks.
  metric_table select(const std::vector<std::string>& names) const;
  // The listed rows of every column, in the listed order (a copy; a row may repeat); notes
  // of absent columns carry over. Throws invalid_input naming the first row out of range.
  metric_table take(const std::vector<std::size_t>& rows) const;

  std::size_t rows() const noexcept { return rows_; }
  const std::vector<std::string>& names() const noexcept { return names_; }
  bool has(const std::string& name) const noexcept;
  // Throws schema_error naming `function`, the column and the closest names.
  number_span column(const std::string& name, const char* function) const;

 private:
  void admit(const std::string& name, std::size_t rows) const;  // throws for a repeat or a length
  std::size_t rows_ = 0;
  std::vector<std::string> names_;
  std::vector<number_span> columns_;
  std::vector<std::shared_ptr<const void>> owners_;  // what keeps each column's values alive
  std::vector<std::pair<std::string, std::string>> absent_;  // (name, why), see note_absent
};

}  // namespace tierkit
