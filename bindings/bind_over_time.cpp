// Tiers over time: periods of a history, assessment profiles, transition rules, overrides
// and the tier ledger. Columns reach numpy as views (ledger tables) or owned arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/error.hpp"
#include "tierkit/over_time/assessment_profile.hpp"
#include "tierkit/over_time/ledger.hpp"
#include "tierkit/over_time/rolling_profile.hpp"
#include "tierkit/serialization.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

// Enum columns as small integers for numpy.
template <class E>
py::array_t<std::uint8_t> enum_view(const std::vector<E>& v, py::handle owner) {
  static_assert(sizeof(E) == 1, "one-byte enums");
  if (v.empty()) return py::array_t<std::uint8_t>(0);
  py::array_t<std::uint8_t> a({static_cast<py::ssize_t>(v.size())}, {1},
                              reinterpret_cast<const std::uint8_t*>(v.data()), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

customer_keys keys_from(py::object keys) {
  customer_keys k;
  if (py::isinstance<py::array>(keys) && py::array(keys).dtype().kind() != 'O' &&
      py::array(keys).dtype().kind() != 'U') {
    k.ints = to_vector(py::cast<array_in<std::int64_t>>(keys));
    return k;
  }
  k.is_string = true;
  k.offsets.push_back(0);
  for (const py::handle s : keys) {
    k.chars += py::cast<std::string>(s);
    k.offsets.push_back(static_cast<std::int64_t>(k.chars.size()));
  }
  return k;
}

py::dict spells_dict(py::object self) {
  const spell_table& s = self.cast<const tier_ledger&>().spells();
  py::dict d;
  d["customer"] = numpy_view(s.customer, self);
  d["tier"] = numpy_view(s.tier, self);
  d["from"] = numpy_view(s.from, self);
  d["to"] = numpy_view(s.to, self);
  d["reason"] = enum_view(s.reason, self);
  d["rule"] = numpy_view(s.rule, self);
  d["version"] = numpy_view(s.version, self);
  d["previous_tier"] = numpy_view(s.previous_tier, self);
  return d;
}

// Records of assessment k (all assessments when k < 0) as numpy arrays: the stored
// columns, and the customer, date, version and projected downgrade date of each row.
py::dict records_dict(const tier_ledger& l, std::int64_t k) {
  const assessment_records& r = l.records();
  const auto& off = l.record_offsets();
  const auto& dates = l.assessment_dates();
  const auto& versions = l.assessment_versions();
  const std::size_t first = k < 0 ? 0 : static_cast<std::size_t>(k);
  const std::size_t last = k < 0 ? dates.size() : static_cast<std::size_t>(k) + 1;
  const auto lo = static_cast<std::size_t>(off[first]), hi = static_cast<std::size_t>(off[last]);
  const std::size_t n = hi - lo;
  std::vector<std::int32_t> date(n), version(n), down(n);
  std::vector<std::uint32_t> customer(n);
  for (std::size_t a = first; a < last; ++a) {
    for (auto row = static_cast<std::size_t>(off[a]); row < static_cast<std::size_t>(off[a + 1]); ++row) {
      const std::size_t i = row - lo;
      date[i] = dates[a];
      version[i] = versions[a];
      customer[i] = static_cast<std::uint32_t>(row - static_cast<std::size_t>(off[a]));
      down[i] = r.left[row] > 0 ? l.downgrade_on(a, row) : no_day;
    }
  }
  auto slice = [&](const auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    return numpy_from(std::vector<T>(v.begin() + static_cast<std::ptrdiff_t>(lo), v.begin() + static_cast<std::ptrdiff_t>(hi)));
  };
  py::dict d;
  d["date"] = numpy_from(std::move(date));
  d["customer"] = numpy_from(std::move(customer));
  d["raw"] = slice(r.raw);
  d["rule"] = slice(r.rule);
  d["held"] = slice(r.held);
  d["below"] = slice(r.below);
  d["downgrade_on"] = numpy_from(std::move(down));
  std::vector<std::uint8_t> active(n);
  for (std::size_t i = 0; i < n; ++i) active[i] = static_cast<std::uint8_t>(r.override_active[lo + i]);
  d["override"] = numpy_from(std::move(active));
  d["protected_new"] = slice(r.protected_new);
  d["version"] = numpy_from(std::move(version));
  return d;
}

}  // namespace

// Registered before the profile's bindings, whose ProfileState.finish_period returns one:
// a type must be known to pybind11 before a signature names it (the stubs read signatures).
void bind_period_table(py::module_& m) {
  py::class_<period_table>(m, "PeriodTable")
      .def_property_readonly("size", &period_table::size)
      .def_property_readonly("start", &period_table::start)
      .def_property_readonly("end", &period_table::end)
      .def_property_readonly("keys_are_strings", [](const period_table& t) { return t.customers().is_string; })
      .def("key_ints", [](py::object self) { return numpy_view(self.cast<const period_table&>().customers().ints, self); })
      .def("key_offsets", [](py::object self) { return numpy_view(self.cast<const period_table&>().customers().offsets, self); })
      .def("key_chars", [](py::object self) { return numpy_bytes(self.cast<const period_table&>().customers().chars, self); })
      .def("monetary", [](const period_table& t) { return numpy_from(t.monetary()); })
      .def("bought", [](const period_table& t) { return numpy_from(t.bought()); })
      .def("purchase_days", [](py::object self) {  // (offsets, days) views, no copy
        const period_table& t = self.cast<const period_table&>();
        return py::make_tuple(numpy_view(t.purchase_day_offsets(), self), numpy_view(t.purchase_days(), self));
      })
      .def_property_readonly("rows_read", [](const period_table& t) { return t.report().rows_read; })
      .def_property_readonly("rows_used", [](const period_table& t) { return t.report().rows_used; })
      .def_property_readonly("rows_dropped", [](const period_table& t) { return t.report().rows_dropped; })
      .def_property_readonly("dropped", [](const period_table& t) {
        py::list out;
        for (const row_issue& i : t.report().dropped) out.append(py::make_tuple(i.column, i.problem, i.rows));
        return out;
      })
      .def("to_bytes", [](const period_table& t) { return py::bytes(to_bytes(t)); })
      .def_static("from_bytes", [](const py::bytes& b) { return period_table_from_bytes(std::string(b)); },
                  py::arg("data"));
}

void bind_over_time(py::module_& m) {
  m.def("split_by_period", [](const py::tuple& capsules, const std::string& name, const time_zone& zone,
                              const std::vector<std::int32_t>& cuts, unsigned threads) {
    const column_view time = import_arrow_column(capsules, name);
    period_rows r;
    {
      py::gil_scoped_release release;
      r = split_by_period(time, zone, cuts, threads);
    }
    py::object order = r.order.empty() ? py::object(py::none()) : py::object(numpy_from(std::move(r.order)));
    return py::make_tuple(numpy_from(std::move(r.offsets)), order);
  }, py::arg("capsules"), py::arg("name"), py::arg("zone"), py::arg("cuts"), py::arg("threads"));

  m.def("day_span", [](const py::tuple& capsules, const std::string& name, const time_zone& zone,
                       std::pair<std::int32_t, std::int32_t> within, unsigned threads) {
    const column_view time = import_arrow_column(capsules, name);
    py::gil_scoped_release release;
    return day_span(time, zone, day_range{within.first, within.second}, threads);
  }, py::arg("capsules"), py::arg("name"), py::arg("zone"), py::arg("within"), py::arg("threads"));

  py::class_<customer_history>(m, "CustomerHistory")
      .def(py::init<>())
      .def("add", [](customer_history& h, const profile& p) {
        py::gil_scoped_release release;
        h.add(p);
      }, py::arg("profile"))
      .def_property_readonly("size", &customer_history::size)
      .def("copy", [](const customer_history& h) { return customer_history(h); })
      .def("add_table", [](customer_history& h, const period_table& t) {
        py::gil_scoped_release release;
        h.add(t);
      }, py::arg("table"))
      .def("to_bytes", [](const customer_history& h) { return py::bytes(to_bytes(h)); })
      .def_static("from_bytes", [](const py::bytes& b) { return customer_history_from_bytes(std::string(b)); },
                  py::arg("data"));

  m.def("wrap_envelope", [](const std::string& kind, const py::bytes& payload) {
    return py::bytes(wrap_envelope(kind, std::string(payload)));
  }, py::arg("kind"), py::arg("payload"));
  m.def("unwrap_envelope", [](const py::bytes& bytes, const std::string& kind) {
    // Read in place: a tier history's state runs to hundreds of megabytes.
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(bytes.ptr(), &data, &size) != 0) throw py::error_already_set();
    const std::string payload = unwrap_envelope(std::string_view(data, static_cast<std::size_t>(size)), kind);
    return py::bytes(payload);
  }, py::arg("data"), py::arg("kind"));

  py::class_<rolling_profile>(m, "RollingProfile")
      .def(py::init<>())
      .def("push", [](rolling_profile& r, const period_table& t, unsigned threads) {
        py::gil_scoped_release release;
        r.push(t, threads);
      }, py::arg("table"), py::arg("threads") = 0)
      .def("drop_before", [](rolling_profile& r, std::int32_t day, unsigned threads) {
        py::gil_scoped_release release;
        r.drop_before(day, threads);
      }, py::arg("day"), py::arg("threads") = 0)
      .def("remember", [](rolling_profile& r, const customer_history& h) {
        py::gil_scoped_release release;
        r.remember(h);
      }, py::arg("history"))
      .def("current", [](const rolling_profile& r, std::int32_t as_of, std::optional<std::int32_t> start, unsigned threads) {
        py::gil_scoped_release release;
        return r.current(as_of, start, threads);
      }, py::arg("as_of"), py::arg("window_start"), py::arg("threads") = 0)
      .def_property_readonly("customers", &rolling_profile::customers)
      .def_property_readonly("periods_held", &rolling_profile::periods_held);

  m.def("window_profile", [](const std::vector<const period_table*>& parts, unsigned threads) {
    py::gil_scoped_release release;
    return window_profile(parts, threads);
  }, py::arg("parts"), py::arg("threads") = 0);

  m.def("assessment_profile", [](const profile& window, const customer_history& before, std::int32_t as_of,
                                 std::optional<std::int32_t> window_start) {
    py::gil_scoped_release release;
    return assessment_profile(window, before, as_of, window_start);
  }, py::arg("window"), py::arg("before"), py::arg("as_of"), py::arg("window_start"));

  m.def("assessment_dates", [](const std::string& frequency, std::int32_t from, std::int32_t through) {
    return assessment_dates(parse_frequency(frequency), from, through);
  }, py::arg("frequency"), py::arg("from_day"), py::arg("through"));
  m.def("months_before", &months_before, py::arg("day"), py::arg("months"));
  m.def("assessment_after", [](const std::string& frequency, std::int32_t day, std::int32_t k) {
    return assessment_after(parse_frequency(frequency), day, k);
  }, py::arg("frequency"), py::arg("day"), py::arg("k"));
  m.def("is_assessment_date", [](const std::string& frequency, std::int32_t day) {
    return is_assessment_date(parse_frequency(frequency), day);
  }, py::arg("frequency"), py::arg("day"));
  m.def("check_assessment_dates", [](const std::vector<std::int32_t>& d, const std::string& what) {
    check_assessment_dates(d, what.c_str());
  }, py::arg("dates"), py::arg("what"));

  py::class_<tier_transition>(m, "TierTransition")
      .def(py::init([](std::int32_t up, std::int32_t down, const std::string& to) {
             return tier_transition{up, down, parse_downgrade_target(to)};
           }),
           py::arg("upgrade_after") = 1, py::arg("downgrade_after") = 1, py::arg("downgrade_to") = "raw")
      .def_readonly("upgrade_after", &tier_transition::upgrade_after)
      .def_readonly("downgrade_after", &tier_transition::downgrade_after)
      .def_property_readonly("downgrade_to", [](const tier_transition& t) {
        return std::string(downgrade_target_name(t.downgrade_to));
      });

  py::class_<policy_version>(m, "PolicyVersion")
      .def(py::init([](std::string label, std::int32_t from, std::string fingerprint,
                       std::vector<std::string> tiers, std::vector<tier_transition> transitions,
                       std::int32_t protect, std::vector<std::string> rule_names) {
             policy_version v;
             v.label = std::move(label);
             v.effective_from = from;
             v.fingerprint = std::move(fingerprint);
             v.rules.tiers = std::move(tiers);
             v.rules.transitions = std::move(transitions);
             v.rules.protect_new_days = protect;
             v.rules.validate("tierkit.PolicyVersion");
             v.rule_names = std::move(rule_names);
             return v;
           }),
           py::arg("label"), py::arg("effective_from"), py::arg("fingerprint"), py::arg("tiers"),
           py::arg("transitions"), py::arg("protect_new_days"), py::arg("rule_names"))
      .def_readonly("label", &policy_version::label)
      .def_readonly("effective_from", &policy_version::effective_from)
      .def_readonly("fingerprint", &policy_version::fingerprint)
      .def_readonly("rule_names", &policy_version::rule_names)
      .def_property_readonly("tiers", [](const policy_version& v) { return v.rules.tiers; })
      .def_property_readonly("transitions", [](const policy_version& v) { return v.rules.transitions; })
      .def_property_readonly("protect_new_days", [](const policy_version& v) { return v.rules.protect_new_days; });
  m.def("policy_fingerprint", [](const std::string& text) { return policy_fingerprint(text); }, py::arg("text"));

  py::class_<tier_overrides>(m, "TierOverrides")
      .def(py::init([](py::object keys, std::vector<std::string> tier, array_in<std::int32_t> from,
                       array_in<std::int32_t> to, std::vector<std::string> kind,
                       std::vector<std::string> reason, std::vector<std::string> by) {
             tier_overrides o;
             o.customer = keys_from(keys);
             o.tier = std::move(tier);
             o.from = to_vector(from);
             o.to = to_vector(to);
             for (const std::string& k : kind) o.kind.push_back(parse_override_kind(k));
             o.reason = std::move(reason);
             o.operator_name = std::move(by);
             o.validate("tierkit.TierOverrides");
             return o;
           }),
           py::arg("customers"), py::arg("tier"), py::arg("from_day"), py::arg("to_day"), py::arg("kind"),
           py::arg("reason"), py::arg("operator"))
      .def(py::init<>())
      .def_property_readonly("size", &tier_overrides::size)
      .def_readonly("tier", &tier_overrides::tier)
      .def_readonly("reason", &tier_overrides::reason)
      .def_readonly("operator", &tier_overrides::operator_name)
      .def_property_readonly("from_day", [](const tier_overrides& o) { return o.from; })
      .def_property_readonly("to_day", [](const tier_overrides& o) { return o.to; })
      .def_property_readonly("kind", [](const tier_overrides& o) {
        std::vector<std::string> k;
        for (override_kind x : o.kind) k.emplace_back(override_kind_name(x));
        return k;
      })
      .def_property_readonly("keys_are_strings", [](const tier_overrides& o) { return o.customer.is_string; })
      .def("key_ints", [](py::object self) { return numpy_view(self.cast<const tier_overrides&>().customer.ints, self); })
      .def("key_offsets", [](py::object self) { return numpy_view(self.cast<const tier_overrides&>().customer.offsets, self); })
      .def("key_chars", [](py::object self) { return numpy_bytes(self.cast<const tier_overrides&>().customer.chars, self); });

  py::class_<tier_ledger> ledger(m, "TierLedger");
  ledger
      .def(py::init([](const policy_version& first, const tier_overrides& overrides,
                       std::optional<std::string> frequency) {
             ledger_config c;
             if (frequency) c.frequency = parse_frequency(*frequency);
             return tier_ledger(first, overrides, c);
           }),
           py::arg("first"), py::arg("overrides"), py::arg("frequency"))
      .def("add_version", &tier_ledger::add_version, py::arg("version"))
      .def("set_overrides", &tier_ledger::set_overrides, py::arg("overrides"))
      .def("advance", [](tier_ledger& l, std::int32_t date, const profile& customers,
                         array_in<std::int32_t> raw, array_in<std::int32_t> rule,
                         array_in<std::int32_t> first_purchase) {
        assessment_input a;
        a.date = date;
        a.customers = &customers.customer;
        a.raw = to_vector(raw);
        a.rule = to_vector(rule);
        a.first_purchase = to_vector(first_purchase);
        py::gil_scoped_release release;
        l.advance(a);
      }, py::arg("date"), py::arg("customers"), py::arg("raw"), py::arg("rule"), py::arg("first_purchase"))
      .def_property_readonly("customers", &tier_ledger::customers)
      .def_property_readonly("tier_names", &tier_ledger::tier_names)
      .def_property_readonly("versions", &tier_ledger::versions)
      .def_property_readonly("overrides", &tier_ledger::overrides)
      .def_property_readonly("frequency", [](const tier_ledger& l) -> std::optional<std::string> {
        if (!l.config().frequency) return std::nullopt;
        return std::string(frequency_name(*l.config().frequency));
      })
      .def_property_readonly("dates", &tier_ledger::assessment_dates)
      .def("record_offsets", [](py::object self) { return numpy_view(self.cast<const tier_ledger&>().record_offsets(), self); })
      .def_property_readonly("keys_are_strings", [](const tier_ledger& l) { return l.keys().is_string; })
      .def("key_ints", [](py::object self) { return numpy_view(self.cast<const tier_ledger&>().keys().ints, self); })
      .def("key_offsets", [](py::object self) { return numpy_view(self.cast<const tier_ledger&>().keys().offsets, self); })
      .def("key_chars", [](py::object self) { return numpy_bytes(self.cast<const tier_ledger&>().keys().chars, self); })
      .def("spells", &spells_dict)
      .def("records", &records_dict, py::arg("assessment") = -1)
      .def("held", [](py::object self) {  // the held tier id of every record (no copy)
        return numpy_view(self.cast<const tier_ledger&>().records().held, self);
      })
      .def_property_readonly("versions_by_date", &tier_ledger::assessment_versions)
      .def("find", [](const tier_ledger& l, const profile& p) { return numpy_from(l.find(p.customer)); }, py::arg("profile"))
      .def("find_table", [](const tier_ledger& l, const period_table& t) { return numpy_from(l.find(t.customers())); },
           py::arg("table"))
      .def("find_keys", [](const tier_ledger& l, py::object keys) { return numpy_from(l.find(keys_from(keys))); },
           py::arg("keys"))
      .def("at", [](const tier_ledger& l, std::int32_t day) {
        tier_snapshot s = l.at(day);
        py::dict d;
        d["customer"] = numpy_from(std::move(s.customer));
        d["tier"] = numpy_from(std::move(s.tier));
        d["since"] = numpy_from(std::move(s.since));
        d["spell"] = numpy_from(std::move(s.spell));
        return d;
      }, py::arg("day"))
      .def("migration", [](const tier_ledger& l, std::int32_t from, std::int32_t to, std::optional<array_in<double>> value) {
        std::vector<double> v;
        if (value) v = to_vector(*value);
        migration_matrix mm = l.migration(from, to, value ? &v : nullptr);
        py::dict d;
        d["from_tiers"] = mm.from_tiers;
        d["to_tiers"] = mm.to_tiers;
        d["counts"] = numpy_from(std::move(mm.counts));
        d["value"] = value ? py::object(numpy_from(std::move(mm.value))) : py::object(py::none());
        return d;
      }, py::arg("from_day"), py::arg("to_day"), py::arg("value") = py::none())
      .def("flows", [](const tier_ledger& l) {
        tier_flows f = l.flows();
        py::dict d;
        d["date"] = numpy_from(std::move(f.date));
        d["from"] = numpy_from(std::move(f.from));
        d["to"] = numpy_from(std::move(f.to));
        d["customers"] = numpy_from(std::move(f.customers));
        return d;
      })
      .def("changes", [](const tier_ledger& l, std::int32_t from, std::int32_t to) { return numpy_from(l.changes(from, to)); },
           py::arg("from_day"), py::arg("to_day"))
      .def("history", [](const tier_ledger& l, std::uint32_t c) { return numpy_from(l.history(c)); }, py::arg("customer"))
      .def("check_invariants", &tier_ledger::check_invariants)
      .def("copy", [](const tier_ledger& l) { return tier_ledger(l); });
  bind_equality(ledger);
  bind_persistence<tier_ledger, &tier_ledger_from_bytes>(ledger);
  m.attr("NO_TIER") = no_tier;
  m.attr("RULE_NONE") = rule_none;
  m.attr("REASONS") = std::vector<std::string>{
      change_reason_name(change_reason::none), change_reason_name(change_reason::initial),
      change_reason_name(change_reason::upgrade), change_reason_name(change_reason::downgrade),
      change_reason_name(change_reason::manual), change_reason_name(change_reason::override_expired),
      change_reason_name(change_reason::policy_changed)};
  m.attr("OVERRIDE_KINDS") = std::vector<std::string>{"none", "fixed", "floor"};
}

}  // namespace tierkit::python
