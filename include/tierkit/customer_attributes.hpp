#pragma once
// customer_attributes: typed columns keyed by customer (assets, age, card level, region,
// account-opening date, ...), the input of strategies that look beyond transactions.
//
// Policies: keys must be present and unique (a null or repeated key is invalid input and is
// reported with its row count); values may be null (a missing age stays missing: the
// strategy that uses a column states what it does with nulls). Values are copied and owned:
// attribute tables are one row per customer, small next to transactions.
// Column kinds: number (floats and decimals, as double; NaN counts as null), integer (int8..int64, uint8..uint32),
// text (strings, dictionaries of strings), day (date32, date64, timestamps: calendar days,
// UTC instants in the given time zone), boolean.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/column.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"

namespace tierkit {

enum class attribute_kind : std::uint8_t { number, integer, text, day, boolean };
const char* attribute_kind_name(attribute_kind k) noexcept;

struct attribute_column {
  std::string name;
  attribute_kind kind = attribute_kind::number;
  std::vector<double> numbers;        // number
  std::vector<std::int64_t> integers; // integer
  std::vector<std::int32_t> days;     // day
  std::vector<std::uint8_t> booleans; // boolean (0/1)
  std::vector<std::int64_t> offsets;  // text: size() + 1 offsets into chars
  std::string chars;                  // text
  std::vector<std::uint8_t> valid;    // 1 = present, 0 = null; one per row

  std::size_t size() const noexcept { return valid.size(); }
  bool is_valid(std::size_t row) const noexcept { return valid[row] != 0; }
  std::string_view text_at(std::size_t row) const noexcept {
    return std::string_view(chars.data() + offsets[row],
                            static_cast<std::size_t>(offsets[row + 1] - offsets[row]));
  }
};

class customer_attributes {
 public:
  customer_attributes();
  ~customer_attributes();
  customer_attributes(customer_attributes&&) noexcept;
  customer_attributes& operator=(customer_attributes&&) noexcept;
  customer_attributes(const customer_attributes&);
  customer_attributes& operator=(const customer_attributes&);

  // Copies and checks the columns. Throws schema_error for unsupported types, unequal
  // lengths or repeated column names, invalid_input for null or duplicate keys.
  static customer_attributes from_columns(const column_view& customer,
                                          const std::vector<column_view>& columns,
                                          const time_zone& zone = time_zone());

  std::size_t size() const noexcept;
  const customer_keys& keys() const noexcept;
  const std::vector<attribute_column>& columns() const noexcept;
  // Throws schema_error naming the missing column and the closest names.
  const attribute_column& column(const std::string& name) const;
  bool has_column(const std::string& name) const noexcept;

  // For each key of `keys`, its row here, or -1 when the customer has no attributes.
  // Throws schema_error when one side has integer keys and the other string keys.
  std::vector<std::int64_t> rows_of(const customer_keys& keys) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tierkit
