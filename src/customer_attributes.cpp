#include "tierkit/customer_attributes.hpp"

#include <cmath>
#include <cstring>

#include "detail/decode.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/text.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"
#include "detail/int128.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.CustomerAttributes";
constexpr std::int64_t block = 4096;

attribute_column copy_column(const column_view& c, const time_zone& zone) {
  attribute_column out;
  out.name = c.name;
  const auto n = static_cast<std::size_t>(c.length);
  out.valid.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.valid[i] = c.is_valid(static_cast<std::int64_t>(i));
  const data_type t = c.type;
  if (t == data_type::boolean) {
    out.kind = attribute_kind::boolean;
    out.booleans.resize(n);
    const auto* bits = static_cast<const std::uint8_t*>(c.values);
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t b = c.offset + static_cast<std::int64_t>(i);
      out.booleans[i] = (bits[b >> 3] >> (b & 7)) & 1;
    }
  } else if (is_integer(t) && t != data_type::uint64) {
    out.kind = attribute_kind::integer;
    out.integers.resize(n);
    detail::for_each_int(c, 0, c.length,
                         [&](std::int64_t i, std::int64_t v) { out.integers[i] = v; });
  } else if (is_floating(t) || t == data_type::decimal128 || t == data_type::uint64) {
    out.kind = attribute_kind::number;
    out.numbers.resize(n);
    if (is_floating(t)) {
      // Policy: NaN is missing, as pandas writes it.
      for (std::size_t i = 0; i < n; ++i) {
        out.numbers[i] = t == data_type::float64
                             ? detail::typed_values<double>(c)[i]
                             : static_cast<double>(detail::typed_values<float>(c)[i]);
        if (std::isnan(out.numbers[i])) out.valid[i] = 0;
      }
    } else if (t == data_type::uint64) {
      const auto* p = detail::typed_values<std::uint64_t>(c);
      for (std::size_t i = 0; i < n; ++i) out.numbers[i] = static_cast<double>(p[i]);
    } else {
      // Decimals straight to the nearest double: attributes are not summed, so they need no
      // fixed-point grid, whose 128-bit nano-units end near 1.7e29.
      const auto* raw = static_cast<const std::uint8_t*>(c.values);
      for (std::size_t i = 0; i < n; ++i) {
        detail::uint128 u;
        std::memcpy(&u, raw + 16 * (c.offset + static_cast<std::int64_t>(i)), 16);
        out.numbers[i] = detail::decimal_to_double(static_cast<detail::fixed128>(u), c.decimal_scale);
      }
    }
  } else if (is_temporal(t)) {
    out.kind = attribute_kind::day;
    out.days.resize(n);
    std::vector<std::int64_t> tmp(static_cast<std::size_t>(std::min<std::int64_t>(block, c.length)));
    for (std::int64_t b = 0; b < c.length; b += block) {
      const std::int64_t m = std::min(block, c.length - b);
      detail::decode_days(c, b, m, zone, tmp.data());
      for (std::int64_t i = 0; i < m; ++i) {
        const std::int64_t d = tmp[i];
        const bool ok = is_supported_day(d);
        out.days[b + i] = ok ? static_cast<std::int32_t>(d) : no_day;
        if (!ok) out.valid[b + i] = 0;
      }
    }
  } else if (is_string_like(t) ||
             (t == data_type::dictionary && c.dictionary && is_string_like(c.dictionary->type))) {
    out.kind = attribute_kind::text;
    out.offsets.reserve(n + 1);
    out.offsets.push_back(0);
    const column_view ix = t == data_type::dictionary ? detail::dictionary_indices(c) : column_view{};
    for (std::size_t i = 0; i < n; ++i) {
      const auto row = static_cast<std::int64_t>(i);
      if (out.valid[i]) {
        if (t == data_type::dictionary) {
          const std::int64_t k = detail::int_value(ix, row);
          if (k >= 0 && k < c.dictionary->length && c.dictionary->is_valid(k)) {
            out.chars.append(detail::string_value(*c.dictionary, k));
          } else {
            out.valid[i] = 0;
          }
        } else {
          out.chars.append(detail::string_value(c, row));
        }
      }
      out.offsets.push_back(static_cast<std::int64_t>(out.chars.size()));
    }
  } else {
    throw schema_error(std::string(fn) + ": " + c.describe() +
                       " has an unsupported type; expected numbers, integers, strings, "
                       "dates, timestamps or booleans");
  }
  return out;
}
}  // namespace

const char* attribute_kind_name(attribute_kind k) noexcept {
  switch (k) {
    case attribute_kind::number: return "number";
    case attribute_kind::integer: return "integer";
    case attribute_kind::text: return "text";
    case attribute_kind::day: return "day";
    case attribute_kind::boolean: return "boolean";
  }
  return "unknown";
}

struct customer_attributes::impl {
  customer_keys keys;
  detail::key_dictionary index;
  std::vector<attribute_column> columns;
};

customer_attributes::customer_attributes() : impl_(std::make_unique<impl>()) {}
customer_attributes::~customer_attributes() = default;
customer_attributes::customer_attributes(customer_attributes&&) noexcept = default;
customer_attributes& customer_attributes::operator=(customer_attributes&&) noexcept = default;
customer_attributes::customer_attributes(const customer_attributes& o)
    : impl_(std::make_unique<impl>(*o.impl_)) {}
customer_attributes& customer_attributes::operator=(const customer_attributes& o) {
  if (this != &o) impl_ = std::make_unique<impl>(*o.impl_);
  return *this;
}

