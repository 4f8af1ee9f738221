// Profiles: the mergeable state (update / merge / finish) and the finished profile, whose
// columns reach numpy and Arrow without copies.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/over_time/period_table.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/serialization.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

// A batch from Python: {role: (column name, (schema capsule, array capsule))}. The views
// point into buffers the capsules own; the caller keeps the dict alive.
transactions import_batch(const py::dict& batch) {
  transactions tx;
  auto column = [&](const char* role) -> std::optional<column_view> {
    if (!batch.contains(role)) return std::nullopt;
    const py::tuple spec = batch[role].cast<py::tuple>();
    return import_arrow_column(spec[1], spec[0].cast<std::string>());
  };
  tx.customer = *column("customer");
  tx.time = *column("time");
  tx.amount = *column("amount");
  tx.order = column("order");
  tx.quantity = column("quantity");
  tx.channel = column("channel");
  tx.category = column("category");
  return tx;
}

profile_config make_config(std::optional<std::int32_t> as_of,
                           std::optional<std::int32_t> window_start, const time_zone& zone,
                           const std::string& period, bool spend_series, bool purchase_days,
                           const std::string& on_invalid,
                           std::pair<std::int32_t, std::int32_t> valid_dates, unsigned threads) {
  profile_config c;
  c.as_of = as_of;
  c.window_start = window_start;
  c.zone = zone;
  c.period = parse_period(period);
  c.spend_series = spend_series;
  c.purchase_days = purchase_days;
  c.on_invalid = parse_invalid_policy(on_invalid);
  c.valid_dates = day_range{valid_dates.first, valid_dates.second};
  c.threads = threads;
  return c;
}

py::dict report_dict(const validation_report& r) {
  py::list dropped;
  for (const row_issue& i : r.dropped) {
    py::dict d;
    d["column"] = i.column;
    d["problem"] = i.problem;
    d["rows"] = i.rows;
    dropped.append(d);
  }
  py::dict d;
  d["rows_read"] = r.rows_read;
  d["rows_used"] = r.rows_used;
  d["rows_dropped"] = r.rows_dropped;
  d["rows_outside_window"] = r.rows_outside_window;
  d["dropped"] = dropped;
  return d;
}

// A profile_state with the mutex its Python calls take (profile_state itself is not safe
// from several threads at once).
struct locked_state {
  explicit locked_state(profile_state s) : state(std::move(s)) {}
  profile_state state;
  mutable std::mutex mutex;
};

}  // namespace

