// Service: plans, the tiers service reads, the contact book (status, due lists, SLA), KPIs,
// occasions and owner assignment. Columns arrive as Arrow capsules (read in place) or
// numpy arrays, and leave as numpy arrays owning the C++ vectors.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include <cstring>
#include <optional>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/error.hpp"
#include "tierkit/over_time/ledger.hpp"
#include "tierkit/service/contacts.hpp"
#include "tierkit/service/kpis.hpp"
#include "tierkit/service/owners.hpp"
#include "tierkit/service/plan.hpp"
#include "tierkit/service/tiers.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

customer_keys keys_of(const py::handle& capsules, const std::string& name) {
  return keys_of_column(import_arrow_column(capsules, name), "tierkit.service");
}

py::object key_arrays(py::object self, const customer_keys& k) {
  if (k.is_string) return py::make_tuple(numpy_view(k.offsets, self), numpy_bytes(k.chars, self));
  return numpy_view(k.ints, self);
}

py::dict report_dict(const contact_report& r) {
  py::dict d;
  d["rows_read"] = r.rows_read;
  d["rows_used"] = r.rows_used;
  d["rows_dropped"] = r.rows_dropped;
  py::list dropped;
  for (const row_issue& i : r.dropped) dropped.append(py::make_tuple(i.column, i.problem, i.rows));
  d["dropped"] = dropped;
  d["unknown_customers"] = r.unknown_customers;
  d["after_as_of"] = r.after_as_of;
  d["not_counted"] = r.not_counted;
  d["other_channels"] = r.other_channels;
  return d;
}

py::dict event_report_dict(const event_report& r) {
  py::dict d;
  d["rows_read"] = r.rows_read;
  d["rows_used"] = r.rows_used;
  d["rows_dropped"] = r.rows_dropped;
  py::list dropped;
  for (const row_issue& i : r.dropped) dropped.append(py::make_tuple(i.column, i.problem, i.rows));
  d["dropped"] = dropped;
  d["unknown_customers"] = r.unknown_customers;
  d["after_as_of"] = r.after_as_of;
  d["other_kinds"] = r.other_kinds;
  return d;
}

template <class E>
py::array_t<std::uint8_t> enum_array(const std::vector<E>& v) {
  static_assert(sizeof(E) == 1, "one-byte enums");
  std::vector<std::uint8_t> b(v.size());
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size());
  return numpy_from(std::move(b));
}

template <class E>
std::vector<E> enums_from(const array_in<std::uint8_t>& a, std::uint8_t limit, const char* what) {
  std::vector<E> out(static_cast<std::size_t>(a.size()));
  for (py::ssize_t i = 0; i < a.size(); ++i) {
    if (a.data()[i] > limit) throw invalid_input(std::string("tierkit: ") + what + " code out of range");
    out[static_cast<std::size_t>(i)] = static_cast<E>(a.data()[i]);
  }
  return out;
}

std::optional<column_view> optional_column(const py::object& capsules, const std::string& name) {
  if (capsules.is_none()) return std::nullopt;
  return import_arrow_column(capsules, name);
}

}  // namespace

