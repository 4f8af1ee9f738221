// Lifetime value: the repeat-buying summary, BG/NBD, Pareto/NBD, Gamma-Gamma and the CLV
// strategy. Arrays in, numpy arrays out; fits release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include "bind_model.hpp"
#include "bindings.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/strategies/bg_nbd.hpp"
#include "tierkit/strategies/clv.hpp"
#include "tierkit/strategies/clv_summary.hpp"
#include "tierkit/strategies/gamma_gamma.hpp"
#include "tierkit/strategies/pareto_nbd.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

using array = py::array_t<double, py::array::c_style | py::array::forcecast>;

number_span span_of(const array& a) { return {a.data(), static_cast<std::size_t>(a.size())}; }
number_span span_of(const std::optional<array>& a) { return a ? span_of(*a) : number_span{}; }

clv_data data_of(const array& x, const array& t_x, const array& T, const std::optional<array>& w) {
  return {span_of(x), span_of(t_x), span_of(T), span_of(w)};
}

py::dict report_dict(const mle_report& r) {
  py::dict d;
  d["names"] = r.names;
  d["estimate"] = r.estimate;
  d["std_error"] = r.std_error;
  d["log_likelihood"] = r.log_likelihood;
  d["l2_penalty"] = r.l2_penalty;
  d["iterations"] = r.iterations;
  d["evaluations"] = r.evaluations;
  d["gradient_norm"] = r.gradient_norm;
  d["customers"] = r.customers;
  d["distinct_rows"] = r.distinct_rows;
  d["left_out"] = r.left_out;
  d["fitted"] = r.fitted;
  return d;
}

mle_config config_of(double l2, int max_iterations, double tol, const std::vector<double>& initial) {
  mle_config c;
  c.l2_penalty = l2;
  c.max_iterations = max_iterations;
  c.gradient_tolerance = tol;
  c.initial = initial;
  return c;
}

template <class Model, class Params>
void bind_purchase_model(py::class_<Model>& c) {
  c.def_property_readonly("report", [](const Model& m) { return report_dict(m.report()); })
      .def("log_likelihood", [](const Model& m, const array& x, const array& tx, const array& T,
                                const std::optional<array>& w) { return m.log_likelihood(data_of(x, tx, T, w)); },
           py::arg("x"), py::arg("t_x"), py::arg("T"), py::arg("weight") = py::none())
      .def("expected_purchases", [](const Model& m, const array& t) {
        return numpy_from(m.expected_purchases(span_of(t)));
      }, py::arg("t"))
      .def("conditional_expected_purchases", [](const Model& m, double t, const array& x, const array& tx,
                                                const array& T) {
        std::vector<double> out;
        {
          py::gil_scoped_release release;
          out = m.conditional_expected_purchases(t, data_of(x, tx, T, std::nullopt));
        }
        return numpy_from(std::move(out));
      }, py::arg("t"), py::arg("x"), py::arg("t_x"), py::arg("T"))
      .def("p_alive", [](const Model& m, const array& x, const array& tx, const array& T) {
        return numpy_from(m.p_alive(data_of(x, tx, T, std::nullopt)));
      }, py::arg("x"), py::arg("t_x"), py::arg("T"))
      .def("probability_of_purchases", &Model::probability_of_purchases, py::arg("n"), py::arg("t"))
      .def("expected_cumulative", [](const Model& m, const array& birth, const std::optional<array>& w,
                                     const array& times) {
        return numpy_from(m.expected_cumulative(span_of(birth), span_of(w), span_of(times)));
      }, py::arg("birth"), py::arg("weight"), py::arg("times"));
  bind_equality(c);
}

}  // namespace