customer_attributes customer_attributes::from_columns(const column_view& customer,
                                                      const std::vector<column_view>& columns,
                                                      const time_zone& zone) {
  const data_type kt = customer.type == data_type::dictionary && customer.dictionary
                           ? customer.dictionary->type
                           : customer.type;
  if (!((is_integer(kt) && kt != data_type::uint64) || is_string_like(kt))) {
    throw schema_error(std::string(fn) + ": the customer " + customer.describe() +
                       " has an unsupported type; expected integer or string keys");
  }
  const std::int64_t rows = customer.length;
  std::vector<std::string> seen;
  for (const column_view& c : columns) {
    if (c.length != rows) {
      throw schema_error(std::string(fn) + ": " + c.describe() + " has " +
                         detail::rows_text(c.length) + " but the customer column has " +
                         detail::format_count(rows));
    }
    if (c.name == customer.name || std::find(seen.begin(), seen.end(), c.name) != seen.end()) {
      throw schema_error(std::string(fn) + ": column name '" + c.name + "' appears twice");
    }
    seen.push_back(c.name);
  }
  // Keys: none null, none repeated.
  const column_view ix =
      customer.type == data_type::dictionary ? detail::dictionary_indices(customer) : column_view{};
  const column_view* ixp = customer.type == data_type::dictionary ? &ix : nullptr;
  std::int64_t nulls = 0, outside = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    nulls += detail::key_is_null(customer, ixp, r) ? 1 : 0;
    if (ixp != nullptr && customer.is_valid(r)) {
      const std::int64_t k = detail::int_value(ix, r);
      outside += (k < 0 || k >= customer.dictionary->length) ? 1 : 0;
    }
  }
  if (outside > 0) {
    // (Arrow promises indices within the dictionary; an array built unchecked may break it.)
    throw invalid_input(std::string(fn) + ": the customer " + customer.describe() + " has " +
                        detail::rows_text(outside) + " whose dictionary index is outside its " +
                        detail::format_count(customer.dictionary->length) + " values");
  }
  if (nulls > 0) {
    throw invalid_input(std::string(fn) + ": the customer " + customer.describe() + " has " +
                        detail::rows_text(nulls) + " with a null key; every attribute row "
                        "needs its customer");
  }
  customer_attributes out;
  impl& s = *out.impl_;
  std::vector<std::uint32_t> dense(static_cast<std::size_t>(rows));
  std::vector<std::uint8_t> none(static_cast<std::size_t>(rows), 0);
  if (rows > 0) {
    detail::key_encoder enc(customer, s.index, "customer");
    enc.encode(0, rows, none.data(), dense.data());
  }
  if (static_cast<std::int64_t>(s.index.size()) != rows) {
    // Point at the first repeat by its row numbers (1-based), not by the key: messages may be
    // logged or shown where customer ids must not go.
    std::vector<std::int64_t> first_row(s.index.size(), -1);
    std::int64_t repeat_row = -1, earlier_row = -1;
    for (std::int64_t r = 0; r < rows && repeat_row < 0; ++r) {
      std::int64_t& seen = first_row[dense[static_cast<std::size_t>(r)]];
      if (seen >= 0) {
        repeat_row = r;
        earlier_row = seen;
      } else {
        seen = r;
      }
    }
    throw invalid_input(std::string(fn) + ": the customer " + customer.describe() + " has " +
                        detail::rows_text(rows - static_cast<std::int64_t>(s.index.size())) +
                        " repeating an earlier key (first: row " + std::to_string(repeat_row + 1) +
                        " repeats row " + std::to_string(earlier_row + 1) +
                        "); attributes need one row per customer");
  }
  s.keys.is_string = s.index.key_kind() == detail::key_dictionary::kind::string;
  if (s.keys.is_string) {
    s.keys.offsets.push_back(0);
    for (std::uint32_t r = 0; r < s.index.size(); ++r) {
      s.keys.chars.append(s.index.string_at(r));
      s.keys.offsets.push_back(static_cast<std::int64_t>(s.keys.chars.size()));
    }
  } else {
    s.keys.ints = s.index.ints();
  }
  for (const column_view& c : columns) s.columns.push_back(copy_column(c, zone));
  return out;
}

std::size_t customer_attributes::size() const noexcept { return impl_->keys.size(); }
const customer_keys& customer_attributes::keys() const noexcept { return impl_->keys; }
const std::vector<attribute_column>& customer_attributes::columns() const noexcept {
  return impl_->columns;
}

bool customer_attributes::has_column(const std::string& name) const noexcept {
  for (const attribute_column& c : impl_->columns) {
    if (c.name == name) return true;
  }
  return false;
}

const attribute_column& customer_attributes::column(const std::string& name) const {
  std::vector<std::string> names;
  for (const attribute_column& c : impl_->columns) {
    if (c.name == name) return c;
    names.push_back(c.name);
  }
  throw schema_error(std::string(fn) + ": no attribute column '" + name + "'" +
                     detail::suggest_names(name, names));
}

std::vector<std::int64_t> customer_attributes::rows_of(const customer_keys& keys) const {
  const impl& s = *impl_;
  std::vector<std::int64_t> rows(keys.size(), -1);
  if (s.keys.size() == 0 || keys.size() == 0) return rows;
  if (keys.is_string != s.keys.is_string) {
    throw schema_error(std::string(fn) + ": attributes have " +
                       (s.keys.is_string ? "string" : "integer") + " customer keys but the " +
                       "profile has " + (keys.is_string ? "string" : "integer") + " keys");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint32_t r = keys.is_string ? s.index.find(keys.string_at(i))
                                           : s.index.find(keys.ints[i]);
    if (r != detail::key_dictionary::no_index) rows[i] = r;
  }
  return rows;
}

}  // namespace tierkit
