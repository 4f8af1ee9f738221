// Contacts, due lists, SLA and occasions on hand-worked cases (tierkit/service/contacts.hpp).
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace tierkit;

namespace {

std::int32_t day_of(int y, int m, int d) { return days_from_civil(y, m, d); }

customer_keys int_keys(std::vector<std::int64_t> k) {
  customer_keys c;
  c.ints = std::move(k);
  return c;
}

// Gold: any channel every 30 days and a visit every 90; Silver: any channel every 90 days;
// Bronze: nothing.
service_plan three_tier_plan(std::int32_t first_contact_days = 0) {
  service_plan p;
  tier_service gold;
  gold.tier = "Gold";
  gold.owner_role = "manager";
  gold.channels = {"visit", "phone"};
  gold.cadence = {contact_rule{"", 30, 0, period_kind::month}, contact_rule{"visit", 90, 0, period_kind::month}};
  gold.first_contact_days = first_contact_days;
  tier_service silver;
  silver.tier = "Silver";
  silver.owner_role = "staff";
  silver.channels = {"phone", "sms"};
  silver.cadence = {contact_rule{"", 90, 0, period_kind::month}};
  silver.first_contact_days = first_contact_days;
  p.tiers = {gold, silver};
  p.validate("test");
  return p;
}

// A contact log owning its columns.
struct log_data {
  std::vector<std::int64_t> customer;
  std::vector<std::int32_t> day;
  std::vector<std::string> channel;
  std::vector<std::string> outcome;
  std::vector<std::string_view> channel_views, outcome_views;

  contact_log view() {
    contact_log l;
    l.customer = int64_column("customer", customer.data(), customer.size());
    l.time = day_column("time", day.data(), day.size());
    if (!channel.empty()) {
      channel_views.assign(channel.begin(), channel.end());
      l.channel = string_column("channel", channel_views.data(), channel_views.size());
    }
    if (!outcome.empty()) {
      outcome_views.assign(outcome.begin(), outcome.end());
      l.outcome = string_column("outcome", outcome_views.data(), outcome_views.size());
    }
    return l;
  }
  void add(std::int64_t c, std::int32_t d, std::string ch, std::string out = "reached") {
    customer.push_back(c);
    day.push_back(d);
    channel.push_back(std::move(ch));
    outcome.push_back(std::move(out));
  }
};

contact_config at(std::int32_t as_of, invalid_policy p = invalid_policy::drop) {
  contact_config c;
  c.as_of = as_of;
  c.on_invalid = p;
  c.threads = 1;
  return c;
}

}  // namespace

TEST_CASE("cadence per channel: any-channel and visit rules have their own due days") {
  const service_plan plan = three_tier_plan();
  const service_tiers tiers = service_tiers::fixed(int_keys({7}), {"Gold", "Silver", "Bronze"}, {0}, {0});
  log_data log;
  log.add(7, 20, "visit");
  log.add(7, 100, "phone");
  const contact_book book(plan, tiers, log.view(), at(120));
  const contact_status s = book.status();
  REQUIRE(s.rows() == 2);
  CHECK(s.last_contact[0] == 100);
  CHECK(s.contacts[0] == 2);
  CHECK(s.channels == std::vector<std::string>{"visit", "phone", "sms"});
  CHECK(s.last_by_channel == std::vector<std::int32_t>{20, 100, no_day});
  CHECK(s.last == std::vector<std::int32_t>{100, 20});
  CHECK(s.due == std::vector<std::int32_t>{130, 110});  // any: 100 + 30; visit: 20 + 90
  const due_list d = book.due(0);
  REQUIRE(d.size() == 1);
  CHECK(d.rule[0] == 1);
  CHECK(d.days_overdue[0] == 10);
  CHECK(book.due(10).size() == 2);  // the phone rule is due on day 130 = as_of + 10
  CHECK(book.due(9).size() == 1);
}

TEST_CASE("a customer never contacted is due on entering its tier, plus first_contact_days") {
  const service_tiers tiers = service_tiers::fixed(int_keys({1}), {"Gold", "Silver"}, {1}, {50});
  log_data log;
  {
    const service_plan plan = three_tier_plan(0);
    const contact_book book(plan, tiers, log.view(), at(60));
    const contact_status s = book.status();
    CHECK(s.last[0] == no_day);
    CHECK(s.due[0] == 50);
    CHECK(book.due(0).days_overdue == std::vector<std::int32_t>{10});
  }
  {
    const service_plan plan = three_tier_plan(7);
    const contact_book book(plan, tiers, log.view(), at(60));
    CHECK(book.status().due[0] == 57);
  }
}

