// Rule tables from profiles: nulls where the profile has none to give.
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include "helpers.hpp"

using namespace tierkit;

TEST_CASE("a customer with only returns has no recency: recency <= 90 does not match it") {
  owned_batch b;
  b.customer = {1, 2, 3};
  b.day = {100, 101, 102};
  b.amount = {10.0, -5.0, 3.0};  // customer 2: only a return
  const profile p = make_profile(b.view());
  REQUIRE(p.recency[1] == no_day);
  rule_table t;
  add_profile_columns(t, p);
  const tier_policy policy({{"Active", "recency <= 90", {}},
                            {"Never bought", "first_purchase is null", {}}}, "Other");
  const std::vector<std::int32_t> tier = policy.assign(t);
  CHECK(tier == std::vector<std::int32_t>{0, 1, 0});
  // A hand-made column with the sentinel would match: the documented path avoids it.
  rule_table raw;
  raw.add_column(int32_column("recency", p.recency.data(), p.size()));
  CHECK(tier_policy({{"Active", "recency <= 90", {}}}, "Other").assign(raw)[1] == 0);
}

TEST_CASE("profile columns by name, and a clear error for a column a setting left out") {
  owned_batch b;
  b.customer = {1, 1};
  b.day = {100, 130};
  b.amount = {10.0, 20.0};
  profile_config c;
  c.purchase_days = false;
  const profile p = make_profile(b.view(), c);
  rule_table t;
  add_profile_columns(t, p, {"monetary", "last_purchase"});
  CHECK(t.names() == std::vector<std::string>{"last_purchase", "monetary"});
  rule_table u;
  CHECK_THROWS_WITH_AS(add_profile_columns(u, p, {"median_gap"}), doctest::Contains("purchase_days off"), schema_error);
  CHECK_THROWS_WITH_AS(add_profile_columns(u, p, {"recncy"}), doctest::Contains("no column 'recncy'"), schema_error);
  const expression e = expression::parse("last_purchase >= date '1970-05-01'", "test");
  CHECK(e.evaluate(t)[0] == is_true);  // day 130 is 1970-05-11
}

TEST_CASE("strategy scores feed rules: unscored customers read null, labels read as text") {
  owned_batch b;
  b.customer = {1, 1, 2, 3, 4, 5};
  b.day = {100, 120, 101, 102, 110, 90};
  b.amount = {10.0, 30.0, -5.0, 3.0, 500.0, 80.0};  // customer 2: only a return
  const profile p = make_profile(b.view());
  const metric_table m = metric_table::from_profile(p);
  const score_table rfm = make_strategy("rfm")->fit(m)->apply(m);
  const score_table abc = make_strategy("abc")->fit(m)->apply(m);
  rule_table t;
  add_profile_columns(t, p, {"recency"});
  add_score_columns(t, rfm, {"m_score", "r_score"});
  add_score_columns(t, abc);
  CHECK(t.find("abc_class") != nullptr);
  CHECK(t.find("m_score") != nullptr);
  CHECK(t.find("f_score") == nullptr);
  // Customer 2 has no RFM score: a rule on it does not match; the others are scored 1-5.
  const tier_policy policy({{"Top", "m_score >= 1 and abc_class = 'A'", {}},
                            {"Scored", "m_score >= 1", {}}}, "Unscored");
  const std::vector<std::int32_t> tier = policy.assign(t);
  REQUIRE(tier.size() == 5);
  CHECK(tier[1] == -1);
  for (std::size_t i : {0u, 2u, 3u, 4u}) CHECK(tier[i] >= 0);
  CHECK(tier[3] == 0);  // customer 4, the largest spender, is class A
  CHECK_THROWS_WITH_AS(add_score_columns(t, rfm, {"no_such_score"}), doctest::Contains("no_such_score"),
                       schema_error);
}
