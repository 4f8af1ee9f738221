#include "tierkit/column.hpp"

namespace tierkit {

const char* type_name(data_type t) {
  switch (t) {
    case data_type::boolean: return "bool";
    case data_type::int8: return "int8";
    case data_type::int16: return "int16";
    case data_type::int32: return "int32";
    case data_type::int64: return "int64";
    case data_type::uint8: return "uint8";
    case data_type::uint16: return "uint16";
    case data_type::uint32: return "uint32";
    case data_type::uint64: return "uint64";
    case data_type::float32: return "float32";
    case data_type::float64: return "float64";
    case data_type::decimal128: return "decimal128";
    case data_type::date32: return "date32";
    case data_type::date64: return "date64";
    case data_type::timestamp: return "timestamp";
    case data_type::utf8: return "utf8";
    case data_type::large_utf8: return "large_utf8";
    case data_type::utf8_view: return "utf8_view";
    case data_type::string_views: return "string_views";
    case data_type::dictionary: return "dictionary";
  }
  return "unknown";
}

bool is_integer(data_type t) noexcept {
  switch (t) {
    case data_type::int8: case data_type::int16: case data_type::int32: case data_type::int64:
    case data_type::uint8: case data_type::uint16: case data_type::uint32: case data_type::uint64:
      return true;
    default:
      return false;
  }
}

bool is_floating(data_type t) noexcept {
  return t == data_type::float32 || t == data_type::float64;
}

bool is_string_like(data_type t) noexcept {
  return t == data_type::utf8 || t == data_type::large_utf8 || t == data_type::utf8_view ||
         t == data_type::string_views;
}

bool is_temporal(data_type t) noexcept {
  return t == data_type::date32 || t == data_type::date64 || t == data_type::timestamp;
}

std::int64_t column_view::null_count() const noexcept {
  if (validity == nullptr) return 0;
  std::int64_t valid = 0;
  for (std::int64_t i = 0; i < length; ++i) valid += is_valid(i) ? 1 : 0;
  return length - valid;
}

std::string column_view::describe() const {
  std::string s = "column '" + name + "' (";
  if (type == data_type::dictionary && dictionary) {
    s += std::string("dictionary<") + type_name(index_type) + ", " +
         type_name(dictionary->type) + ">";
  } else if (type == data_type::timestamp) {
    static const char* units[] = {"s", "ms", "us", "ns"};
    s += std::string("timestamp[") + units[static_cast<int>(unit)] +
         (time_zone_aware ? ", " + (time_zone_name.empty() ? std::string("UTC") : time_zone_name)
                          : std::string()) +
         "]";
  } else if (type == data_type::decimal128) {
    s += "decimal128(scale " + std::to_string(decimal_scale) + ")";
  } else {
    s += type_name(type);
  }
  return s + ")";
}

namespace {
column_view make(std::string name, data_type t, const void* data, std::size_t n,
                 const std::uint8_t* validity) {
  column_view c;
  c.name = std::move(name);
  c.type = t;
  c.length = static_cast<std::int64_t>(n);
  c.values = data;
  c.validity = validity;
  return c;
}
}  // namespace

column_view int32_column(std::string name, const std::int32_t* data, std::size_t n,
                         const std::uint8_t* validity) {
  return make(std::move(name), data_type::int32, data, n, validity);
}
column_view int64_column(std::string name, const std::int64_t* data, std::size_t n,
                         const std::uint8_t* validity) {
  return make(std::move(name), data_type::int64, data, n, validity);
}
column_view float64_column(std::string name, const double* data, std::size_t n,
                           const std::uint8_t* validity) {
  return make(std::move(name), data_type::float64, data, n, validity);
}
column_view float32_column(std::string name, const float* data, std::size_t n,
                           const std::uint8_t* validity) {
  return make(std::move(name), data_type::float32, data, n, validity);
}
column_view day_column(std::string name, const std::int32_t* days, std::size_t n,
                       const std::uint8_t* validity) {
  return make(std::move(name), data_type::date32, days, n, validity);
}
column_view timestamp_column(std::string name, const std::int64_t* data, std::size_t n,
                             time_unit unit, bool utc_instants, const std::uint8_t* validity) {
  column_view c = make(std::move(name), data_type::timestamp, data, n, validity);
  c.unit = unit;
  c.time_zone_aware = utc_instants;
  return c;
}
column_view string_column(std::string name, const std::string_view* data, std::size_t n,
                          const std::uint8_t* validity) {
  return make(std::move(name), data_type::string_views, data, n, validity);
}

}  // namespace tierkit
