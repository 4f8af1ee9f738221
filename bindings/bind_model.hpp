#pragma once
// One strategy family in Python, registered by a template (as boost-histogram registers its
// accumulators): what every family has is bound here once -- the fitted model's apply and
// summary, its persistence and equality, the strategy's constructor and fit -- and each
// family's binding adds only what is its own (its settings, properties, extra methods).
//
// Policy: apply and fit read the metric table with the GIL released, holding a shared_use
// of it for the call (see bindings.hpp), so other Python threads run meanwhile and a
// concurrent MetricTable.add is refused rather than freeing what is read.
#include <pybind11/pybind11.h>

#include <functional>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit::python {

// Whether a model class gets `==` by value (bind_equality).
enum class model_equality : bool { without, by_value };

// The fitted model: apply(metrics) and summary() as score-table dicts, to_bytes, from_bytes
// and pickling through `From`, and `==` by value unless `Equality` says without (for a
// model with no operator==). Returns the class for the family's own methods.
template <class Model, Model (*From)(const std::string&), model_equality Equality = model_equality::by_value>
pybind11::class_<Model> bind_model(pybind11::module_& m, const char* name) {
  namespace py = pybind11;
  py::class_<Model> c(m, name);
  c.def("apply", [](const Model& mod, const metric_table& t) {
     score_table s;
     {
       const shared_use reading(&t);
       py::gil_scoped_release release;
       s = mod.apply(t);
     }
     return score_table_dict(std::move(s));
   }, py::arg("metrics"))
      .def("summary", [](const Model& mod) { return score_table_dict(mod.summary()); });
  bind_persistence<Model, From>(c);
  if constexpr (Equality == model_equality::by_value) bind_equality(c);
  return c;
}

// The strategy: Strategy(config: Config) and fit(metrics) -> the model, calling `fit` (a
// member function pointer or a callable taking the strategy and the metric table).
template <class Strategy, class Config, class Fit>
pybind11::class_<Strategy> bind_strategy(pybind11::module_& m, const char* name, Fit fit) {
  namespace py = pybind11;
  py::class_<Strategy> c(m, name);
  c.def(py::init<Config>(), py::arg("config"))
      .def("fit", [fit](const Strategy& s, const metric_table& t) {
        const shared_use reading(&t);
        py::gil_scoped_release release;
        return std::invoke(fit, s, t);
      }, py::arg("metrics"));
  return c;
}

}  // namespace tierkit::python
