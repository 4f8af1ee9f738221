// Grouped scoring: every group's model applied to exactly its rows in one call
// (tierkit.Grouped's apply loop), results in the rows' own order.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "tierkit/abc.hpp"
#include "tierkit/asset_bands.hpp"
#include "tierkit/error.hpp"
#include "tierkit/grouped.hpp"
#include "tierkit/lifecycle.hpp"
#include "tierkit/rfm.hpp"
#include "tierkit/strategies/clv.hpp"
#include "tierkit/strategies/kmeans.hpp"
#include "tierkit/value_potential.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

template <class T>
bool try_model(py::handle h, const model*& out) {
  if (!py::isinstance<T>(h)) return false;
  out = &h.cast<const T&>();
  return true;
}

// The C++ model behind a core model object (None: null); invalid_input for anything else.
const model* as_model(py::handle h, const std::string& what) {
  if (h.is_none()) return nullptr;
  const model* m = nullptr;
  if (try_model<rfm_model>(h, m) || try_model<abc_model>(h, m) || try_model<lifecycle_model>(h, m) ||
      try_model<value_potential_model>(h, m) || try_model<asset_band_model>(h, m) ||
      try_model<kmeans_model>(h, m) || try_model<clv_model>(h, m)) {
    return m;
  }
  throw invalid_input(what + ": " + py::str(py::type::of(h)).cast<std::string>() + " is not a core model");
}

template <class T>
bool try_strategy(py::handle h, const strategy*& out) {
  if (!py::isinstance<T>(h)) return false;
  out = &h.cast<const T&>();
  return true;
}

// The C++ strategy behind a core strategy object (RFMStrategy, ABCStrategy, ...).
const strategy& as_strategy(py::handle h, const std::string& what) {
  const strategy* s = nullptr;
  if (try_strategy<rfm_strategy>(h, s) || try_strategy<abc_strategy>(h, s) ||
      try_strategy<lifecycle_strategy>(h, s) || try_strategy<value_potential_strategy>(h, s) ||
      try_strategy<asset_band_strategy>(h, s) || try_strategy<kmeans_strategy>(h, s) ||
      try_strategy<clv_strategy>(h, s)) {
    return *s;
  }
  throw invalid_input(what + ": " + py::str(py::type::of(h)).cast<std::string>() + " is not a core strategy");
}

template <class T>
bool try_wrap(std::unique_ptr<model>& m, py::object& out) {
  T* p = dynamic_cast<T*>(m.get());
  if (p == nullptr) return false;
  out = py::cast(std::move(*p));
  return true;
}

// A fitted model as its core Python class (None for a null model).
py::object wrap_model(std::unique_ptr<model>& m) {
  py::object out = py::none();
  if (!m) return out;
  if (try_wrap<rfm_model>(m, out) || try_wrap<abc_model>(m, out) || try_wrap<lifecycle_model>(m, out) ||
      try_wrap<value_potential_model>(m, out) || try_wrap<asset_band_model>(m, out) ||
      try_wrap<kmeans_model>(m, out) || try_wrap<clv_model>(m, out)) {
    return out;
  }
  throw invalid_input("tierkit.fit_by_group: a model of kind '" + m->kind() + "' has no Python class");
}

}  // namespace