void bind_profile(py::module_& m) {
  py::class_<profile>(m, "Profile")
      .def_property_readonly("size", &profile::size)
      .def_property_readonly("as_of", [](const profile& p) { return p.as_of; })
      .def_property_readonly("window_start", [](const profile& p) { return p.window_start; })
      .def_property_readonly("time_zone", [](const profile& p) { return p.time_zone; })
      .def_property_readonly("period", [](const profile& p) { return period_name(p.period); })
      .def_property_readonly("has_orders", [](const profile& p) { return p.has_orders; })
      .def_property_readonly("has_quantity", [](const profile& p) { return p.has_quantity; })
      .def_property_readonly("has_channels", [](const profile& p) { return p.has_channels; })
      .def_property_readonly("has_categories", [](const profile& p) { return p.has_categories; })
      .def_property_readonly("has_purchase_days", [](const profile& p) { return p.has_purchase_days; })
      .def_property_readonly("has_spend_series", [](const profile& p) { return !p.series_offsets.empty(); })
      .def_property_readonly("report", [](const profile& p) { return report_dict(p.report); })
      .def_property_readonly("keys_are_strings", [](const profile& p) { return p.customer.is_string; })
      .def("key_ints", [](py::object self) {
        return numpy_view(self.cast<const profile&>().customer.ints, self);
      })
      .def("key_offsets", [](py::object self) {
        return numpy_view(self.cast<const profile&>().customer.offsets, self);
      })
      .def("key_chars", [](py::object self) {
        return numpy_bytes(self.cast<const profile&>().customer.chars, self);
      })
      .def("columns", [](py::object self) {
        // Every per-customer column as a zero-copy numpy view, in output order.
        const profile& p = self.cast<const profile&>();
        py::dict d;
        d["first_purchase"] = numpy_view(p.first_purchase, self);
        d["last_purchase"] = numpy_view(p.last_purchase, self);
        d["recency"] = numpy_view(p.recency, self);
        d["tenure"] = numpy_view(p.tenure, self);
        if (p.has_purchase_days) {
          d["previous_purchase"] = numpy_view(p.previous_purchase, self);
          d["median_gap"] = numpy_view(p.median_gap, self);
        }
        d["frequency"] = numpy_view(p.frequency, self);
        if (p.has_purchase_days) d["purchase_days"] = numpy_view(p.purchase_days, self);
        d["transactions"] = numpy_view(p.transactions, self);
        d["returns"] = numpy_view(p.returns, self);
        d["monetary"] = numpy_view(p.monetary, self);
        d["gross_sales"] = numpy_view(p.gross_sales, self);
        d["returns_value"] = numpy_view(p.returns_value, self);
        d["average_order_value"] = numpy_view(p.average_order_value, self);
        if (p.has_quantity) d["quantity"] = numpy_view(p.quantity, self);
        if (p.has_channels) d["channels"] = numpy_view(p.channels, self);
        if (p.has_categories) d["categories"] = numpy_view(p.categories, self);
        return d;
      })
      .def("to_bytes", [](const profile& p) { return py::bytes(to_bytes(p)); })
      .def_static("from_bytes", [](const py::bytes& b) { return profile_from_bytes(std::string(b)); }, py::arg("data"))
      .def("series", [](py::object self) {
        const profile& p = self.cast<const profile&>();
        py::dict d;
        d["offsets"] = numpy_view(p.series_offsets, self);
        d["period"] = numpy_view(p.series_period, self);
        d["net"] = numpy_view(p.series_net, self);
        return d;
      });

  // One ProfileState may be given to several Python threads (a ProfileBuilder fed from a
  // thread pool): its calls take the state's mutex, after releasing the GIL (never waiting
  // for the mutex while holding the GIL), so they run one at a time.
  py::class_<locked_state>(m, "ProfileState")
      .def(py::init([](std::optional<std::int32_t> as_of, std::optional<std::int32_t> window_start,
                       const time_zone& zone, const std::string& period, bool spend_series,
                       bool purchase_days, const std::string& on_invalid,
                       std::pair<std::int32_t, std::int32_t> valid_dates, unsigned threads) {
             return std::make_unique<locked_state>(profile_state(make_config(
                 as_of, window_start, zone, period, spend_series, purchase_days, on_invalid, valid_dates, threads)));
           }),
           py::arg("as_of"), py::arg("window_start"), py::arg("zone"), py::arg("period"),
           py::arg("spend_series"), py::arg("purchase_days"), py::arg("on_invalid"),
           py::arg("valid_dates"), py::arg("threads"))
      .def("update", [](locked_state& s, const py::list& batches) {
        std::vector<transactions> txs;
        txs.reserve(batches.size());
        for (const py::handle b : batches) txs.push_back(import_batch(b.cast<py::dict>()));
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        s.state.update(txs);
      }, py::arg("batches"))
      .def("merge", [](locked_state& s, const locked_state& other) {
        py::gil_scoped_release release;
        if (&s == &other) {  // refused by profile_state::merge, under one lock
          const std::lock_guard<std::mutex> lock(s.mutex);
          s.state.merge(other.state);
          return;
        }
        const std::scoped_lock lock(s.mutex, other.mutex);  // both, in an order free of deadlock
        s.state.merge(other.state);
      }, py::arg("other"))
      .def("finish", [](const locked_state& s, bool allow_empty) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.state.finish(allow_empty);
      }, py::arg("allow_empty") = false)
      .def("finish_period", [](const locked_state& s) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.state.finish_period();
      })
      .def("merge_window", [](locked_state& s, const locked_state& other) {
        py::gil_scoped_release release;
        if (&s == &other) {
          const std::lock_guard<std::mutex> lock(s.mutex);
          s.state.merge_window(other.state);
          return;
        }
        const std::scoped_lock lock(s.mutex, other.mutex);
        s.state.merge_window(other.state);
      }, py::arg("other"))
      .def("copy", [](const locked_state& s) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        return std::make_unique<locked_state>(s.state);
      })
      .def("to_bytes", [](const locked_state& s) {
        std::string b;
        {
          py::gil_scoped_release release;
          const std::lock_guard<std::mutex> lock(s.mutex);
          b = to_bytes(s.state);
        }
        return py::bytes(b);
      })
      .def_static("from_bytes", [](const py::bytes& b) {
        std::string data(b);
        py::gil_scoped_release release;
        return std::make_unique<locked_state>(profile_state_from_bytes(data));
      }, py::arg("data"))
      .def_property_readonly("rows_read", [](const locked_state& s) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.state.rows_read();
      })
      .def_property_readonly("rows_used", [](const locked_state& s) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.state.rows_used();
      })
      .def_property_readonly("customers", [](const locked_state& s) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.state.customers();
      });
}

}  // namespace tierkit::python
