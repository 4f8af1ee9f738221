#include <doctest/doctest.h>
#include <tierkit/balances.hpp>
#include <tierkit/error.hpp>

#include <cmath>

#include "helpers.hpp"

using namespace tierkit;

namespace {
struct owned_events {
  std::vector<std::string_view> account;
  std::vector<std::int32_t> day;
  std::vector<double> value;
  balance_events view() const {
    return {string_column("account", account.data(), account.size()),
            day_column("date", day.data(), day.size()),
            float64_column("balance", value.data(), value.size())};
  }
};
double at(const account_balances& b, std::size_t account, std::size_t period) {
  return b.average[static_cast<std::size_t>(b.offsets[account]) + period];
}
}  // namespace

TEST_CASE("average daily balances carry the day's last balance over days without events") {
  owned_events e{{"A", "A", "A", "A", "B"},
                 {day_of(2024, 1, 1), day_of(2024, 1, 1), day_of(2024, 1, 11), day_of(2024, 2, 1), day_of(2024, 1, 21)},
                 {100, 150, 50, -20, 310}};
  balance_config cfg;
  cfg.through_day = day_of(2024, 3, 1);
  const account_balances b = average_daily_balances(e.view(), cfg);
  REQUIRE(b.accounts.size() == 2);
  CHECK(b.accounts.to_string(0) == "A");
  // A in January: 10 days at 150 (the day's last balance), 21 days at 50; February overdrawn.
  CHECK(at(b, 0, 0) == doctest::Approx((10 * 150 + 21 * 50) / 31.0));
  CHECK(at(b, 0, 1) == -20.0);
  // B opened on 21 January: nothing before, 11 days at 310.
  CHECK(at(b, 1, 0) == doctest::Approx(11 * 310 / 31.0));
  CHECK(at(b, 1, 1) == 310.0);
  CHECK(b.days == std::vector<std::int32_t>{31, 29, 31, 29});
  CHECK(b.period[1] == day_of(2024, 2, 1));
}

TEST_CASE("movements from a start balance, and a partial last period") {
  owned_events e{{"C", "C"}, {day_of(2024, 1, 16), day_of(2024, 2, 15)}, {100, -50}};
  balance_config cfg;
  cfg.input = balance_input::movements;
  const std::vector<std::string_view> acc = {"C", "Z"};
  const std::vector<double> start = {1000, 5};
  const start_balances s{string_column("account", acc.data(), 2), float64_column("start", start.data(), 2)};
  const account_balances b = average_daily_balances(e.view(), cfg, &s);
  CHECK(b.through_day == day_of(2024, 2, 16));  // the day after the last event
  CHECK(at(b, 0, 0) == doctest::Approx((15 * 1000 + 16 * 1100) / 31.0));
  CHECK(at(b, 0, 1) == doctest::Approx((14 * 1100 + 1 * 1050) / 15.0));  // 15 days of February
  CHECK(b.days[1] == 15);
}

TEST_CASE("customers sum their accounts, weighted by asset type") {
  owned_events e{{"A", "B", "C"}, {day_of(2024, 1, 1), day_of(2024, 1, 1), day_of(2024, 1, 1)}, {100, 200, 7}};
  balance_config cfg;
  cfg.through_day = day_of(2024, 2, 1);
  const account_balances b = average_daily_balances(e.view(), cfg);
  const std::vector<std::string_view> acc = {"A", "B", "C", "D"};
  const std::vector<std::int64_t> cust = {1, 1, 2, 3};
  const std::vector<std::string_view> type = {"deposit", "fund", "deposit", "deposit"};
  account_owners o{string_column("account", acc.data(), 4), int64_column("customer", cust.data(), 4),
                   string_column("asset_type", type.data(), 4)};
  const customer_balances c = balances_by_customer(b, o, {{"deposit", 1.0}, {"fund", 0.5}});
  CHECK(c.customers.ints == std::vector<std::int64_t>{1, 2, 3});
  CHECK(c.average == std::vector<double>{200.0, 7.0, 0.0});  // 100 + 0.5 * 200; D has no events
  CHECK(c.accounts_without_events == 1);
  CHECK_THROWS_WITH_AS(balances_by_customer(b, o, {{"deposit", 1.0}}),
                       doctest::Contains("asset type 'fund' (first at row 2 of the mapping) has no weight"), invalid_input);
  const std::vector<std::string_view> dup = {"A", "A", "B", "C"};
  account_owners twice{string_column("account", dup.data(), 4), int64_column("customer", cust.data(), 4), {}};
  CHECK_THROWS_WITH_AS(balances_by_customer(b, twice), doctest::Contains("1 row of the mapping repeat an account (first: row 2)"),
                       invalid_input);
  const std::vector<std::string_view> few = {"A", "B"};
  account_owners missing{string_column("account", few.data(), 2), int64_column("customer", cust.data(), 2), {}};
  CHECK_THROWS_WITH_AS(balances_by_customer(b, missing), doctest::Contains("1 accounts with balances have no customer"),
                       invalid_input);
}

TEST_CASE("invalid balance events are named, or dropped and counted") {
  owned_events e{{"A", "B"}, {day_of(2024, 1, 1), day_of(2024, 1, 2)}, {NAN, 5}};
  CHECK_THROWS_WITH_AS(average_daily_balances(e.view(), {}), doctest::Contains("column 'balance': 1 row is NaN"),
                       invalid_input);
  balance_config drop;
  drop.on_invalid = invalid_policy::drop;
  const account_balances b = average_daily_balances(e.view(), drop);
  CHECK(b.accounts.size() == 1);
  CHECK(b.report.rows_dropped == 1);
  CHECK_THROWS_AS(parse_balance_input("weekly"), invalid_input);
}

TEST_CASE("balance events dated outside valid_dates are invalid rows; valid_dates widen") {
  owned_events e{{"A", "A", "B"}, {day_of(1, 1, 1), day_of(2024, 1, 1), day_of(2024, 1, 2)}, {7, 5, 9}};
  CHECK_THROWS_WITH_AS(average_daily_balances(e.view(), {}),
                       doctest::Contains("column 'date': 1 row is dated before 1900-01-01 (the first of valid_dates)"),
                       invalid_input);
  balance_config drop;
  drop.on_invalid = invalid_policy::drop;
  const account_balances b = average_daily_balances(e.view(), drop);
  CHECK(b.report.rows_dropped == 1);
  CHECK(b.from_day == day_of(2024, 1, 1));  // not the 0001 event's month
  balance_config wide;
  wide.valid_dates = {day_of(1, 1, 1), day_of(2024, 12, 31)};
  wide.through_day = day_of(2024, 1, 3);
  wide.from_day = day_of(2023, 12, 1);
  CHECK(average_daily_balances(e.view(), wide).report.rows_dropped == 0);
  balance_config backwards;
  backwards.valid_dates = {10, 9};
  CHECK_THROWS_WITH_AS(average_daily_balances(e.view(), backwards), doctest::Contains("valid_dates must run"),
                       invalid_input);
}
