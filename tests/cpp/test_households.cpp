#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/households.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace tierkit;

namespace {
const double missing = std::nan("");
}

TEST_CASE("roll_up by hand: sum, max, weighted; missing members and values; empty households") {
  // Data rows: 0 ann (balance 100), 1 bob (50), 2 cy (NaN), 3 dee (30).
  metric_table data;
  data.add("balance", {100, 50, missing, 30});
  data.add("score", {1, 7, 3, missing});
  // Household 0: ann, bob; household 1: cy, a member not in the data, dee (also in 0);
  // household 2: only a member not in the data.
  household_membership hm;
  hm.household = {0, 0, 1, 1, 1, 0, 2};
  hm.data_row = {0, 1, 2, -1, 3, 3, -1};
  hm.weight = {1, 1, 1, 1, 0.25, 0.75, 1};
  hm.households = 3;
  const household_rollup r = roll_up(data, hm,
                                     {{"balance", rollup_how::sum}, {"score", rollup_how::max},
                                      {"balance", rollup_how::weighted}});
  CHECK(r.members == std::vector<std::int64_t>{3, 3, 1});
  CHECK(r.members_with_data == std::vector<std::int64_t>{3, 2, 0});
  CHECK(r.members_missing == 2);
  CHECK(r.households_without_data == 1);
  // balance sum: 0 = 100 + 50 + 30; 1 = dee's 30 (cy has no balance); 2 = none.
  CHECK(r.values[0][0] == 180);
  CHECK(r.values[0][1] == 30);
  CHECK(r.valid[0] == std::vector<std::uint8_t>{1, 1, 0});
  // score max: 0 = max(1, 7, NaN) = 7; 1 = max(3, NaN) = 3.
  CHECK(r.values[1][0] == 7);
  CHECK(r.values[1][1] == 3);
  CHECK(r.valid[1][2] == 0);
  // weighted: dee's 30 split 0.75 / 0.25 between her households.
  CHECK(r.values[2][0] == doctest::Approx(100 + 50 + 22.5));
  CHECK(r.values[2][1] == doctest::Approx(7.5));
  // Only counted members' values add (e.g. heads and spouses).
  hm.counts = {1, 0, 1, 1, 1, 1, 1};
  CHECK(roll_up(data, hm, {{"balance", rollup_how::sum}}).values[0][0] == 130);
}

TEST_CASE("roll_up and hand_back refuse bad input, naming the problem and the rows") {
  metric_table data;
  data.add("balance", {1, 2});
  household_membership hm;
  hm.household = {0, 1};
  hm.data_row = {0, 2};
  hm.households = 2;
  CHECK_THROWS_WITH_AS(roll_up(data, hm, {}), doctest::Contains("1 row name a data row outside [-1, 2)"), invalid_input);
  hm.data_row = {0, 1};
  hm.weight = {1, -1};
  CHECK_THROWS_WITH_AS(roll_up(data, hm, {}), doctest::Contains("1 row have a weight that is negative or not finite"),
                       invalid_input);
  hm.weight = {};
  hm.household = {0, 2};
  CHECK_THROWS_WITH_AS(roll_up(data, hm, {}), doctest::Contains("name a household outside [0, 2)"), invalid_input);
  hm.household = {0, 1};
  CHECK_THROWS_AS(roll_up(data, hm, {{"balanse", rollup_how::sum}}), schema_error);
  CHECK_THROWS_AS(parse_rollup_how("mean", "test"), invalid_input);
  CHECK_THROWS_AS(parse_hand_back_rule("lower", "test"), invalid_input);
  CHECK_THROWS_WITH_AS(hand_back({0, 3}, {0, 0}, {0, 0}, hand_back_rule::higher),
                       doctest::Contains("1 row name a customer outside [0, 2)"), invalid_input);
  CHECK_THROWS_AS(hand_back({0, 1}, {0}, {0, 0}, hand_back_rule::higher), invalid_input);
}

TEST_CASE("hand_back by hand: household and higher rules, several households, no tiers") {
  // Ranks: 0 gold, 1 silver, 2 bronze. Customers 0..4; customer 4 has no membership.
  // Rows: c0 in H(silver); c1 in H(silver) and H'(gold); c2 in H''(no tier); c3 in H(silver).
  const std::vector<std::int64_t> customer = {0, 1, 1, 2, 3};
  const std::vector<std::int32_t> household_rank = {1, 1, 0, -1, 1};
  const std::vector<std::int32_t> own = {2, 2, 0, 0, 1};
  const member_tiers higher = hand_back(customer, household_rank, own, hand_back_rule::higher);
  CHECK(higher.household_tier == std::vector<std::int32_t>{1, 0, -1, 1, -1});
  CHECK(higher.tier == std::vector<std::int32_t>{1, 0, 0, 0, 1});
  CHECK(higher.from_household == std::vector<std::uint8_t>{1, 1, 0, 0, 0});
  CHECK(higher.household_row == std::vector<std::int64_t>{0, 2, 3, 4, -1});
  CHECK(higher.members == 4);
  CHECK(higher.raised == 2);
  CHECK(higher.lowered == 0);
  const member_tiers household = hand_back(customer, household_rank, own, hand_back_rule::household);
  CHECK(household.tier == std::vector<std::int32_t>{1, 0, 0, 1, 1});  // c3 lowered to silver
  CHECK(household.lowered == 1);
  CHECK(household.raised == 2);
  CHECK(hand_back(customer, household_rank, {-1, -1, -1, -1, -1}, hand_back_rule::household).without_own_tier == 5);
}

TEST_CASE("property: handing back under 'higher' never lowers a tier; weighted totals are preserved") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const std::size_t customers = 1 + rng() % 40, households = 1 + rng() % 10;
    std::vector<std::int64_t> customer;
    std::vector<std::int64_t> household;
    std::vector<double> weight;
    std::vector<double> balance(customers);
    for (std::size_t c = 0; c < customers; ++c) {
      balance[c] = static_cast<double>(rng() % 1000);
      // Each customer in 1..3 distinct households, weights summing to 1.
      const std::size_t k = std::min<std::size_t>(1 + rng() % 3, households);
      const std::size_t first = rng() % households;
      for (std::size_t j = 0; j < k; ++j) {
        customer.push_back(static_cast<std::int64_t>(c));
        household.push_back(static_cast<std::int64_t>((first + j) % households));
        weight.push_back(1.0 / static_cast<double>(k));
      }
    }
    metric_table data;
    data.add("balance", balance);
    household_membership hm{household, customer, weight, households, {}};
    const household_rollup r = roll_up(data, hm, {{"balance", rollup_how::weighted}});
    double total = 0, rolled = 0;
    for (const double b : balance) total += b;
    for (std::size_t h = 0; h < households; ++h) rolled += r.valid[0][h] ? r.values[0][h] : 0.0;
    CHECK(rolled == doctest::Approx(total));
    std::vector<std::int32_t> h_rank(households), own(customers), row_rank;
    for (auto& x : h_rank) x = static_cast<std::int32_t>(rng() % 5) - 1;
    for (auto& x : own) x = static_cast<std::int32_t>(rng() % 5) - 1;
    for (const std::int64_t h : household) row_rank.push_back(h_rank[static_cast<std::size_t>(h)]);
    const member_tiers t = hand_back(customer, row_rank, own, hand_back_rule::higher);
    CHECK(t.lowered == 0);
    for (std::size_t c = 0; c < customers; ++c) {
      if (own[c] >= 0) CHECK((t.tier[c] >= 0 && t.tier[c] <= own[c]));
    }
  }
}
