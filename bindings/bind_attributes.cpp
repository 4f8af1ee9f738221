// Customer attributes: typed columns keyed by customer.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/customer_attributes.hpp"

namespace py = pybind11;

namespace tierkit::python {

void bind_attributes(py::module_& m) {
  py::class_<customer_attributes>(m, "CustomerAttributes")
      .def_static("from_columns", [](const std::string& key_name, const py::tuple& key,
                                     const py::list& columns, const time_zone& zone) {
        const column_view k = import_arrow_column(key, key_name);
        std::vector<column_view> cols;
        for (const py::handle c : columns) {
          const py::tuple spec = c.cast<py::tuple>();
          cols.push_back(import_arrow_column(spec[1], spec[0].cast<std::string>()));
        }
        py::gil_scoped_release release;
        return customer_attributes::from_columns(k, cols, zone);
      }, py::arg("key_name"), py::arg("key"), py::arg("columns"), py::arg("zone"))
      .def_property_readonly("size", &customer_attributes::size)
      .def_property_readonly("keys_are_strings",
                             [](const customer_attributes& a) { return a.keys().is_string; })
      .def("key_ints", [](py::object self) {
        return numpy_view(self.cast<const customer_attributes&>().keys().ints, self);
      })
      .def("key_offsets", [](py::object self) {
        return numpy_view(self.cast<const customer_attributes&>().keys().offsets, self);
      })
      .def("key_chars", [](py::object self) {
        return numpy_bytes(self.cast<const customer_attributes&>().keys().chars, self);
      })
      .def("column_kinds", [](const customer_attributes& a) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const attribute_column& c : a.columns()) {
          out.emplace_back(c.name, attribute_kind_name(c.kind));
        }
        return out;
      })
      .def("column", [](py::object self, const std::string& name) {
        const attribute_column& c = self.cast<const customer_attributes&>().column(name);
        py::dict d;
        d["kind"] = attribute_kind_name(c.kind);
        d["valid"] = numpy_view(c.valid, self);
        switch (c.kind) {
          case attribute_kind::number: d["values"] = numpy_view(c.numbers, self); break;
          case attribute_kind::integer: d["values"] = numpy_view(c.integers, self); break;
          case attribute_kind::day: d["values"] = numpy_view(c.days, self); break;
          case attribute_kind::boolean: d["values"] = numpy_view(c.booleans, self); break;
          case attribute_kind::text:
            d["offsets"] = numpy_view(c.offsets, self);
            d["chars"] = numpy_bytes(c.chars, self);
            break;
        }
        return d;
      }, py::arg("name"))
      .def("rows_of", [](const customer_attributes& a, const profile& p) {
        std::vector<std::int64_t> rows = a.rows_of(p.customer);
        return py::array_t<std::int64_t>(static_cast<py::ssize_t>(rows.size()), rows.data());
      }, py::arg("profile"));
}

}  // namespace tierkit::python
