// What the service achieved, on a hand-worked case (tierkit/service/kpis.hpp).
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cmath>
#include <string_view>
#include <vector>

using namespace tierkit;

TEST_CASE("KPIs per period, tier and cadence state: contacts made and planned, complaints, surveys, sales") {
  service_plan plan;
  tier_service gold;
  gold.tier = "Gold";
  gold.cadence = {contact_rule{"", 0, 1, period_kind::month}};
  plan.tiers = {gold};
  const std::int32_t jan1 = days_from_civil(2024, 1, 1), feb1 = days_from_civil(2024, 2, 1),
                     mar1 = days_from_civil(2024, 3, 1);
  customer_keys keys;
  keys.ints = {1, 2};
  const service_tiers tiers = service_tiers::fixed(keys, {"Gold"}, {0, 0}, {jan1, jan1});
  // Customer 1 contacted in January only; customer 2 in both months.
  std::vector<std::int64_t> cc = {1, 2, 2};
  std::vector<std::int32_t> cd = {jan1 + 3, jan1 + 4, feb1 + 4};
  contact_log log;
  log.customer = int64_column("customer", cc.data(), cc.size());
  log.time = day_column("time", cd.data(), cd.size());
  contact_config cfg;
  cfg.as_of = mar1;
  const contact_book book(plan, tiers, log, cfg);
  std::vector<std::int64_t> fc = {1, 1, 2, 2, 9};
  std::vector<std::int32_t> fd = {feb1 + 1, feb1 + 2, jan1 + 9, feb1 + 9, jan1};
  std::vector<std::string_view> fk = {"complaint", "survey", "survey", "praise", "survey"};
  std::vector<double> fv = {NAN, 2, 5, NAN, 1};
  event_log fb;
  fb.customer = int64_column("customer", fc.data(), fc.size());
  fb.time = day_column("time", fd.data(), fd.size());
  fb.kind = string_column("kind", fk.data(), fk.size());
  fb.value = float64_column("score", fv.data(), fv.size());
  std::vector<std::int64_t> pc = {1, 2, 2};
  std::vector<std::int32_t> pd = {jan1 + 1, feb1 + 1, feb1 + 2};
  std::vector<double> pv = {100, 50, -20};
  event_log pu;
  pu.customer = int64_column("customer", pc.data(), pc.size());
  pu.time = day_column("time", pd.data(), pd.size());
  pu.value = float64_column("amount", pv.data(), pv.size());
  kpi_config kc;
  kc.periods = sla_config{period_kind::month, 2};
  const service_kpis k = measure_service(book, kc, nullptr, &fb, &pu);
  // January: both within; February: 1 missed, 2 within.
  REQUIRE(k.size() == 3);
  CHECK(k.period == std::vector<std::int32_t>{jan1, feb1, feb1});
  CHECK(k.state == std::vector<cadence_state>{cadence_state::within, cadence_state::within, cadence_state::missed});
  CHECK(k.customers == std::vector<std::int64_t>{2, 1, 1});
  CHECK(k.contacts == std::vector<std::int64_t>{2, 1, 0});
  CHECK(k.planned == std::vector<double>{2, 1, 1});
  CHECK(k.complaints == std::vector<std::int64_t>{0, 0, 1});
  CHECK(k.surveys == std::vector<std::int64_t>{1, 0, 1});
  CHECK(k.survey_sum == std::vector<double>{5, 0, 2});
  CHECK(k.purchases == std::vector<std::int64_t>{1, 1, 0});
  CHECK(k.sales == std::vector<double>{100, 30, 0});
  CHECK(k.buyers == std::vector<std::int64_t>{1, 1, 0});
  CHECK(k.feedback_report.other_kinds == 1);
  CHECK(k.feedback_report.unknown_customers == 1);
}

TEST_CASE("service tiers from the ledger: spells by customer, ranked by the latest version") {
  policy_version v;
  v.label = "v1";
  v.effective_from = first_supported_day;
  v.rules.tiers = {"Gold", "Silver"};
  v.rules.validate("test");
  tier_ledger ledger(v);
  profile p;
  p.customer.ints = {1, 2};
  assessment_input a;
  a.customers = &p.customer;
  a.date = 100;
  a.raw = {1, 0};
  ledger.advance(a);
  a.date = 200;
  a.raw = {0, 0};
  ledger.advance(a);
  const service_tiers t = service_tiers::from_ledger(ledger);
  CHECK(t.tier_names == std::vector<std::string>{"Gold", "Silver"});
  CHECK(t.offsets == std::vector<std::int64_t>{0, 2, 3});
  CHECK(t.tier == std::vector<std::int32_t>{1, 0, 0});
  CHECK(t.from == std::vector<std::int32_t>{100, 200, 100});
  CHECK(t.at(0, 150) == 0);
  CHECK(t.at(0, 250) == 1);
  CHECK(t.at(0, 50) == -1);
}
