#include "arrow_c_import.hpp"

#include <cstdint>
#include <memory>

#include "tierkit/error.hpp"

namespace tierkit::python {

namespace {

// A readable name for Arrow format strings tierkit does not read.
std::string format_description(const std::string& f) {
  static const struct { const char* prefix; const char* name; } names[] = {
      {"+l", "list"}, {"+L", "large_list"}, {"+vl", "list_view"}, {"+w", "fixed_size_list"},
      {"+s", "struct"}, {"+m", "map"}, {"+u", "union"}, {"+r", "run_end_encoded"},
      {"n", "null"}, {"z", "binary"}, {"Z", "large_binary"}, {"vz", "binary_view"},
      {"w:", "fixed_size_binary"}, {"e", "float16"}, {"tt", "time of day"},
      {"tD", "duration"}, {"ti", "interval"}, {"d:", "decimal256"}};
  for (const auto& n : names) {
    if (f.rfind(n.prefix, 0) == 0) return std::string(n.name) + " (Arrow format '" + f + "')";
  }
  return "Arrow format '" + f + "'";
}

[[noreturn]] void unsupported(const std::string& name, const std::string& format) {
  throw schema_error("tierkit: column '" + name + "' has type " + format_description(format) +
                     ", which tierkit does not read; supported: integers, float32, float64, "
                     "decimal128, bool, date32, date64, timestamps, utf8, large_utf8, "
                     "utf8_view and dictionaries of these");
}

[[noreturn]] void malformed(const std::string& name, const std::string& why) {
  throw schema_error("tierkit: column '" + name + "' is not a valid Arrow array: " + why);
}

// A whole decimal number within [lo, hi] from `s` (digits with an optional '-'), or false.
bool parse_int(const std::string& s, long lo, long hi, int& out) {
  if (s.empty() || s.size() > 11) return false;
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  if (s[0] == '-') v = -v;
  if (v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

// Buffers a layout needs, at least (the array may say more only for string views).
void need_buffers(const ArrowArray& a, std::int64_t n, const std::string& name) {
  if (a.n_buffers < n || (a.n_buffers > 0 && a.buffers == nullptr)) {
    malformed(name, "it has " + std::to_string(a.n_buffers) + " buffers where its type needs " +
                        std::to_string(n));
  }
  // A buffer may be missing only when the array has no rows (or for the validity bitmap).
  for (std::int64_t i = 1; i < n; ++i) {
    if (a.buffers[i] == nullptr && a.length > 0) {
      malformed(name, "buffer " + std::to_string(i) + " is missing");
    }
  }
}

void fill(column_view& c, const ArrowSchema& s, const ArrowArray& a, const std::string& name,
          bool in_dictionary) {
  if (s.format == nullptr) malformed(name, "its schema has no format");
  const std::string f = s.format;
  if (a.length < 0 || a.offset < 0 || a.null_count < -1) {
    malformed(name, "a negative length, offset or null count");
  }
  c.name = name;
  c.length = a.length;
  c.offset = a.offset;
  const void* const* buf = a.buffers;
  c.validity = (a.null_count != 0 && a.n_buffers > 0 && buf != nullptr)
                   ? static_cast<const std::uint8_t*>(buf[0])
                   : nullptr;
  if (s.dictionary != nullptr || a.dictionary != nullptr) {
    static const struct { const char* f; data_type t; } index_types[] = {
        {"c", data_type::int8},   {"C", data_type::uint8},  {"s", data_type::int16},
        {"S", data_type::uint16}, {"i", data_type::int32},  {"I", data_type::uint32},
        {"l", data_type::int64},  {"L", data_type::uint64}};
    bool found = false;
    for (const auto& it : index_types) {
      if (f == it.f) {
        c.index_type = it.t;
        found = true;
      }
    }
    if (!found) unsupported(name, f);
    if (s.dictionary == nullptr || a.dictionary == nullptr) {
      malformed(name, "a dictionary on one side of the schema and the array only");
    }
    if (in_dictionary) unsupported(name, "a dictionary of dictionaries");
    need_buffers(a, 2, name);
    c.type = data_type::dictionary;
    c.values = buf[1];
    auto dict = std::make_shared<column_view>();
    fill(*dict, *s.dictionary, *a.dictionary, name, true);
    c.dictionary = std::move(dict);
    return;
  }
  static const struct { const char* f; data_type t; } fixed[] = {
      {"c", data_type::int8},    {"C", data_type::uint8},   {"s", data_type::int16},
      {"S", data_type::uint16},  {"i", data_type::int32},   {"I", data_type::uint32},
      {"l", data_type::int64},   {"L", data_type::uint64},  {"f", data_type::float32},
      {"g", data_type::float64}, {"tdD", data_type::date32}, {"tdm", data_type::date64},
      {"b", data_type::boolean}};
  for (const auto& it : fixed) {
    if (f == it.f) {
      need_buffers(a, 2, name);
      c.type = it.t;
      c.values = buf[1];
      return;
    }
  }
  if (f == "u" || f == "U") {
    need_buffers(a, 3, name);
    c.type = f == "u" ? data_type::utf8 : data_type::large_utf8;
    c.values = buf[1];
    c.chars = static_cast<const char*>(buf[2]);
    return;
  }
  if (f == "vu") {
    // buffers: validity, views, data buffers..., variadic sizes
    need_buffers(a, 2, name);
    if (a.n_buffers < 3) malformed(name, "a string view array without its buffer of sizes");
    c.type = data_type::utf8_view;
    c.values = buf[1];
    for (std::int64_t i = 2; i + 1 < a.n_buffers; ++i) {
      c.variadic.push_back(static_cast<const char*>(buf[i]));
    }
    return;
  }
  if (f.rfind("ts", 0) == 0 && f.size() >= 4 && f[3] == ':') {
    need_buffers(a, 2, name);
    c.type = data_type::timestamp;
    switch (f[2]) {
      case 's': c.unit = time_unit::second; break;
      case 'm': c.unit = time_unit::milli; break;
      case 'u': c.unit = time_unit::micro; break;
      case 'n': c.unit = time_unit::nano; break;
      default: unsupported(name, f);
    }
    c.time_zone_name = f.substr(4);
    c.time_zone_aware = !c.time_zone_name.empty();
    c.values = buf[1];
    return;
  }
  if (f.rfind("d:", 0) == 0) {
    // "d:precision,scale" or "d:precision,scale,128"; decimal128 precision is 1..38, the
    // scale any 32-bit number (Arrow allows negative scales and scales above the precision).
    const std::string spec = f.substr(2);
    const auto comma = spec.find(',');
    if (comma == std::string::npos) unsupported(name, f);
    const std::string rest = spec.substr(comma + 1);
    const auto comma2 = rest.find(',');
    if (comma2 != std::string::npos && rest.substr(comma2 + 1) != "128") unsupported(name, f);
    int precision = 0;
    int scale = 0;
    if (!parse_int(spec.substr(0, comma), 1, 38, precision) ||
        !parse_int(rest.substr(0, comma2), -2147483647L - 1, 2147483647L, scale)) {
      malformed(name, "the decimal format '" + f + "' (expected d:precision,scale with a "
                      "precision from 1 to 38)");
    }
    need_buffers(a, 2, name);
    c.type = data_type::decimal128;
    c.decimal_scale = scale;
    c.values = buf[1];
    return;
  }
  unsupported(name, f);
}

}  // namespace

column_view column_from_arrow(const ArrowSchema& schema, const ArrowArray& array,
                              const std::string& name) {
  column_view c;
  fill(c, schema, array, name, false);
  return c;
}

}  // namespace tierkit::python