TEST_CASE("a contact on the due day is on time; the next day without one is overdue") {
  const service_plan plan = three_tier_plan();
  // Silver: every 90 days. Contacts on days 0 and 90 (the due day of the first).
  const service_tiers tiers = service_tiers::fixed(int_keys({1}), {"Gold", "Silver"}, {1}, {0});
  log_data log;
  log.add(1, 0, "sms");
  log.add(1, 90, "phone");
  const contact_book book(plan, tiers, log.view(), at(182));
  CHECK(book.status().due[0] == 180);
  CHECK(book.due(0).days_overdue == std::vector<std::int32_t>{2});
  // Judged over [0, 181): day 180 is the due day (not overdue); over [0, 182) day 181 is.
  CHECK(book.within_cadence(0, 181)[0] == cadence_state::within);
  CHECK(book.within_cadence(0, 182)[0] == cadence_state::missed);
  // Without the contact on day 90, day 91 is overdue.
  log_data late;
  late.add(1, 0, "sms");
  late.add(1, 91, "phone");
  const contact_book b2(plan, tiers, late.view(), at(182));
  CHECK(b2.within_cadence(0, 91)[0] == cadence_state::within);
  CHECK(b2.within_cadence(0, 92)[0] == cadence_state::missed);   // day 91 began overdue
  CHECK(b2.within_cadence(91, 180)[0] == cadence_state::missed);
  CHECK(b2.within_cadence(92, 180)[0] == cadence_state::within);
}

TEST_CASE("a tier change restarts nothing: the new cadence runs from the last contact, due no earlier than the change") {
  const service_plan plan = three_tier_plan();
  log_data log;
  log.add(1, 0, "phone");
  auto spells = [](std::int32_t change, std::int32_t before, std::int32_t after) {
    service_tiers t;
    t.customers = int_keys({1});
    t.tier_names = {"Gold", "Silver", "Bronze"};
    t.offsets = {0, 2};
    t.tier = {before, after};
    t.from = {0, change};
    t.to = {change, no_day};
    t.validate("test");
    return t;
  };
  SUBCASE("upgrade to a shorter cadence after the last contact is already too old") {
    const service_tiers t = spells(40, 1, 0);  // Silver (90) -> Gold (30) on day 40
    const contact_book book(plan, t, log.view(), at(50));
    const contact_status s = book.status();
    CHECK(s.tier[0] == 0);
    CHECK(s.since[0] == 40);
    CHECK(s.due[0] == 40);  // max(0 + 30, 40): due on the day of the change
    CHECK(s.due[1] == 40);  // visit rule: never visited, due on entry
    CHECK(book.due(0).days_overdue == std::vector<std::int32_t>{10, 10});
  }
  SUBCASE("upgrade while the last contact is recent: the clock keeps running") {
    const service_tiers t = spells(20, 1, 0);
    const contact_book book(plan, t, log.view(), at(25));
    CHECK(book.status().due[0] == 30);  // 0 + 30, not 20 + 30
  }
  SUBCASE("downgrade to a longer cadence") {
    const service_tiers t = spells(20, 0, 1);  // Gold -> Silver on day 20
    const contact_book book(plan, t, log.view(), at(25));
    CHECK(book.status().due[0] == 90);
  }
  SUBCASE("the SLA judges a period under the first spell in it") {
    const service_tiers t = spells(40, 1, 0);
    const contact_book book(plan, t, log.view(), at(80));
    CHECK(book.within_cadence(0, 40)[0] == cadence_state::within);   // Silver: due day 90
    CHECK(book.within_cadence(40, 42)[0] == cadence_state::missed);  // Gold since 40: day 41 overdue
    CHECK(book.within_cadence(40, 41)[0] == cadence_state::within);  // day 40 is the due day
  }
}

