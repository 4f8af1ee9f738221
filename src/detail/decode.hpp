#pragma once
// Typed readers over column_view: turn any accepted input type into the normalized values
// the kernels use (int64 keys or string_view keys, day numbers, fixed-point amounts).
// The switch on the type sits outside each loop, so every loop is a tight typed loop.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "detail/fixed_point.hpp"
#include "detail/key_dictionary.hpp"
#include "tierkit/column.hpp"
#include "tierkit/time_zone.hpp"

namespace tierkit::detail {

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

template <class T>
inline const T* typed_values(const column_view& c) noexcept {
  return static_cast<const T*>(c.values) + c.offset;
}

// Calls f(p) with a pointer to the first value of an integer column, typed as stored
// (past c.offset). Nothing happens for other types.
template <class F>
void with_int_values(const column_view& c, F&& f) {
  switch (c.type) {
    case data_type::int8: f(typed_values<std::int8_t>(c)); break;
    case data_type::int16: f(typed_values<std::int16_t>(c)); break;
    case data_type::int32: f(typed_values<std::int32_t>(c)); break;
    case data_type::int64: f(typed_values<std::int64_t>(c)); break;
    case data_type::uint8: f(typed_values<std::uint8_t>(c)); break;
    case data_type::uint16: f(typed_values<std::uint16_t>(c)); break;
    case data_type::uint32: f(typed_values<std::uint32_t>(c)); break;
    case data_type::uint64: f(typed_values<std::uint64_t>(c)); break;
    default: break;
  }
}

// Calls f(i, int64 value) for rows begin..begin+n of an integer column (i counts from 0).
template <class F>
void for_each_int(const column_view& c, std::int64_t begin, std::int64_t n, F&& f) {
  with_int_values(c, [&](const auto* p) {
    p += begin;
    for (std::int64_t i = 0; i < n; ++i) f(i, static_cast<std::int64_t>(p[i]));
  });
}

// The string at row `row` (absolute within the view, before c.offset) of a string column.
inline std::string_view string_value(const column_view& c, std::int64_t row) noexcept {
  const std::int64_t r = c.offset + row;
  switch (c.type) {
    case data_type::utf8: {
      const auto* o = static_cast<const std::int32_t*>(c.values);
      return std::string_view(c.chars + o[r], static_cast<std::size_t>(o[r + 1] - o[r]));
    }
    case data_type::large_utf8: {
      const auto* o = static_cast<const std::int64_t*>(c.values);
      return std::string_view(c.chars + o[r], static_cast<std::size_t>(o[r + 1] - o[r]));
    }
    case data_type::utf8_view: {
      const auto* v = static_cast<const std::uint8_t*>(c.values) + 16 * r;
      std::int32_t len;
      std::memcpy(&len, v, 4);
      if (len <= 12) return std::string_view(reinterpret_cast<const char*>(v + 4), len);
      std::int32_t buffer, off;
      std::memcpy(&buffer, v + 8, 4);
      std::memcpy(&off, v + 12, 4);
      return std::string_view(c.variadic[static_cast<std::size_t>(buffer)] + off, len);
    }
    case data_type::string_views:
      return static_cast<const std::string_view*>(c.values)[r];
    default:
      return {};
  }
}

inline std::int64_t int_value(const column_view& c, std::int64_t row) noexcept {
  std::int64_t out = 0;
  for_each_int(c, row, 1, [&](std::int64_t, std::int64_t v) { out = v; });
  return out;
}

// The view of a dictionary column's indices as an integer column.
column_view dictionary_indices(const column_view& c);

// True when the key at `row` is null: a null slot, or a dictionary index whose value is
// null. Out-of-range dictionary indices are reported separately by validation.
bool key_is_null(const column_view& c, const column_view* indices, std::int64_t row) noexcept;

// Encodes keys of one column into a key_dictionary, rows begin..begin+n; rows with
// skip[i] != 0 are not read (their output is left unchanged).
class key_encoder {
 public:
  key_encoder(const column_view& c, key_dictionary& dict, const char* role);
  void encode(std::int64_t begin, std::int64_t n, const std::uint8_t* skip, std::uint32_t* out);

 private:
  std::uint32_t dictionary_value(std::int64_t k);

