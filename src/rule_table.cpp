#include "tierkit/expression.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/decode.hpp"
#include "detail/rule_evaluator.hpp"
#include "detail/text.hpp"
#include "tierkit/column.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

const char* value_kind_name(value_kind k) noexcept { return k == value_kind::number ? "number" : "text"; }

void rule_table::admit(const std::string& name, std::size_t n) const {
  if (find(name)) throw schema_error("tierkit.rule_table: column '" + name + "' appears twice");
  if ((rows_fixed_ || !columns_.empty()) && n != rows_) {
    throw schema_error("tierkit.rule_table: column '" + name + "' has " +
                       detail::rows_text(static_cast<std::int64_t>(n)) + " but the table has " +
                       detail::format_count(static_cast<std::int64_t>(rows_)));
  }
}

void rule_table::add_numbers(std::string name, std::vector<double> values) {
  rule_column c;
  c.name = std::move(name);
  c.kind = value_kind::number;
  c.numbers = std::move(values);
  admit(c.name, c.numbers.size());
  rows_ = c.numbers.size();
  columns_.push_back(std::move(c));
}

void rule_table::add_text(std::string name, std::vector<std::int32_t> codes, std::vector<std::string> labels) {
  rule_column c;
  c.name = std::move(name);
  c.kind = value_kind::text;
  c.codes = std::move(codes);
  c.labels = std::move(labels);
  admit(c.name, c.codes.size());
  for (std::int32_t k : c.codes) {
    if (k < -1 || k >= static_cast<std::int32_t>(c.labels.size())) {
      throw schema_error("tierkit.rule_table: column '" + c.name + "' has a code outside its labels");
    }
  }
  rows_ = c.codes.size();
  columns_.push_back(std::move(c));
}

namespace {
// The kind of a borrowed column (and a dictionary's labels), checked: throws schema_error
// for types rules cannot read and for dictionary indices out of range.
value_kind borrowed_kind(const column_view& column, std::vector<std::string>* labels) {
  const data_type t = column.type;
  if (detail::holds_strings(column)) {
    if (t == data_type::dictionary) {
      const column_view& d = *column.dictionary;
      labels->reserve(static_cast<std::size_t>(d.length));
      for (std::int64_t k = 0; k < d.length; ++k) labels->emplace_back(detail::string_value(d, k));
      const column_view ix = detail::dictionary_indices(column);
      std::int64_t bad = 0;
      detail::for_each_int(ix, 0, ix.length, [&](std::int64_t i, std::int64_t k) {
        if (column.is_valid(i) && (k < 0 || k >= d.length || !d.is_valid(k))) ++bad;
      });
      if (bad > 0) {
        throw schema_error("tierkit.rule_table: column '" + column.name + "' has " +
                           detail::rows_text(bad) + " with a dictionary index that is out of range or null");
      }
    }
    return value_kind::text;
  }
  if (is_integer(t) || is_floating(t) || t == data_type::boolean || t == data_type::date32) return value_kind::number;
  throw schema_error("tierkit.rule_table: " + column.describe() +
                     " cannot be read by rules; give numbers, booleans, date32 days or text");
}
}  // namespace

void rule_table::add_column(const column_view& column) {
  add_column(std::make_shared<const column_view>(column));
}

void rule_table::add_column(std::shared_ptr<const column_view> column) {
  rule_column c;
  c.name = column->name;
  c.kind = borrowed_kind(*column, &c.labels);
  admit(c.name, static_cast<std::size_t>(column->length));
  rows_ = static_cast<std::size_t>(column->length);
  c.view = std::move(column);
  columns_.push_back(std::move(c));
}

void rule_table::add_column(const std::string& name, const std::vector<column_view>& pieces) {
  std::vector<column_view> kept;  // empty pieces hold no rows and start nowhere
  for (const column_view& p : pieces) {
    if (p.length > 0) kept.push_back(p);
  }
  if (kept.size() <= 1) {
    column_view one = kept.empty() ? (pieces.empty() ? column_view{} : pieces.front()) : kept.front();
    if (pieces.empty()) one.type = data_type::float64;  // no pieces: an empty number column
    one.name = name;
    add_column(one);
    return;
  }
  rule_column c;
  c.name = name;
  c.piece_starts.push_back(0);
  for (column_view& p : kept) {
    p.name = name;
    if (p.type != kept.front().type || p.type == data_type::dictionary) {
      throw schema_error("tierkit.rule_table: column '" + name + "' comes in pieces of " +
                         (p.type == data_type::dictionary ? std::string("dictionaries; combine them into one first")
                                                          : "different types (" + kept.front().describe() + ", " +
                                                                p.describe() + ")"));
    }
    c.kind = borrowed_kind(p, &c.labels);
    c.piece_starts.push_back(c.piece_starts.back() + static_cast<std::size_t>(p.length));
  }
  c.pieces = std::move(kept);
  const std::size_t n = c.piece_starts.back();
  admit(c.name, n);
  for (std::size_t k = 1; k + 1 < c.piece_starts.size(); ++k) piece_bounds_.push_back(c.piece_starts[k]);
  std::sort(piece_bounds_.begin(), piece_bounds_.end());
  piece_bounds_.erase(std::unique(piece_bounds_.begin(), piece_bounds_.end()), piece_bounds_.end());
  rows_ = n;
  columns_.push_back(std::move(c));
}

const column_view* rule_column::view_at(std::size_t row, std::size_t& first) const noexcept {
  first = 0;
  if (pieces.empty()) return view.get();
  const std::size_t k = static_cast<std::size_t>(
      std::upper_bound(piece_starts.begin() + 1, piece_starts.end() - 1, row) - (piece_starts.begin() + 1));
  first = piece_starts[k];
  return &pieces[k];
}

bool rule_column::is_null(std::size_t row) const noexcept {
  std::size_t first = 0;
  if (const column_view* v = view_at(row, first)) {
    if (!v->is_valid(static_cast<std::int64_t>(row - first))) return true;
    return kind == value_kind::number && std::isnan(number_at(row));
  }
  return kind == value_kind::text ? codes[row] < 0 : std::isnan(numbers[row]);
}

double rule_column::number_at(std::size_t row) const noexcept { return detail::number_at(*this, row); }

std::string_view rule_column::text_at(std::size_t row) const noexcept {
  std::size_t first = 0;
  const column_view* v = view_at(row, first);
  if (v && v->type != data_type::dictionary) return detail::string_value(*v, static_cast<std::int64_t>(row - first));
  return labels[static_cast<std::size_t>(detail::code_at(*this, row))];
}

const rule_column* rule_table::find(const std::string& name) const noexcept {
  for (const rule_column& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> rule_table::names() const {
  std::vector<std::string> out;
  for (const rule_column& c : columns_) out.push_back(c.name);
  return out;
}

}  // namespace tierkit
