// k-means segments: settings, strategy, model and the elbow table. Fits release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bind_model.hpp"
#include "bindings.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategies/kmeans.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

py::dict report_dict(const kmeans_report& r) {
  py::dict d;
  d["rows"] = r.rows;
  d["left_out"] = r.left_out;
  d["inertia"] = r.inertia;
  d["silhouette"] = r.silhouette;
  d["silhouette_rows"] = r.silhouette_rows;
  d["best_restart"] = r.best_restart;
  d["iterations"] = r.iterations;
  d["converged"] = r.converged;
  d["restart_inertia"] = r.restart_inertia;
  d["initial_centres"] = r.initial_centres;
  return d;
}

// k x columns matrix of a row-major vector.
py::array_t<double> matrix(std::vector<double> v, std::size_t columns) {
  const std::size_t rows = columns ? v.size() / columns : 0;
  py::array_t<double> a = numpy_from(std::move(v));
  return a.reshape({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(columns)});
}

}  // namespace

void bind_kmeans(py::module_& m) {
  py::class_<kmeans_config>(m, "KMeansConfig")
      .def(py::init<>())
      .def_readwrite("columns", &kmeans_config::columns)
      .def_readwrite("k", &kmeans_config::k)
      .def_readwrite("transform", &kmeans_config::transform)
      .def_readwrite("restarts", &kmeans_config::restarts)
      .def_readwrite("seed", &kmeans_config::seed)
      .def_readwrite("max_iterations", &kmeans_config::max_iterations)
      .def_readwrite("names", &kmeans_config::names)
      .def_readwrite("output", &kmeans_config::output)
      .def_readwrite("silhouette_sample", &kmeans_config::silhouette_sample)
      .def_readwrite("initial_centres", &kmeans_config::initial_centres)
      .def_readwrite("threads", &kmeans_config::threads)
      .def("check", &kmeans_config::check);

  bind_model<kmeans_model, &kmeans_model_from_bytes>(m, "KMeansModel")
      .def("transform", [](const kmeans_model& mm, const metric_table& t) {
        const shared_use reading(&t);
        return matrix(mm.transform(t), mm.config().columns.size());
      }, py::arg("metrics"))
      .def_property_readonly("config", &kmeans_model::config)
      .def_property_readonly("shift", &kmeans_model::shift)
      .def_property_readonly("scale", &kmeans_model::scale)
      .def_property_readonly("centres", [](const kmeans_model& mm) {
        std::vector<double> v;
        for (const kmeans_cluster& c : mm.clusters()) v.insert(v.end(), c.centre.begin(), c.centre.end());
        return matrix(std::move(v), mm.config().columns.size());
      })
      .def_property_readonly("names", [](const kmeans_model& mm) {
        std::vector<std::string> v;
        for (const kmeans_cluster& c : mm.clusters()) v.push_back(c.name);
        return v;
      })
      .def_property_readonly("report", [](const kmeans_model& mm) { return report_dict(mm.report()); });
  bind_strategy<kmeans_strategy, kmeans_config>(m, "KMeansStrategy", &kmeans_strategy::fit_kmeans);

  m.def("kmeans_elbow", [](const metric_table& t, const kmeans_config& c, const std::vector<int>& ks) {
    score_table s;
    {
      const shared_use reading(&t);
      py::gil_scoped_release release;
      s = kmeans_elbow(t, c, ks);
    }
    return score_table_dict(std::move(s));
  }, py::arg("metrics"), py::arg("config"), py::arg("ks"));
}

}  // namespace tierkit::python
