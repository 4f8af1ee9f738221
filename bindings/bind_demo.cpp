// The demo transaction generator.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tierkit/demo.hpp"
#include "tierkit/error.hpp"

namespace py = pybind11;

namespace tierkit::python {

void bind_demo(py::module_& m) {
  py::class_<demo_transactions>(m, "DemoTransactions")
      .def_property_readonly("size", &demo_transactions::size)
      .def_property_readonly("channel_names", [](const demo_transactions& d) { return d.channel_names; })
      .def_property_readonly("category_names", [](const demo_transactions& d) { return d.category_names; })
      .def("columns", [](py::object self) {
        const demo_transactions& d = self.cast<const demo_transactions&>();
        py::dict c;
        if (!d.customer_id.empty()) c["customer_id"] = numpy_view(d.customer_id, self);
        if (!d.customer_offsets.empty()) {
          c["customer_offsets"] = numpy_view(d.customer_offsets, self);
          c["customer_chars"] = numpy_bytes(d.customer_chars, self);
        }
        c["timestamp_us"] = numpy_view(d.timestamp_us, self);
        c["amount"] = numpy_view(d.amount, self);
        c["order_id"] = numpy_view(d.order_id, self);
        c["quantity"] = numpy_view(d.quantity, self);
        c["channel"] = numpy_view(d.channel, self);
        c["category"] = numpy_view(d.category, self);
        return c;
      });

  m.def("generate_demo_transactions",
        [](std::int64_t customers, std::int64_t transactions, std::int32_t first_day,
           std::int32_t days, std::uint64_t seed, double return_rate, double mean_lines,
           const std::string& ids, bool time_ordered, unsigned threads) {
          demo_config c;
          c.customers = customers;
          c.transactions = transactions;
          c.first_day = first_day;
          c.days = days;
          c.seed = seed;
          c.return_rate = return_rate;
          c.mean_lines_per_order = mean_lines;
          if (ids == "dense") c.ids = demo_id_style::dense;
          else if (ids == "sparse") c.ids = demo_id_style::sparse;
          else if (ids == "text") c.ids = demo_id_style::text;
          else throw invalid_input("tierkit.demo.transactions: ids must be 'dense', 'sparse' or "
                                   "'text'; got '" + ids + "'");
          c.time_ordered = time_ordered;
          c.threads = threads;
          py::gil_scoped_release release;
          return generate_demo_transactions(c);
        },
        py::arg("customers"), py::arg("transactions"), py::arg("first_day"), py::arg("days"),
        py::arg("seed"), py::arg("return_rate"), py::arg("mean_lines_per_order"),
        py::arg("ids"), py::arg("time_ordered"), py::arg("threads"));
}

}  // namespace tierkit::python
