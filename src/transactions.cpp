#include "tierkit/transactions.hpp"

#include <limits>

#include "detail/enum_names.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
constexpr detail::enum_table<invalid_policy, 2> invalid_policies{
    {{invalid_policy::raise, "raise"}, {invalid_policy::drop, "drop"}}};
}  // namespace

invalid_policy parse_invalid_policy(const std::string& name) {
  return invalid_policies.parse(name, "tierkit: on_invalid");
}

const char* invalid_policy_name(invalid_policy p) noexcept { return invalid_policies.name(p); }

namespace {

enum class role_kind { key, time, number };

bool accepts(role_kind role, const column_view& c) {
  data_type t = c.type;
  if (t == data_type::dictionary) {
    if (role != role_kind::key || !c.dictionary || !is_integer(c.index_type)) return false;
    t = c.dictionary->type;
    return (is_integer(t) && t != data_type::uint64) || is_string_like(t);
  }
  switch (role) {
    case role_kind::key: return (is_integer(t) && t != data_type::uint64) || is_string_like(t);
    case role_kind::time: return is_temporal(t);
    case role_kind::number:
      return is_integer(t) || is_floating(t) || t == data_type::decimal128;
  }
  return false;
}

const char* expected(role_kind role) {
  switch (role) {
    case role_kind::key:
      return "an integer (int8..int64, uint8..uint32) or string (utf8, large_utf8, "
             "utf8_view) column, or a dictionary of either";
    case role_kind::time: return "a date32, date64 or timestamp column";
    case role_kind::number: return "an integer, float32, float64 or decimal128 column";
  }
  return "";
}

void check_role(const char* function, const char* role, role_kind kind, const column_view& c,
                std::int64_t rows) {
  if (!accepts(kind, c)) {
    throw schema_error(std::string(function) + ": the " + role + " " + c.describe() +
                       " has an unsupported type; expected " + expected(kind));
  }
  if (c.length != rows) {
    throw schema_error(std::string(function) + ": the " + role + " " + c.describe() + " has " +
                       detail::rows_text(c.length) + " but the customer column has " +
                       detail::format_count(rows) + "; every column must have the same length");
  }
  if (c.length > 0 && c.values == nullptr) {
    throw schema_error(std::string(function) + ": the " + role + " " + c.describe() +
                       " has no data buffer");
  }
}

}  // namespace

void transactions::check_schema(const char* function) const {
  const std::int64_t n = customer.length;
  check_role(function, "customer", role_kind::key, customer, n);
  check_role(function, "time", role_kind::time, time, n);
  check_role(function, "amount", role_kind::number, amount, n);
  if (order) check_role(function, "order", role_kind::key, *order, n);
  if (quantity) check_role(function, "quantity", role_kind::number, *quantity, n);
  if (channel) check_role(function, "channel", role_kind::key, *channel, n);
  if (category) check_role(function, "category", role_kind::key, *category, n);
}

namespace {

// Counts from real rows stay far below 2^63; a report read from crafted bytes may hold any
// value, and merging such reports must not overflow (undefined behaviour): the sum
// saturates instead.
void add_count(std::int64_t& to, std::int64_t add) noexcept {
  if (__builtin_add_overflow(to, add, &to)) {
    to = add > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
}

}  // namespace

void validation_report::merge(const validation_report& other) {
  add_count(rows_read, other.rows_read);
  add_count(rows_used, other.rows_used);
  add_count(rows_dropped, other.rows_dropped);
  add_count(rows_outside_window, other.rows_outside_window);
  for (const row_issue& o : other.dropped) {
    bool found = false;
    for (row_issue& i : dropped) {
      if (i.column == o.column && i.problem == o.problem) {
        add_count(i.rows, o.rows);
        found = true;
        break;
      }
    }
    if (!found) dropped.push_back(o);
  }
}

}  // namespace tierkit