void bind_service(py::module_& m) {
  py::class_<contact_rule>(m, "ContactRule")
      .def(py::init([](std::string channel, std::int32_t every_days, std::int32_t per_period, const std::string& period) {
             return contact_rule{std::move(channel), every_days, per_period, parse_period(period)};
           }),
           py::arg("channel") = "", py::arg("every_days") = 0, py::arg("per_period") = 0, py::arg("period") = "month")
      .def_readonly("channel", &contact_rule::channel)
      .def_readonly("every_days", &contact_rule::every_days)
      .def_readonly("per_period", &contact_rule::per_period)
      .def_property_readonly("period", [](const contact_rule& r) { return std::string(period_name(r.period)); });

  py::class_<tier_service>(m, "TierService")
      .def(py::init([](std::string tier, std::string owner_role, std::vector<std::string> channels,
                       std::vector<contact_rule> cadence, std::vector<std::string> benefits, double response_hours,
                       std::int32_t first_contact_days, const std::string& on_upgrade, const std::string& on_downgrade) {
             tier_service t;
             t.tier = std::move(tier);
             t.owner_role = std::move(owner_role);
             t.channels = std::move(channels);
             t.cadence = std::move(cadence);
             t.benefits = std::move(benefits);
             t.response_hours = response_hours;
             t.first_contact_days = first_contact_days;
             t.on_upgrade = parse_owner_change(on_upgrade, ("tierkit.ServicePlan: on_upgrade of tier '" + t.tier + "'").c_str());
             t.on_downgrade = parse_owner_change(on_downgrade, ("tierkit.ServicePlan: on_downgrade of tier '" + t.tier + "'").c_str());
             return t;
           }),
           py::arg("tier"), py::arg("owner_role"), py::arg("channels"), py::arg("cadence"), py::arg("benefits"),
           py::arg("response_hours"), py::arg("first_contact_days"), py::arg("on_upgrade"), py::arg("on_downgrade"))
      .def_readonly("tier", &tier_service::tier)
      .def_readonly("owner_role", &tier_service::owner_role)
      .def_readonly("channels", &tier_service::channels)
      .def_readonly("cadence", &tier_service::cadence)
      .def_readonly("benefits", &tier_service::benefits)
      .def_readonly("response_hours", &tier_service::response_hours)
      .def_readonly("first_contact_days", &tier_service::first_contact_days)
      .def_property_readonly("on_upgrade", [](const tier_service& t) { return std::string(owner_change_name(t.on_upgrade)); })
      .def_property_readonly("on_downgrade", [](const tier_service& t) { return std::string(owner_change_name(t.on_downgrade)); });

  py::class_<service_plan>(m, "ServicePlan")
      .def(py::init([](std::vector<tier_service> tiers, std::vector<std::string> counted) {
             service_plan p;
             p.tiers = std::move(tiers);
             p.counted_outcomes = std::move(counted);
             p.validate("tierkit.ServicePlan");
             return p;
           }),
           py::arg("tiers"), py::arg("counted_outcomes"))
      .def_readonly("tiers", &service_plan::tiers)
      .def_readonly("counted_outcomes", &service_plan::counted_outcomes)
      .def("check_tiers", [](const service_plan& p, const std::vector<std::string>& t, const std::string& what) {
        p.check_tiers(t, what.c_str());
      }, py::arg("tiers"), py::arg("what"))
      .def("channels", &service_plan::channels)
      .def("owner_roles", &service_plan::owner_roles);

  py::class_<service_tiers>(m, "ServiceTiers")
      .def_static("fixed", [](const py::tuple& keys, const std::string& key_name, std::vector<std::string> names,
                              array_in<std::int32_t> tier, array_in<std::int32_t> since, std::optional<array_in<double>> value) {
        customer_keys k = keys_of(keys, key_name);
        std::vector<std::int32_t> t = to_vector(tier), s = to_vector(since);
        service_tiers out;
        {
          py::gil_scoped_release release;
          out = service_tiers::fixed(std::move(k), std::move(names), std::move(t), std::move(s), "tierkit.service");
        }
        if (value) {
          out.value = to_vector(*value);
          out.validate_spells("tierkit.service");
        }
        return out;
      }, py::arg("keys"), py::arg("key_name"), py::arg("tier_names"), py::arg("tier"), py::arg("since"),
         py::arg("value") = py::none())
      .def_static("from_spells", [](const py::tuple& keys, const std::string& key_name, std::vector<std::string> names,
                               array_in<std::int64_t> offsets, array_in<std::int32_t> tier, array_in<std::int32_t> from,
                               array_in<std::int32_t> to, std::optional<array_in<double>> value) {
        service_tiers out;
        out.customers = keys_of(keys, key_name);
        out.tier_names = std::move(names);
        out.offsets = to_vector(offsets);
        out.tier = to_vector(tier);
        out.from = to_vector(from);
        out.to = to_vector(to);
        if (value) out.value = to_vector(*value);
        py::gil_scoped_release release;
        out.validate("tierkit.service");
        return out;
      }, py::arg("keys"), py::arg("key_name"), py::arg("tier_names"), py::arg("offsets"), py::arg("tier"),
         py::arg("from_day"), py::arg("to_day"), py::arg("value") = py::none())
      .def_static("from_ledger", [](const tier_ledger& l, std::optional<array_in<double>> value) {
        service_tiers t = service_tiers::from_ledger(l);
        if (value) {
          t.value = to_vector(*value);
          t.validate_spells("tierkit.service");
        }
        return t;
      }, py::arg("ledger"), py::arg("value") = py::none())
      .def_property_readonly("size", &service_tiers::size)
      .def_readonly("tier_names", &service_tiers::tier_names)
      .def_property_readonly("keys_are_strings", [](const service_tiers& t) { return t.customers.is_string; })
      .def("keys", [](py::object self) { return key_arrays(self, self.cast<const service_tiers&>().customers); })
      .def("spells", [](py::object self) {
        const service_tiers& t = self.cast<const service_tiers&>();
        py::dict d;
        d["offsets"] = numpy_view(t.offsets, self);
        d["tier"] = numpy_view(t.tier, self);
        d["from"] = numpy_view(t.from, self);
        d["to"] = numpy_view(t.to, self);
        return d;
      })
      .def("at", [](const service_tiers& t, std::int32_t day) {
        std::vector<std::int32_t> tier(t.size(), -1), since(t.size(), no_day);
        for (std::size_t i = 0; i < t.size(); ++i) {
          const std::int64_t s = t.at(i, day);
          if (s >= 0) {
            tier[i] = t.tier[static_cast<std::size_t>(s)];
            since[i] = t.from[static_cast<std::size_t>(s)];
          }
        }
        return py::make_tuple(numpy_from(std::move(tier)), numpy_from(std::move(since)));
      }, py::arg("day"));

  py::class_<contact_book>(m, "ContactBook")
      .def(py::init([](const service_plan& plan, const service_tiers& tiers, const py::tuple& customer,
                       const std::string& customer_name, const py::tuple& time, const std::string& time_name,
                       const py::object& channel, const std::string& channel_name, const py::object& outcome,
                       const std::string& outcome_name, std::int32_t as_of, const time_zone& zone,
                       const std::string& on_invalid, unsigned threads) {
             contact_log log;
             log.customer = import_arrow_column(customer, customer_name);
             log.time = import_arrow_column(time, time_name);
             log.channel = optional_column(channel, channel_name);
             log.outcome = optional_column(outcome, outcome_name);
             contact_config c;
             c.as_of = as_of;
             c.zone = zone;
             c.on_invalid = parse_invalid_policy(on_invalid);
             c.threads = threads;
             py::gil_scoped_release release;
             return std::make_unique<contact_book>(plan, tiers, log, c);
           }),
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::arg("plan"), py::arg("tiers"), py::arg("customer"),
           py::arg("customer_name"), py::arg("time"), py::arg("time_name"), py::arg("channel"),
           py::arg("channel_name"), py::arg("outcome"), py::arg("outcome_name"), py::arg("as_of"), py::arg("zone"),
           py::arg("on_invalid"), py::arg("threads"))
      .def_property_readonly("report", [](const contact_book& b) { return report_dict(b.report()); })
      .def_property_readonly("as_of", &contact_book::as_of)
      .def_property_readonly("channels", &contact_book::channels)
      .def("status", [](const contact_book& b) {
        contact_status s;
        {
          py::gil_scoped_release release;
          s = b.status();
        }
        py::dict d;
        d["tier"] = numpy_from(std::move(s.tier));
        d["since"] = numpy_from(std::move(s.since));
        d["last_contact"] = numpy_from(std::move(s.last_contact));
        d["contacts"] = numpy_from(std::move(s.contacts));
        d["last_by_channel"] = numpy_from(std::move(s.last_by_channel));
        d["customer"] = numpy_from(std::move(s.customer));
        d["rule"] = numpy_from(std::move(s.rule));
        d["last"] = numpy_from(std::move(s.last));
        d["due"] = numpy_from(std::move(s.due));
        d["remaining"] = numpy_from(std::move(s.remaining));
        return d;
      })
      .def("due", [](const contact_book& b, std::int32_t within) {
        due_list l;
        {
          py::gil_scoped_release release;
          l = b.due(within);
        }
        py::dict d;
        d["customer"] = numpy_from(std::move(l.customer));
        d["tier"] = numpy_from(std::move(l.tier));
        d["rule"] = numpy_from(std::move(l.rule));
        d["last"] = numpy_from(std::move(l.last));
        d["due"] = numpy_from(std::move(l.due));
        d["days_overdue"] = numpy_from(std::move(l.days_overdue));
        d["remaining"] = numpy_from(std::move(l.remaining));
        d["through"] = l.through;
        return d;
      }, py::arg("within_days"))
      .def("within_cadence", [](const contact_book& b, std::int32_t from, std::int32_t to) {
        std::vector<cadence_state> s;
        {
          py::gil_scoped_release release;
          s = b.within_cadence(from, to);
        }
        return enum_array(s);
      }, py::arg("from_day"), py::arg("to_day"))
      .def("sla_bounds", [](const contact_book& b, const std::string& period, std::int32_t periods) {
        return b.sla_bounds(sla_config{parse_period(period), periods});
      }, py::arg("period"), py::arg("periods"))
      .def("sla", [](const contact_book& b, const std::string& period, std::int32_t periods,
                     std::optional<array_in<std::int32_t>> owner) {
        std::vector<std::int32_t> o;
        if (owner) o = to_vector(*owner);
        sla_table t;
        {
          py::gil_scoped_release release;
          t = b.sla(sla_config{parse_period(period), periods}, owner ? &o : nullptr);
        }
        py::dict d;
        d["period"] = numpy_from(std::move(t.period));
        d["judged_to"] = numpy_from(std::move(t.judged_to));
        d["tier"] = numpy_from(std::move(t.tier));
        d["owner"] = numpy_from(std::move(t.owner));
        d["customers"] = numpy_from(std::move(t.customers));
        d["within"] = numpy_from(std::move(t.within));
        return d;
      }, py::arg("period"), py::arg("periods"), py::arg("owner") = py::none());

  m.def("rows_of", [](const py::tuple& wanted, const py::tuple& table, const std::string& name) {
    const customer_keys w = keys_of(wanted, name), t = keys_of(table, name);
    std::int64_t repeated = 0;
    std::vector<std::int64_t> rows;
    {
      py::gil_scoped_release release;
      rows = rows_of(w, t, &repeated);
    }
    return py::make_tuple(numpy_from(std::move(rows)), repeated);
  }, py::arg("wanted"), py::arg("table"), py::arg("name"));

  m.def("measure_service", [](const contact_book& book, const std::string& period, std::int32_t periods,
                              std::vector<std::string> complaint_kinds, std::vector<std::string> survey_kinds,
                              const std::string& on_invalid, unsigned threads,
                              std::optional<array_in<std::int32_t>> owner, const py::object& feedback,
                              const py::object& purchases) {
    kpi_config c;
    c.periods = sla_config{parse_period(period), periods};
    c.complaint_kinds = std::move(complaint_kinds);
    c.survey_kinds = std::move(survey_kinds);
    c.on_invalid = parse_invalid_policy(on_invalid);
    c.threads = threads;
    std::vector<std::int32_t> o;
    if (owner) o = to_vector(*owner);
    // feedback / purchases: None or a dict {role: (name, capsules)}.
    auto log_of = [](const py::object& spec) {
      std::optional<event_log> l;
      if (spec.is_none()) return l;
      const py::dict d = spec;
      auto col = [&](const char* role) {
        const py::tuple t = d[role];
        return import_arrow_column(t[1], py::cast<std::string>(t[0]));
      };
      l.emplace();
      l->customer = col("customer");
      l->time = col("time");
      if (d.contains("kind")) l->kind = col("kind");
      if (d.contains("value")) l->value = col("value");
      return l;
    };
    const std::optional<event_log> fb = log_of(feedback), pu = log_of(purchases);
    service_kpis k;
    {
      py::gil_scoped_release release;
      k = measure_service(book, c, owner ? &o : nullptr, fb ? &*fb : nullptr, pu ? &*pu : nullptr);
    }
    py::dict d;
    d["period"] = numpy_from(std::move(k.period));
    d["judged_to"] = numpy_from(std::move(k.judged_to));
    d["tier"] = numpy_from(std::move(k.tier));
    d["owner"] = numpy_from(std::move(k.owner));
    d["state"] = enum_array(k.state);
    d["customers"] = numpy_from(std::move(k.customers));
    d["contacts"] = numpy_from(std::move(k.contacts));
    d["planned"] = numpy_from(std::move(k.planned));
    d["complaints"] = numpy_from(std::move(k.complaints));
    d["surveys"] = numpy_from(std::move(k.surveys));
    d["scored"] = numpy_from(std::move(k.scored));
    d["survey_sum"] = numpy_from(std::move(k.survey_sum));
    d["purchases"] = numpy_from(std::move(k.purchases));
    d["sales"] = numpy_from(std::move(k.sales));
    d["buyers"] = numpy_from(std::move(k.buyers));
    d["feedback_report"] = event_report_dict(k.feedback_report);
    d["purchase_report"] = event_report_dict(k.purchase_report);
    return d;
  }, py::arg("book"), py::arg("period"), py::arg("periods"), py::arg("complaint_kinds"), py::arg("survey_kinds"),
     py::arg("on_invalid"), py::arg("threads"), py::arg("owner"), py::arg("feedback"), py::arg("purchases"));

  m.def("find_occasions", [](const service_tiers& tiers, const py::tuple& keys, const std::string& key_name,
                             std::vector<std::string> names, const std::vector<array_in<std::int32_t>>& dates,
                             std::int32_t as_of, std::int32_t days) {
    occasion_dates od;
    od.customers = keys_of(keys, key_name);
    od.names = std::move(names);
    for (const auto& d : dates) od.dates.push_back(to_vector(d));
    occasion_list l;
    {
      py::gil_scoped_release release;
      l = find_occasions(tiers, od, as_of, days);
    }
    py::dict d;
    d["customer"] = numpy_from(std::move(l.customer));
    d["tier"] = numpy_from(std::move(l.tier));
    d["occasion"] = numpy_from(std::move(l.occasion));
    d["date"] = numpy_from(std::move(l.date));
    d["on"] = numpy_from(std::move(l.on));
    d["years"] = numpy_from(std::move(l.years));
    d["unknown_customers"] = l.unknown_customers;
    return d;
  }, py::arg("tiers"), py::arg("keys"), py::arg("key_name"), py::arg("names"), py::arg("dates"), py::arg("as_of"),
     py::arg("days"));

  py::class_<owner_assignment> assignment(m, "OwnerAssignment");
  assignment
      .def_static("from_columns", [](std::int32_t date, const py::tuple& customers, const std::string& customer_name,
                                     std::vector<std::string> tier_names, array_in<std::int32_t> tier,
                                     const py::object& owners, const std::string& owner_name,
                                     array_in<std::int32_t> owner, array_in<std::int32_t> credited,
                                     array_in<std::int32_t> since, array_in<std::uint8_t> reason) {
        owner_assignment a;
        a.date = date;
        a.customers = keys_of(customers, customer_name);
        a.tier_names = std::move(tier_names);
        a.tier = to_vector(tier);
        if (!owners.is_none()) a.owners = keys_of(owners, owner_name);
        a.owner = to_vector(owner);
        a.credited_to = to_vector(credited);
        a.owner_since = to_vector(since);
        a.reason = enums_from<owner_reason>(reason, static_cast<std::uint8_t>(owner_reason::pooled), "reason");
        a.validate("tierkit.service.OwnerAssignment");
        return a;
      }, py::arg("date"), py::arg("customers"), py::arg("customer_name"), py::arg("tier_names"), py::arg("tier"),
         py::arg("owners"), py::arg("owner_name"), py::arg("owner"), py::arg("credited_to"), py::arg("owner_since"),
         py::arg("reason"))
      .def_readonly("date", &owner_assignment::date)
      .def_property_readonly("size", &owner_assignment::size)
      .def_readonly("tier_names", &owner_assignment::tier_names)
      .def_readonly("roster_size", &owner_assignment::roster_size)
      .def_readonly("customers_gone", &owner_assignment::customers_gone)
      .def_readonly("role", &owner_assignment::role)
      .def_readonly("branch", &owner_assignment::branch)
      .def_property_readonly("customers_are_strings", [](const owner_assignment& a) { return a.customers.is_string; })
      .def_property_readonly("owners_are_strings", [](const owner_assignment& a) { return a.owners.is_string; })
      .def("customer_keys", [](py::object self) { return key_arrays(self, self.cast<const owner_assignment&>().customers); })
      .def("owner_keys", [](py::object self) { return key_arrays(self, self.cast<const owner_assignment&>().owners); })
      .def("columns", [](py::object self) {
        const owner_assignment& a = self.cast<const owner_assignment&>();
        py::dict d;
        d["tier"] = numpy_view(a.tier, self);
        d["owner"] = numpy_view(a.owner, self);
        d["credited_to"] = numpy_view(a.credited_to, self);
        d["owner_since"] = numpy_view(a.owner_since, self);
        d["previous_owner"] = numpy_view(a.previous_owner, self);
        d["reason"] = enum_array(a.reason);
        d["cause"] = enum_array(a.cause);
        d["capacity"] = numpy_view(a.capacity, self);
        d["load"] = numpy_view(a.load, self);
        d["active"] = numpy_view(a.active, self);
        return d;
      });
  bind_equality(assignment);

  m.def("assign_owners", [](const service_plan& plan, const py::tuple& ids, const std::string& id_name,
                            std::vector<std::string> role, std::vector<std::string> branch,
                            array_in<std::int64_t> capacity, std::optional<array_in<std::uint8_t>> active,
                            const service_tiers& tiers, std::int32_t date, array_in<std::int32_t> customer_branch,
                            std::vector<std::string> branch_names, std::optional<array_in<std::int32_t>> choice,
                            const py::typing::Optional<owner_assignment>& previous_or_none) {
    const owner_assignment* previous =
        previous_or_none.is_none() ? nullptr : &previous_or_none.cast<const owner_assignment&>();
    owner_roster r;
    r.id = keys_of(ids, id_name);
    r.role = std::move(role);
    r.branch = std::move(branch);
    r.capacity = to_vector(capacity);
    if (active) r.active = to_vector(*active);
    owner_request q;
    q.date = date;
    q.tiers = &tiers;
    q.branch = to_vector(customer_branch);
    q.branch_names = std::move(branch_names);
    if (choice) q.choice = to_vector(*choice);
    py::gil_scoped_release release;
    return assign_owners(plan, r, q, previous);
  }, py::arg("plan"), py::arg("ids"), py::arg("id_name"), py::arg("role"), py::arg("branch"), py::arg("capacity"),
     py::arg("active"), py::arg("tiers"), py::arg("date"), py::arg("customer_branch"), py::arg("branch_names"),
     py::arg("choice"), py::arg("previous"));

  m.def("owner_coverage", [](const owner_assignment& a, const service_plan& plan) {
    owner_coverage c = coverage(a, plan);
    py::dict d;
    d["tier"] = numpy_from(std::move(c.tier));
    d["customers"] = numpy_from(std::move(c.customers));
    d["needing"] = numpy_from(std::move(c.needing));
    d["with_owner"] = numpy_from(std::move(c.with_owner));
    d["with_role"] = numpy_from(std::move(c.with_role));
    d["pooled"] = numpy_from(std::move(c.pooled));
    return d;
  }, py::arg("assignment"), py::arg("plan"));

  m.def("owners_of", [](const owner_assignment& a, const service_tiers& t) {
    return numpy_from(owners_of(a, t.customers));
  }, py::arg("assignment"), py::arg("tiers"));

  m.attr("OWNER_REASONS") = std::vector<std::string>{
      owner_reason_name(owner_reason::not_needed), owner_reason_name(owner_reason::kept),
      owner_reason_name(owner_reason::choice), owner_reason_name(owner_reason::assigned),
      owner_reason_name(owner_reason::pooled)};
  std::vector<std::string> causes;
  for (int c = 0; c <= static_cast<int>(owner_cause::at_capacity); ++c) {
    causes.emplace_back(owner_cause_name(static_cast<owner_cause>(c)));
  }
  m.attr("OWNER_CAUSES") = causes;
  m.attr("CADENCE_STATES") = std::vector<std::string>{"not judged", "within", "missed"};
}

}  // namespace tierkit::python