void bind_clv(py::module_& m) {
  py::class_<clv_summary>(m, "CLVSummary")
      .def_property_readonly("size", &clv_summary::size)
      .def("columns", [](const clv_summary& s) {
        py::dict d;
        d["x"] = numpy_view(s.x, py::cast(s));
        d["t_x"] = numpy_view(s.t_x, py::cast(s));
        d["T"] = numpy_view(s.T, py::cast(s));
        d["m_x"] = numpy_view(s.m_x, py::cast(s));
        d["first_purchase"] = numpy_view(s.first_purchase, py::cast(s));
        d["profile_row"] = numpy_view(s.profile_row, py::cast(s));
        if (s.has_holdout) {
          d["x_star"] = numpy_view(s.x_star, py::cast(s));
          d["m_x_star"] = numpy_view(s.m_x_star, py::cast(s));
        }
        return d;
      }, py::return_value_policy::reference_internal)
      .def_readonly("has_holdout", &clv_summary::has_holdout)
      .def_readonly("T_star", &clv_summary::T_star)
      .def_readonly("unit_days", &clv_summary::unit_days)
      .def_readonly("calibration_end", &clv_summary::calibration_end)
      .def_readonly("holdout_end", &clv_summary::holdout_end)
      .def_readonly("holdout_only", &clv_summary::holdout_only)
      .def_readonly("without_purchase", &clv_summary::without_purchase);
  m.def("clv_summary", [](const profile& cal, const py::typing::Optional<profile>& holdout, double unit_days) {
    const profile* hold = holdout.is_none() ? nullptr : &holdout.cast<const profile&>();
    clv_summary_config c;
    c.unit_days = unit_days;
    return hold != nullptr ? make_clv_summary(cal, *hold, c) : make_clv_summary(cal, c);
  }, py::arg("calibration"), py::arg("holdout"), py::arg("unit_days"));

  py::class_<bg_nbd_model> bg(m, "BGNBDModel");
  bg.def(py::init([](double r, double alpha, double a, double b) { return bg_nbd_model({r, alpha, a, b}); }),
         py::arg("r"), py::arg("alpha"), py::arg("a"), py::arg("b"))
      .def_property_readonly("params", [](const bg_nbd_model& mm) {
        const auto& p = mm.params();
        py::dict d;
        d["r"] = p.r;
        d["alpha"] = p.alpha;
        d["a"] = p.a;
        d["b"] = p.b;
        return d;
      })
      .def_static("fit", [](const array& x, const array& tx, const array& T, const std::optional<array>& w, double l2,
                            int max_iterations, double tol, const std::vector<double>& initial) {
        const clv_data d = data_of(x, tx, T, w);
        const mle_config c = config_of(l2, max_iterations, tol, initial);
        py::gil_scoped_release release;
        return fit_bg_nbd(d, c);
      }, py::arg("x"), py::arg("t_x"), py::arg("T"), py::arg("weight") = py::none(), py::arg("l2_penalty") = 0.0,
         py::arg("max_iterations") = 1000, py::arg("gradient_tolerance") = 1e-8,
         py::arg("initial") = std::vector<double>{});
  bind_purchase_model<bg_nbd_model, bg_nbd_params>(bg);
  bind_persistence<bg_nbd_model, &bg_nbd_model_from_bytes>(bg);

  py::class_<pareto_nbd_model> pn(m, "ParetoNBDModel");
  pn.def(py::init([](double r, double alpha, double s, double beta) { return pareto_nbd_model({r, alpha, s, beta}); }),
         py::arg("r"), py::arg("alpha"), py::arg("s"), py::arg("beta"))
      .def_property_readonly("params", [](const pareto_nbd_model& mm) {
        const auto& p = mm.params();
        py::dict d;
        d["r"] = p.r;
        d["alpha"] = p.alpha;
        d["s"] = p.s;
        d["beta"] = p.beta;
        return d;
      })
      .def_static("fit", [](const array& x, const array& tx, const array& T, const std::optional<array>& w, double l2,
                            int max_iterations, double tol, const std::vector<double>& initial) {
        const clv_data d = data_of(x, tx, T, w);
        const mle_config c = config_of(l2, max_iterations, tol, initial);
        py::gil_scoped_release release;
        return fit_pareto_nbd(d, c);
      }, py::arg("x"), py::arg("t_x"), py::arg("T"), py::arg("weight") = py::none(), py::arg("l2_penalty") = 0.0,
         py::arg("max_iterations") = 1000, py::arg("gradient_tolerance") = 1e-8,
         py::arg("initial") = std::vector<double>{});
  bind_purchase_model<pareto_nbd_model, pareto_nbd_params>(pn);
  bind_persistence<pareto_nbd_model, &pareto_nbd_model_from_bytes>(pn);

  py::class_<gamma_gamma_model> gg(m, "GammaGammaModel");
  gg.def(py::init([](double p, double q, double g) { return gamma_gamma_model({p, q, g}); }), py::arg("p"),
         py::arg("q"), py::arg("gamma"))
      .def_property_readonly("params", [](const gamma_gamma_model& mm) {
        const auto& p = mm.params();
        py::dict d;
        d["p"] = p.p;
        d["q"] = p.q;
        d["gamma"] = p.gamma;
        return d;
      })
      .def_property_readonly("report", [](const gamma_gamma_model& mm) { return report_dict(mm.report()); })
      .def_static("fit", [](const array& x, const array& mx, const std::optional<array>& w, double l2,
                            int max_iterations, double tol, const std::vector<double>& initial) {
        const mle_config c = config_of(l2, max_iterations, tol, initial);
        const number_span xs = span_of(x), ms = span_of(mx), ws = span_of(w);
        py::gil_scoped_release release;
        return fit_gamma_gamma(xs, ms, ws, c);
      }, py::arg("x"), py::arg("m_x"), py::arg("weight") = py::none(), py::arg("l2_penalty") = 0.0,
         py::arg("max_iterations") = 1000, py::arg("gradient_tolerance") = 1e-8,
         py::arg("initial") = std::vector<double>{})
      .def("log_likelihood", [](const gamma_gamma_model& mm, const array& x, const array& mx,
                                const std::optional<array>& w) { return mm.log_likelihood(span_of(x), span_of(mx), span_of(w)); },
           py::arg("x"), py::arg("m_x"), py::arg("weight") = py::none())
      .def("conditional_expected_value", [](const gamma_gamma_model& mm, const array& x, const array& mx) {
        return numpy_from(mm.conditional_expected_value(span_of(x), span_of(mx)));
      }, py::arg("x"), py::arg("m_x"))
      .def_property_readonly("population_mean", &gamma_gamma_model::population_mean);
  bind_equality(gg);
  bind_persistence<gamma_gamma_model, &gamma_gamma_model_from_bytes>(gg);

  py::class_<clv_config>(m, "CLVConfig")
      .def(py::init<>())
      .def_readwrite("model", &clv_config::model)
      .def_readwrite("unit_days", &clv_config::unit_days)
      .def_readwrite("horizon", &clv_config::horizon)
      .def_readwrite("steps", &clv_config::steps)
      .def_readwrite("discount_rate", &clv_config::discount_rate)
      .def_property("l2_penalty", [](const clv_config& c) { return c.purchases.l2_penalty; },
                    [](clv_config& c, double v) { c.purchases.l2_penalty = v; })
      .def_property("value_l2_penalty", [](const clv_config& c) { return c.value.l2_penalty; },
                    [](clv_config& c, double v) { c.value.l2_penalty = v; })
      .def("check", &clv_config::check);

  bind_model<clv_model, &clv_model_from_bytes>(m, "CLVModel")
      .def_property_readonly("config", &clv_model::config)
      .def_property_readonly("is_pareto", &clv_model::is_pareto)
      .def_property_readonly("bg_nbd", &clv_model::bg_nbd)
      .def_property_readonly("pareto_nbd", &clv_model::pareto_nbd)
      .def_property_readonly("gamma_gamma", &clv_model::gamma_gamma)
      .def_property_readonly("value_basis", &clv_model::value_basis);
  bind_strategy<clv_strategy, clv_config>(m, "CLVStrategy", &clv_strategy::fit_clv);
}

}  // namespace tierkit::python