  const column_view& column_;
  key_dictionary& dict_;
  column_view indices_;                   // when the column is a dictionary
  std::vector<std::uint32_t> cache_;      // dictionary index -> key index, lazily filled
  bool dictionary_ = false;
  bool strings_ = false;
};

// True when rows a and b of a key column hold the same key (neither may be null).
inline bool same_key(const column_view& c, std::int64_t a, std::int64_t b) noexcept {
  if (c.type == data_type::dictionary) {
    const column_view ix = [&] {
      column_view v;
      v.type = c.index_type;
      v.values = c.values;
      v.offset = c.offset;
      return v;
    }();
    return int_value(ix, a) == int_value(ix, b);
  }
  if (is_string_like(c.type)) return string_value(c, a) == string_value(c, b);
  return int_value(c, a) == int_value(c, b);
}

// Read-only lookups of a key column in a dictionary, safe on several threads at once (as
// long as nobody inserts meanwhile); keys not yet in the dictionary come back as no_index
// and are inserted afterwards, one row at a time, by insert().
class key_lookup {
 public:
  key_lookup(const column_view& c, const key_dictionary& dict, const char* role);
  // out[i] = the key's index, or no_index when the dictionary does not hold it yet; for
  // rows with skip[i] set, out[i] is unspecified.
  void find(std::int64_t begin, std::int64_t n, const std::uint8_t* skip, std::uint32_t* out) const;
  // Inserts the key of `row` (relative to the column) into `dict` (any dictionary of the
  // same kind: the shared one, or a thread's own) and returns its index there. Touches no
  // state of the lookup, so threads may call it at once with their own dictionaries.
  std::uint32_t insert(std::int64_t row, key_dictionary& dict) const;
  // For the rows of [begin, begin + n) that find() left at no_index (and skip[i] == 0):
  // inserts their keys into `dict` in row order and sets local[i] to the index there. Keys
  // are hashed and their slots prefetched first, so the inserts overlap their cache misses.
  void insert_missing(std::int64_t begin, std::int64_t n, const std::uint8_t* skip,
                      const std::uint32_t* found, std::uint32_t* local, key_dictionary& dict) const;

 private:
  const column_view& column_;
  const key_dictionary& dict_;
  column_view indices_;
  std::vector<std::uint32_t> mapped_;  // dictionary column: value index -> key index
  bool dictionary_ = false;
  bool strings_ = false;
};

// Integer values of an optional key-like column (order, channel, category) as int64, as
// they are (dictionaries of integers resolved to their values). Text values get codes from
// a text_value_dictionary instead (detail/text_values.hpp).
class value_encoder {
 public:
  explicit value_encoder(const column_view& c);
  void encode(std::int64_t begin, std::int64_t n, const std::uint8_t* skip, std::int64_t* out);

 private:
  const column_view& column_;
  column_view indices_;
  bool dictionary_ = false;
};

// True when the column (or its dictionary values) holds strings.
inline bool holds_strings(const column_view& c) noexcept {
  return is_string_like(c.type == data_type::dictionary && c.dictionary ? c.dictionary->type
                                                                         : c.type);
}

// Day numbers (days since 1970-01-01) of rows begin..begin+n; null rows give 0.
// UTC-instant timestamps go through `zone`; dates and wall-clock timestamps are not shifted.
void decode_days(const column_view& c, std::int64_t begin, std::int64_t n, const time_zone& zone,
                 std::int64_t* out);

// Fixed-point values of a numeric column, rows begin..begin+n; null or non-finite rows give 0.
void decode_fixed(const column_view& c, std::int64_t begin, std::int64_t n, fixed128* out);

// The double nearest to the decimal unscaled * 10^-scale (correctly rounded, for every
// 128-bit unscaled value and every scale; beyond the range of doubles, +-infinity).
double decimal_to_double(fixed128 unscaled, int scale) noexcept;

// Magnitude check for validation: true when the value at `row` is finite and < 2^60
// (decimals compared exactly, in integers).
// Also sets *nan / *inf for floating columns.
enum class number_state : std::uint8_t { ok, nan, infinite, out_of_range };
void classify_numbers(const column_view& c, std::int64_t begin, std::int64_t n,
                      number_state* out);

}  // namespace tierkit::detail