TEST_CASE("k contacts per period: due by the period's end; a customer who entered mid-period owes from the next") {
  service_plan plan;
  tier_service t;
  t.tier = "Key";
  t.cadence = {contact_rule{"", 0, 2, period_kind::month}};
  plan.tiers = {t};
  const std::int32_t jan1 = day_of(2024, 1, 1), feb1 = day_of(2024, 2, 1), mar1 = day_of(2024, 3, 1);
  const service_tiers tiers = service_tiers::fixed(int_keys({1, 2}), {"Key"}, {0, 0}, {jan1, day_of(2024, 1, 10)});
  log_data log;
  log.add(1, day_of(2024, 1, 5), "phone");
  log.add(1, day_of(2024, 1, 20), "phone");
  log.add(1, day_of(2024, 2, 3), "phone");
  log.add(2, day_of(2024, 2, 3), "phone");
  log.add(2, day_of(2024, 2, 4), "phone");
  const contact_book book(plan, tiers, log.view(), at(day_of(2024, 2, 10)));
  const contact_status s = book.status();
  CHECK(s.due[0] == mar1 - 1);   // one of two made in February
  CHECK(s.remaining[0] == 1);
  CHECK(s.due[1] == day_of(2024, 3, 31));  // February's two made: March is next
  CHECK(s.remaining[1] == 2);
  CHECK(book.due(0).size() == 0);  // never overdue within a period
  // January: customer 1 made two (within); customer 2 entered on 10 January (not judged).
  const std::vector<cadence_state> jan = book.within_cadence(jan1, feb1);
  CHECK(jan[0] == cadence_state::within);
  CHECK(jan[1] == cadence_state::not_judged);
}

TEST_CASE("SLA per period, tier and owner") {
  const service_plan plan = three_tier_plan();
  const std::int32_t jan1 = day_of(2024, 1, 1);
  // Customers 1 and 2 Silver (90 days) since 2023-01-01; 1 contacted monthly, 2 once.
  const service_tiers tiers =
      service_tiers::fixed(int_keys({1, 2, 3}), {"Gold", "Silver", "Bronze"}, {1, 1, 2},
                           {day_of(2023, 1, 1), day_of(2023, 1, 1), day_of(2023, 1, 1)});
  log_data log;
  log.add(1, day_of(2022, 12, 20), "phone");  // before the tier: the clock runs from it
  log.add(2, day_of(2022, 12, 20), "phone");
  for (int m = 1; m <= 12; ++m) log.add(1, day_of(2023, m, 15), "phone");
  log.add(2, day_of(2023, 1, 15), "phone");
  const contact_book book(plan, tiers, log.view(), at(jan1));
  const std::vector<std::int32_t> owner = {5, 5, -1};
  const sla_table t = book.sla(sla_config{period_kind::quarter, 4}, &owner);
  // Q1: both within (customer 2's due day is 15 April); Q2: customer 2 missed; Q3, Q4 too.
  REQUIRE(t.size() == 4);
  CHECK(t.period == std::vector<std::int32_t>{day_of(2023, 1, 1), day_of(2023, 4, 1), day_of(2023, 7, 1),
                                              day_of(2023, 10, 1)});
  CHECK(t.tier == std::vector<std::int32_t>{1, 1, 1, 1});
  CHECK(t.owner == std::vector<std::int32_t>{5, 5, 5, 5});
  CHECK(t.customers == std::vector<std::int64_t>{2, 2, 2, 2});
  CHECK(t.within == std::vector<std::int64_t>{2, 1, 1, 1});
  CHECK(t.judged_to.back() == jan1);
}

TEST_CASE("contacts after as_of, attempts and unknown customers are left out and counted") {
  service_plan plan = three_tier_plan();
  plan.counted_outcomes = {"reached"};
  const service_tiers tiers = service_tiers::fixed(int_keys({1}), {"Gold", "Silver"}, {0}, {0});
  log_data log;
  log.add(1, 10, "phone");
  log.add(1, 11, "phone", "no answer");
  log.add(1, 50, "phone");   // on as_of
  log.add(99, 12, "phone");  // unknown
  log.add(1, 13, "letter");  // a channel the plan does not name
  const contact_book book(plan, tiers, log.view(), at(50));
  const contact_report& r = book.report();
  CHECK(r.rows_read == 5);
  CHECK(r.rows_used == 2);
  CHECK(r.not_counted == 1);
  CHECK(r.after_as_of == 1);
  CHECK(r.unknown_customers == 1);
  CHECK(r.other_channels == 1);
  CHECK(book.status().last_contact[0] == 13);  // the letter counts for any-channel rules
  CHECK_THROWS_AS(contact_book(plan, tiers, log.view(), at(50, invalid_policy::raise)), invalid_input);
  try {
    contact_book b(plan, tiers, log.view(), at(50, invalid_policy::raise));
  } catch (const invalid_input& e) {
    const std::string m = e.what();
    CHECK(m.find("customers the tiers do not hold") != std::string::npos);
    CHECK(m.find("99") == std::string::npos);  // never a key in a message
  }
}

