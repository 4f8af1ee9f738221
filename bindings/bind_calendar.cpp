// Time zones (the offset history that turns UTC instants into local days).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/time_zone.hpp"

namespace py = pybind11;

namespace tierkit::python {

void bind_calendar(py::module_& m) {
  py::class_<time_zone>(m, "TimeZone")
      .def(py::init<>())
      .def_static("fixed", &time_zone::fixed, py::arg("name"), py::arg("offset_seconds"))
      .def_static("from_transitions", &time_zone::from_transitions, py::arg("name"),
                  py::arg("initial_offset"), py::arg("transition_utc"), py::arg("offsets"))
      .def_property_readonly("name", &time_zone::name)
      .def_property_readonly("initial_offset", &time_zone::initial_offset)
      .def_property_readonly("transitions", &time_zone::transitions)
      .def_property_readonly("offsets", &time_zone::offsets)
      .def("offset_at", &time_zone::offset_at, py::arg("utc_seconds"))
      .def("local_day", &time_zone::local_day, py::arg("utc_seconds"));
  // The default valid_dates of profiles and balances, (first, last) day numbers.
  m.attr("DEFAULT_VALID_DATES") = py::make_tuple(day_range{}.first, day_range{}.last);
  m.def("period_start", [](const std::string& period, std::int32_t day) {
    return period_start(parse_period(period), day);
  }, py::arg("period"), py::arg("day"));
}

}  // namespace tierkit::python
