// tierkit._core: the compiled half of the Python package. Bindings only marshal; the
// logic lives in the C++ library, the Python conveniences in python/tierkit.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "tierkit/version.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "tierkit's compiled core (private; use the tierkit package)";
  m.attr("__version__") = tierkit::version_string;
  tierkit::python::bind_errors(m);
  tierkit::python::bind_calendar(m);
  tierkit::python::bind_period_table(m);  // before the profile: finish_period returns one
  tierkit::python::bind_profile(m);
  tierkit::python::bind_attributes(m);
  tierkit::python::bind_demo(m);
  tierkit::python::bind_strategies(m);
  tierkit::python::bind_balances(m);
  tierkit::python::bind_policy(m);
  tierkit::python::bind_over_time(m);
  tierkit::python::bind_clv(m);
  tierkit::python::bind_kmeans(m);
  tierkit::python::bind_groups(m);
  tierkit::python::bind_households(m);
  tierkit::python::bind_pseudonym(m);
  tierkit::python::bind_service(m);
}