void bind_groups(py::module_& m) {
  m.def("apply_by_row", [](const metric_table& metrics, const py::list& models,
                           py::array_t<std::int32_t, py::array::c_style | py::array::forcecast> model_of,
                           const py::object& fallback, const py::object& columns, bool fallback_all) -> py::object {
    const std::string what = "tierkit.apply_by_row";
    std::vector<const model*> ptrs;
    ptrs.reserve(models.size());
    for (py::handle h : models) ptrs.push_back(as_model(h, what));
    const model* back = as_model(fallback, what);
    if (fallback_all && back == nullptr) throw invalid_input(what + ": fallback_all needs a fallback model");
    const std::vector<std::int32_t> rows(model_of.data(), model_of.data() + model_of.size());
    const std::vector<std::string> read =
        columns.is_none() ? std::vector<std::string>{} : columns.cast<std::vector<std::string>>();
    score_table out, all;
    {
      const shared_use reading(&metrics);
      py::gil_scoped_release release;
      // Only the columns the models read are put in model order (a copy each).
      const metric_table table = read.empty() ? metrics : metrics.select(read);
      if (fallback_all) all = back->apply(table);
      out = apply_by_row(table, ptrs, rows, back, fallback_all ? &all : nullptr);
    }
    if (!fallback_all) return score_table_dict(std::move(out));
    return py::make_tuple(score_table_dict(std::move(out)), score_table_dict(std::move(all)));
  }, py::arg("metrics"), py::arg("models"), py::arg("model_of"), py::arg("fallback"),
     py::arg("columns") = py::none(), py::arg("fallback_all") = false,
     "Scores of each row by models[model_of[row]] (-1: fallback), each model applied once to "
     "exactly its rows (only `columns` of the metrics, when given); label lists merged (the "
     "fallback's first, then the models' in order). fallback_all=True: (those scores, the "
     "fallback's scores of every row), the fallback applied once for both.");

  m.def("fit_apply_by_group", [](const py::object& inner, const metric_table& metrics,
                                 py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> group_of,
                                 std::size_t groups, std::size_t min_size, const py::object& fallback,
                                 const py::object& columns, bool fallback_all) {
    const std::string what = "tierkit.fit_apply_by_group";
    const strategy& s = as_strategy(inner, what);
    const model* back = as_model(fallback, what);
    const std::vector<std::int64_t> rows(group_of.data(), group_of.data() + group_of.size());
    const std::vector<std::string> read =
        columns.is_none() ? std::vector<std::string>{} : columns.cast<std::vector<std::string>>();
    grouped_fit_scores fitted;
    {
      const shared_use reading(&metrics);
      py::gil_scoped_release release;
      fitted = read.empty() ? fit_apply_by_group(s, metrics, rows, groups, min_size, back, fallback_all)
                            : fit_apply_by_group(s, metrics.select(read), rows, groups, min_size, back, fallback_all);
    }
    py::list models;
    for (auto& f : fitted.models) models.append(wrap_model(f));
    return py::make_tuple(models, score_table_dict(std::move(fitted.scores)),
                          fallback_all ? py::object(score_table_dict(std::move(fitted.fallback_scores)))
                                       : py::object(py::none()),
                          wrap_model(fitted.overall));
  }, py::arg("strategy"), py::arg("metrics"), py::arg("group_of"), py::arg("groups"), py::arg("min_size"),
     py::arg("fallback") = py::none(), py::arg("columns") = py::none(), py::arg("fallback_all") = false,
     "(models, scores, fallback scores, overall model): one core model per group (None under "
     "min_size rows) fitted on exactly its rows and applied to them, the other rows scored by "
     "`fallback` (None: the overall model, fitted here on all rows beside the groups and "
     "returned last; else None is returned there), the rows ordered by group once for both; "
     "with fallback_all=True also the fallback's scores of every row (applied once: the "
     "fallback rows take theirs from it), else None.");

  m.def("fit_by_group", [](const py::object& inner, const metric_table& metrics,
                           py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> group_of,
                           std::size_t groups, std::size_t min_size, const py::object& columns) {
    const std::string what = "tierkit.fit_by_group";
    const strategy& s = as_strategy(inner, what);
    const std::vector<std::int64_t> rows(group_of.data(), group_of.data() + group_of.size());
    const std::vector<std::string> read =
        columns.is_none() ? std::vector<std::string>{} : columns.cast<std::vector<std::string>>();
    std::vector<std::unique_ptr<model>> fitted;
    {
      const shared_use reading(&metrics);
      py::gil_scoped_release release;
      fitted = read.empty() ? fit_by_group(s, metrics, rows, groups, min_size)
                            : fit_by_group(s, metrics.select(read), rows, groups, min_size);
    }
    py::list out;
    for (auto& f : fitted) out.append(wrap_model(f));
    return out;
  }, py::arg("strategy"), py::arg("metrics"), py::arg("group_of"), py::arg("groups"), py::arg("min_size"),
     py::arg("columns") = py::none(),
     "One core model per group (None under min_size rows), each fitted on exactly its rows "
     "(group_of: the group of each row in [0, groups), -1 for none).");
}

}  // namespace tierkit::python
