#pragma once
// column_view: a non-owning view of one column, laid out as in the Arrow columnar format.
//
// tierkit reads input in place: a column_view points at the caller's buffers (Arrow
// arrays imported through the C data interface, numpy arrays, or plain C++ arrays) and
// never copies them. The caller keeps the buffers alive while tierkit works on them.
//
// C++ callers build views with the factory functions at the end of this header, e.g.
//   auto c = tierkit::int64_column("customer", ids.data(), ids.size());
// Nulls follow Arrow: an optional validity bitmap, least significant bit first, where a
// set bit means "valid"; a null bitmap pointer means "no nulls".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tierkit {

enum class data_type : std::uint8_t {
  boolean,
  int8,
  int16,
  int32,
  int64,
  uint8,
  uint16,
  uint32,
  uint64,
  float32,
  float64,
  decimal128,    // 16-byte two's complement unscaled values; value = unscaled * 10^-scale
  date32,        // days since 1970-01-01
  date64,        // milliseconds since 1970-01-01 (whole days)
  timestamp,     // int64 counts of `unit` since 1970-01-01T00:00:00
  utf8,          // int32 offsets + characters
  large_utf8,    // int64 offsets + characters
  utf8_view,     // Arrow string view: 16-byte views + variadic character buffers
  string_views,  // C++ only: an array of std::string_view
  dictionary,    // integer indices (index_type) into `dictionary`
};

enum class time_unit : std::uint8_t { second, milli, micro, nano };

// Name of a data type as users see it in error messages ("int64", "utf8", ...).
const char* type_name(data_type t);

struct column_view {
  std::string name;                    // column name, used in every error message
  data_type type = data_type::int64;
  std::int64_t length = 0;             // number of rows
  std::int64_t offset = 0;             // Arrow logical offset into every buffer
  const std::uint8_t* validity = nullptr;  // LSB-first validity bitmap; nullptr = no nulls
  const void* values = nullptr;        // fixed-width values, string offsets, string views,
                                       // dictionary indices, or std::string_view array
  const char* chars = nullptr;         // utf8 / large_utf8 character data
  std::vector<const char*> variadic;   // utf8_view character buffers
  time_unit unit = time_unit::second;  // timestamp unit
  bool time_zone_aware = false;        // timestamp holds UTC instants (Arrow type has a tz)
  std::string time_zone_name;          // the zone the Arrow type names, for reports only
  std::int32_t decimal_scale = 0;      // decimal128 scale
  data_type index_type = data_type::int32;      // dictionary index type
  std::shared_ptr<const column_view> dictionary;  // dictionary values

  bool is_valid(std::int64_t row) const noexcept {
    if (validity == nullptr) return true;
    const std::int64_t bit = offset + row;
    return (validity[bit >> 3] >> (bit & 7)) & 1;
  }
  bool may_have_nulls() const noexcept { return validity != nullptr; }
  // Number of null rows (counts bits; O(rows / 8)).
  std::int64_t null_count() const noexcept;
  // A description for messages, e.g. "column 'amount' (float64)".
  std::string describe() const;
};

// Kinds of data by what they can stand for.
bool is_integer(data_type t) noexcept;
bool is_floating(data_type t) noexcept;
bool is_string_like(data_type t) noexcept;  // utf8, large_utf8, utf8_view, string_views
bool is_temporal(data_type t) noexcept;     // date32, date64, timestamp

// --- factories for C++ callers -------------------------------------------------------------
// `validity` is an optional LSB-first bitmap (1 = valid), as in Arrow.
column_view int32_column(std::string name, const std::int32_t* data, std::size_t n,
                         const std::uint8_t* validity = nullptr);
column_view int64_column(std::string name, const std::int64_t* data, std::size_t n,
                         const std::uint8_t* validity = nullptr);
column_view float64_column(std::string name, const double* data, std::size_t n,
                           const std::uint8_t* validity = nullptr);
column_view float32_column(std::string name, const float* data, std::size_t n,
                           const std::uint8_t* validity = nullptr);
// Calendar days since 1970-01-01 (Arrow date32). Days are taken as they are: no time zone.
column_view day_column(std::string name, const std::int32_t* days, std::size_t n,
                       const std::uint8_t* validity = nullptr);
// Timestamps as counts of `unit` since the epoch. `utc_instants` = true when the values are
// UTC instants (converted to days in the profile's time zone); false for wall-clock times,
// which are cut into days as they are.
column_view timestamp_column(std::string name, const std::int64_t* data, std::size_t n,
                             time_unit unit, bool utc_instants,
                             const std::uint8_t* validity = nullptr);
column_view string_column(std::string name, const std::string_view* data, std::size_t n,
                          const std::uint8_t* validity = nullptr);

}  // namespace tierkit
