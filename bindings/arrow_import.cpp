#include "arrow_import.hpp"

#include <cstring>
#include <memory>

#include "arrow_c.hpp"
#include "tierkit/error.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

template <class T>
T* capsule_pointer(const py::handle& capsule, const char* expected) {
  if (!PyCapsule_CheckExact(capsule.ptr())) {
    throw schema_error(std::string("tierkit: expected a PyCapsule named '") + expected + "'");
  }
  const char* name = PyCapsule_GetName(capsule.ptr());
  if (name == nullptr || std::strcmp(name, expected) != 0) {
    throw schema_error(std::string("tierkit: expected a PyCapsule named '") + expected + "'");
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), expected));
}

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

void fill(column_view& c, const ArrowSchema* s, const ArrowArray* a, const std::string& name) {
  const std::string f = s->format;
  c.name = name;
  c.length = a->length;
  c.offset = a->offset;
  const void* const* buf = a->buffers;
  c.validity = (a->null_count != 0 && a->n_buffers > 0)
                   ? static_cast<const std::uint8_t*>(buf[0])
                   : nullptr;
  if (s->dictionary != nullptr) {
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
    if (!found || a->dictionary == nullptr) unsupported(name, f);
    c.type = data_type::dictionary;
    c.values = buf[1];
    auto dict = std::make_shared<column_view>();
    fill(*dict, s->dictionary, a->dictionary, name);
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
      c.type = it.t;
      c.values = buf[1];
      return;
    }
  }
  if (f == "u" || f == "U") {
    c.type = f == "u" ? data_type::utf8 : data_type::large_utf8;
    c.values = buf[1];
    c.chars = static_cast<const char*>(buf[2]);
    return;
  }
  if (f == "vu") {
    c.type = data_type::utf8_view;
    c.values = buf[1];
    // buffers: validity, views, data buffers..., variadic sizes
    for (std::int64_t i = 2; i + 1 < a->n_buffers; ++i) {
      c.variadic.push_back(static_cast<const char*>(buf[i]));
    }
    return;
  }
  if (f.rfind("ts", 0) == 0 && f.size() >= 4 && f[3] == ':') {
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
    // "d:precision,scale" or "d:precision,scale,bitwidth"
    const std::string spec = f.substr(2);
    const auto comma = spec.find(',');
    if (comma == std::string::npos) unsupported(name, f);
    const std::string rest = spec.substr(comma + 1);
    const auto comma2 = rest.find(',');
    if (comma2 != std::string::npos && rest.substr(comma2 + 1) != "128") unsupported(name, f);
    c.type = data_type::decimal128;
    try {
      c.decimal_scale = std::stoi(rest.substr(0, comma2));
    } catch (const std::exception&) {  // not an int: std::invalid_argument, std::out_of_range
      unsupported(name, f);
    }
    c.values = buf[1];
    return;
  }
  unsupported(name, f);
}

}  // namespace

column_view import_arrow_column(const py::handle& capsules, const std::string& name) {
  const py::tuple pair = py::reinterpret_borrow<py::tuple>(capsules);
  if (pair.size() != 2) throw schema_error("tierkit: expected a (schema, array) capsule pair");
  const auto* schema = capsule_pointer<ArrowSchema>(pair[0], "arrow_schema");
  const auto* array = capsule_pointer<ArrowArray>(pair[1], "arrow_array");
  if (schema->release == nullptr || array->release == nullptr) {
    throw schema_error("tierkit: column '" + name + "' was already released");
  }
  column_view c;
  fill(c, schema, array, name);
  return c;
}

}  // namespace tierkit::python
