// Tier rules: rule tables, expressions and policies.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include <algorithm>
#include <type_traits>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/error.hpp"
#include "tierkit/policy.hpp"
#include "tierkit/serialization.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {
const char* truth_name(truth t) { return t == is_true ? "true" : t == is_false ? "false" : "null"; }
}  // namespace

void bind_policy(py::module_& m) {
  py::class_<rule_table>(m, "RuleTable")
      .def(py::init<>())
      .def(py::init<std::size_t>(), py::arg("rows"))
      .def("add_numbers", [](rule_table& t, const std::string& name,
                             py::array_t<double, py::array::c_style | py::array::forcecast> v) {
        std::vector<double> values(v.data(), v.data() + v.size());
        refuse_shared_use(&t, "tierkit.RuleTable.add_numbers", "table");
        t.add_numbers(name, std::move(values));
      }, py::arg("name"), py::arg("values"))
      .def("add_text", [](rule_table& t, const std::string& name,
                          py::array_t<std::int32_t, py::array::c_style | py::array::forcecast> codes,
                          std::vector<std::string> labels) {
        std::vector<std::int32_t> values(codes.data(), codes.data() + codes.size());
        refuse_shared_use(&t, "tierkit.RuleTable.add_text", "table");
        t.add_text(name, std::move(values), std::move(labels));
      }, py::arg("name"), py::arg("codes"), py::arg("labels"))
      // Borrows the Arrow array behind `capsules` (__arrow_c_array__); keep_alive ties the
      // capsules' lifetime to the table, so the buffers outlive every evaluation.
      .def("add_column", [](rule_table& t, const std::string& name, const py::tuple& capsules) {
        const column_view column = import_arrow_column(capsules, name);
        refuse_shared_use(&t, "tierkit.RuleTable.add_column", "table");
        t.add_column(column);
      }, py::arg("name"), py::arg("capsules"), py::keep_alive<1, 3>())
      // The same for the chunks of a chunked array: a list of capsule pairs, borrowed in
      // place without combining them.
      .def("add_pieces", [](rule_table& t, const std::string& name, const py::list& pieces) {
        std::vector<column_view> views;
        for (const py::handle& p : pieces) views.push_back(import_arrow_column(p, name));
        refuse_shared_use(&t, "tierkit.RuleTable.add_pieces", "table");
        t.add_column(name, views);
      }, py::arg("name"), py::arg("pieces"), py::keep_alive<1, 3>())
      .def_property_readonly("rows", &rule_table::rows)
      .def_property_readonly("names", &rule_table::names);

  py::class_<expression>(m, "Expression")
      .def_static("parse", &expression::parse, py::arg("text"), py::arg("what") = "expression")
      .def_property_readonly("text", &expression::text)
      .def("columns", &expression::columns)
      .def("check", &expression::check, py::arg("table"))
      .def("evaluate", [](const expression& e, const rule_table& t, unsigned threads) {
        std::vector<std::uint8_t> v;
        {
          const shared_use reading(&t);
          py::gil_scoped_release release;
          v = e.evaluate(t, threads);
        }
        return numpy_from(std::move(v));
      }, py::arg("table"), py::arg("threads") = 0)
      .def("evaluate_numbers", [](const expression& e, const rule_table& t, unsigned threads) {
        std::vector<double> v;
        {
          const shared_use reading(&t);
          py::gil_scoped_release release;
          v = e.evaluate_numbers(t, threads);
        }
        return numpy_from(std::move(v));
      }, py::arg("table"), py::arg("threads") = 0);

  // out[i] = table[codes[i]], as int8 when the table's values fit (else int32): a label
  // column of an assignment (tier, attributes) from the rule of each row, in one pass with
  // the GIL released (numpy's fancy indexing is several times slower).
  m.def("recode", [](py::array_t<std::int32_t, py::array::c_style | py::array::forcecast> codes,
                     const std::vector<std::int32_t>& table) -> py::array {
    const std::int32_t* in = codes.data();
    const auto n = static_cast<std::size_t>(codes.size());
    const auto [lo, hi] = std::minmax_element(table.begin(), table.end());
    const bool small = table.empty() || (*lo >= -128 && *hi <= 127);
    auto fill = [&](auto* out) {
      std::size_t bad = 0;
      {
        py::gil_scoped_release release;
        const auto size = static_cast<std::uint32_t>(table.size());
        for (std::size_t i = 0; i < n; ++i) {
          const auto k = static_cast<std::uint32_t>(in[i]);
          const bool ok = k < size;
          bad += !ok;
          out[i] = static_cast<std::remove_pointer_t<decltype(out)>>(ok ? table[k] : 0);
        }
      }
      if (bad > 0) {
        throw invalid_input("tierkit.recode: " + std::to_string(bad) + " codes are outside the table of " +
                            std::to_string(table.size()));
      }
    };
    if (small) {
      py::array_t<std::int8_t> out(static_cast<py::ssize_t>(n));
      fill(out.mutable_data());
      return out;
    }
    py::array_t<std::int32_t> out(static_cast<py::ssize_t>(n));
    fill(out.mutable_data());
    return out;
  }, py::arg("codes"), py::arg("table"));

  py::class_<tier_rule>(m, "TierRule")
      .def(py::init([](std::string tier, std::string condition, std::map<std::string, std::string> attrs) {
             return tier_rule{std::move(tier), std::move(condition), std::move(attrs)};
           }), py::arg("tier"), py::arg("condition"), py::arg("attributes"))
      .def_readonly("tier", &tier_rule::tier)
      .def_readonly("condition", &tier_rule::condition)
      .def_readonly("attributes", &tier_rule::attributes);

  py::class_<tier_policy> policy(m, "TierPolicy");
  policy
      .def(py::init<std::vector<tier_rule>, std::string, std::map<std::string, std::string>>(),
           py::arg("rules"), py::arg("default_tier"), py::arg("default_attributes"))
      .def_property_readonly("rules", &tier_policy::rules)
      .def_property_readonly("default_tier", &tier_policy::default_tier)
      .def_property_readonly("default_attributes", &tier_policy::default_attributes)
      .def("columns", &tier_policy::columns)
      .def("check_schema", &tier_policy::check_schema, py::arg("table"))
      // Per row the rule index; the default tier is len(rules) here (not -1), so the result
      // indexes [rules..., default] directly.
      .def("assign", [](const tier_policy& p, const rule_table& t, unsigned threads) {
        py::array_t<std::int32_t> out(static_cast<py::ssize_t>(t.rows()));  // pages untouched
        std::int32_t* rows = out.mutable_data();
        {
          const shared_use reading(&t);
          py::gil_scoped_release release;
          p.assign_into(t, rows, t.rows(), static_cast<std::int32_t>(p.rules().size()), threads);
        }
        return out;
      }, py::arg("table"), py::arg("threads") = 0)
      .def("check", [](const tier_policy& p, const py::typing::Optional<rule_table>& table, unsigned threads) {
        const rule_table* t = table.is_none() ? nullptr : &table.cast<const rule_table&>();
        rule_check c;
        {
          const shared_use reading(t);
          py::gil_scoped_release release;
          c = p.check(t, threads);
        }
        py::dict d;
        d["matched"] = c.matched;
        d["would_match"] = c.would_match;
        d["defaulted"] = c.defaulted;
        d["unmatched"] = c.unmatched;
        d["contradictory"] = c.contradictory;
        d["covered"] = c.covered;
        return d;
      }, py::arg("table") = py::none(), py::arg("threads") = 0)
      .def("explain", [](const tier_policy& p, const rule_table& t, std::size_t row) {
        const explanation x = p.explain(t, row);
        py::dict d;
        d["matched"] = x.matched;
        d["tier"] = x.tier;
        py::list tried;
        for (const rule_trial& r : x.tried) {
          py::list parts;
          for (const auto& [text, value] : r.parts) parts.append(py::make_tuple(text, truth_name(value)));
          tried.append(py::make_tuple(r.rule, truth_name(r.result), parts));
        }
        d["tried"] = tried;
        d["values"] = x.values;
        return d;
      }, py::arg("table"), py::arg("row"));
  bind_persistence<tier_policy, &tier_policy_from_bytes>(policy);
}

}  // namespace tierkit::python