TEST_CASE("the due list orders by tier rank, days overdue, value, then key") {
  const service_plan plan = three_tier_plan();
  service_tiers tiers = service_tiers::fixed(int_keys({5, 4, 3, 2, 1}), {"Gold", "Silver"}, {1, 0, 1, 1, 0},
                                             {0, 0, 0, 0, 0});
  tiers.value = {10, 1, 10, 20, 1};
  log_data log;
  log.add(5, 5, "phone");
  log.add(3, 5, "phone");
  log.add(2, 5, "phone");
  log.add(4, 1, "visit");
  log.add(1, 1, "visit");
  const contact_book book(plan, tiers, log.view(), at(200));
  const due_list d = book.due(0);
  std::vector<std::int64_t> keys;
  for (std::uint32_t c : d.customer) keys.push_back(tiers.customers.ints[c]);
  // Gold (4 and 1: equal overdue and value, by key; each rule: visit due 91, any due 31),
  // then Silver (overdue equal: value 20, then 10 and 10 by key).
  CHECK(keys == std::vector<std::int64_t>{1, 4, 1, 4, 2, 3, 5});
  CHECK(d.rule == std::vector<std::int32_t>{0, 0, 1, 1, 0, 0, 0});
}

TEST_CASE("birthdays on 29 February fall on 28 February in other years") {
  const service_tiers tiers = service_tiers::fixed(int_keys({1, 2}), {"Gold"}, {0, -1}, {0, 0});
  occasion_dates od;
  od.customers = int_keys({1, 2, 3});
  od.names = {"birthday"};
  od.dates = {{day_of(2000, 2, 29), day_of(1990, 3, 1), day_of(1980, 2, 28)}};
  const occasion_list a = find_occasions(tiers, od, day_of(2023, 2, 20), 14);
  REQUIRE(a.size() == 2);
  CHECK(a.on == std::vector<std::int32_t>{day_of(2023, 2, 28), day_of(2023, 3, 1)});
  CHECK(a.years == std::vector<std::int32_t>{23, 33});
  CHECK(a.tier == std::vector<std::int32_t>{0, -1});
  CHECK(a.unknown_customers == 1);
  const occasion_list b = find_occasions(tiers, od, day_of(2024, 2, 20), 14);
  CHECK(b.on == std::vector<std::int32_t>{day_of(2024, 2, 29), day_of(2024, 3, 1)});
  CHECK(anniversary_in(day_of(2000, 2, 29), 2100) == day_of(2100, 2, 28));
  // Across the year's end.
  const occasion_list c = find_occasions(tiers, od, day_of(2023, 12, 30), 70);
  CHECK(c.on.front() == day_of(2024, 2, 29));
}

TEST_CASE("bad plans and inputs give clear errors") {
  service_plan p;
  tier_service t;
  t.tier = "Gold";
  t.cadence = {contact_rule{"", -30, 0, period_kind::month}};
  p.tiers = {t};
  CHECK_THROWS_WITH_AS(p.validate("f"), doctest::Contains("every_days must be positive"), invalid_input);
  p.tiers[0].cadence = {contact_rule{"", 30, 2, period_kind::month}};
  CHECK_THROWS_WITH_AS(p.validate("f"), doctest::Contains("both"), invalid_input);
  p.tiers[0].cadence = {contact_rule{"visit", 30, 0, period_kind::month}};
  p.tiers[0].channels = {"phone", "vist"};
  CHECK_THROWS_WITH_AS(p.validate("f"), doctest::Contains("did you mean 'vist'"), invalid_input);
  p.tiers[0].channels = {};
  p.validate("f");
  CHECK_THROWS_WITH_AS(p.check_tiers({"Gould", "Silver"}, "f"), doctest::Contains("did you mean 'Gould'"),
                       invalid_input);
  const service_tiers tiers = service_tiers::fixed(int_keys({1}), {"Gold"}, {0}, {0});
  std::vector<std::string_view> text = {"1"};
  std::vector<std::int32_t> days = {3};
  contact_log l;
  l.customer = string_column("customer", text.data(), 1);
  l.time = day_column("time", days.data(), 1);
  CHECK_THROWS_AS(contact_book(p, tiers, l, at(10)), schema_error);
  CHECK_THROWS_WITH_AS(service_tiers::fixed(int_keys({1, 1}), {"Gold"}, {0, 0}, {0, 0}),
                       doctest::Contains("repeat"), invalid_input);
}
