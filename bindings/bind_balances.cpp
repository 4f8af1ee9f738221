// Average daily balances per account and per customer.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/balances.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {
column_view column(const py::tuple& spec) {
  return import_arrow_column(spec[1], spec[0].cast<std::string>());
}

}  // namespace

void bind_balances(py::module_& m) {
  py::class_<account_balances>(m, "AccountBalances")
      .def_property_readonly("keys_are_strings", [](const account_balances& b) { return b.accounts.is_string; })
      .def("key_ints", [](py::object self) { return numpy_view(self.cast<const account_balances&>().accounts.ints, self); })
      .def("key_offsets", [](py::object self) { return numpy_view(self.cast<const account_balances&>().accounts.offsets, self); })
      .def("key_chars", [](py::object self) { return numpy_bytes(self.cast<const account_balances&>().accounts.chars, self); })
      .def("columns", [](py::object self) {
        const account_balances& b = self.cast<const account_balances&>();
        py::dict d;
        d["offsets"] = numpy_view(b.offsets, self);
        d["period"] = numpy_view(b.period, self);
        d["average"] = numpy_view(b.average, self);
        d["days"] = numpy_view(b.days, self);
        return d;
      })
      .def_property_readonly("from_day", [](const account_balances& b) { return b.from_day; })
      .def_property_readonly("through_day", [](const account_balances& b) { return b.through_day; })
      .def_property_readonly("report", [](const account_balances& b) {
        py::dict d;
        d["rows_read"] = b.report.rows_read;
        d["rows_used"] = b.report.rows_used;
        d["rows_dropped"] = b.report.rows_dropped;
        py::list dropped;
        for (const row_issue& i : b.report.dropped) dropped.append(py::make_tuple(i.column, i.problem, i.rows));
        d["dropped"] = dropped;
        return d;
      });

  py::class_<customer_balances>(m, "CustomerBalances")
      .def_property_readonly("keys_are_strings", [](const customer_balances& b) { return b.customers.is_string; })
      .def("key_ints", [](py::object self) { return numpy_view(self.cast<const customer_balances&>().customers.ints, self); })
      .def("key_offsets", [](py::object self) { return numpy_view(self.cast<const customer_balances&>().customers.offsets, self); })
      .def("key_chars", [](py::object self) { return numpy_bytes(self.cast<const customer_balances&>().customers.chars, self); })
      .def("columns", [](py::object self) {
        const customer_balances& b = self.cast<const customer_balances&>();
        py::dict d;
        d["offsets"] = numpy_view(b.offsets, self);
        d["period"] = numpy_view(b.period, self);
        d["average"] = numpy_view(b.average, self);
        return d;
      })
      .def_property_readonly("accounts_without_events", [](const customer_balances& b) { return b.accounts_without_events; });

  m.def("average_daily_balances",
        [](const py::tuple& account, const py::tuple& time, const py::tuple& value,
           const std::string& input, const std::string& period, std::optional<std::int32_t> from_day,
           std::optional<std::int32_t> through_day, const time_zone& zone,
           const std::string& on_invalid, std::optional<py::tuple> start_account,
           std::optional<py::tuple> start_balance, unsigned threads,
           std::pair<std::int32_t, std::int32_t> valid_dates) {
          balance_events ev{column(account), column(time), column(value)};
          balance_config cfg;
          cfg.input = parse_balance_input(input);
          cfg.period = parse_period(period);
          cfg.from_day = from_day;
          cfg.through_day = through_day;
          cfg.zone = zone;
          cfg.on_invalid = parse_invalid_policy(on_invalid);
          cfg.valid_dates = day_range{valid_dates.first, valid_dates.second};
          cfg.threads = threads;
          std::optional<start_balances> starts;
          if (start_account && start_balance) starts = start_balances{column(*start_account), column(*start_balance)};
          py::gil_scoped_release release;
          return average_daily_balances(ev, cfg, starts ? &*starts : nullptr);
        },
        py::arg("account"), py::arg("time"), py::arg("value"), py::arg("input"), py::arg("period"),
        py::arg("from_day"), py::arg("through_day"), py::arg("zone"), py::arg("on_invalid"),
        py::arg("start_account") = py::none(), py::arg("start_balance") = py::none(),
        py::arg("threads") = 0,
        py::arg("valid_dates") = std::make_pair(day_range{}.first, day_range{}.last));

  m.def("balances_by_customer",
        [](const account_balances& b, const py::tuple& account, const py::tuple& customer,
           std::optional<py::tuple> asset_type, const std::map<std::string, double>& weights) {
          account_owners o{column(account), column(customer), std::nullopt};
          if (asset_type) o.asset_type = column(*asset_type);
          py::gil_scoped_release release;
          return balances_by_customer(b, o, weights);
        },
        py::arg("balances"), py::arg("account"), py::arg("customer"), py::arg("asset_type"),
        py::arg("weights"));
}

}  // namespace tierkit::python
