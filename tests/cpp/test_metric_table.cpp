#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"

using namespace tierkit;

namespace {
owned_batch three_customers() {
  owned_batch b;
  // customer 1 buys on days 100, 104, 110 (gaps 4, 6); customer 2 once; customer 3 returns
  b.customer = {1, 1, 2, 1, 3};
  b.day = {100, 104, 104, 110, 111};
  b.amount = {10, 20, 5, 30, -4};
  return b;
}
}  // namespace

TEST_CASE("a profile's metrics: names, values, NaN for what a customer lacks") {
  owned_batch b = three_customers();
  const metric_table t = metric_table::from_profile(make_profile(b.view()));
  CHECK(t.rows() == 3);
  CHECK(t.has("purchase_days"));
  CHECK(t.column("recency", "test")[0] == 2);  // as_of 112
  CHECK(std::isnan(t.column("recency", "test")[2]));
  CHECK(t.column("purchase_days", "test")[0] == 3);
  CHECK(t.column("median_gap", "test")[0] == 5);
  CHECK(t.column("last_gap", "test")[0] == 6);
  CHECK(std::isnan(t.column("last_gap", "test")[1]));
  CHECK(t.column("monetary", "test")[2] == -4);
  CHECK_THROWS_WITH_AS(t.column("monetry", "fn"), doctest::Contains("fn: no metric column 'monetry'"),
                       schema_error);
}

TEST_CASE("without purchase days, their metrics are absent and asking for one says why") {
  owned_batch b = three_customers();
  profile_config lean;
  lean.purchase_days = false;
  const metric_table t = metric_table::from_profile(make_profile(b.view(), lean));
  CHECK(t.rows() == 3);
  CHECK(t.column("frequency", "test")[0] == 3);
  for (const char* name : {"purchase_days", "median_gap", "last_gap"}) {
    CAPTURE(name);
    CHECK_FALSE(t.has(name));
    CHECK_THROWS_WITH_AS(t.column(name, "fn"), doctest::Contains("built with purchase_days off"),
                         schema_error);
  }
  // a lifecycle needs the gaps: its error names the setting
  CHECK_THROWS_WITH_AS(lifecycle_strategy().fit_lifecycle(t), doctest::Contains("purchase_days off"),
                       schema_error);
}

TEST_CASE("a column noted absent and then added is read like any other") {
  metric_table t;
  t.add("recency", {1, 2});
  t.note_absent("median_gap", "not computed");
  CHECK_THROWS_WITH_AS(t.column("median_gap", "fn"), doctest::Contains("fn: no metric column 'median_gap': not computed"),
                       schema_error);
  t.add("median_gap", {3, 4});
  CHECK(t.column("median_gap", "fn")[1] == 4);
}

TEST_CASE("slice borrows a range of rows; take copies listed rows; both keep absent notes") {
  metric_table t;
  t.add("a", {1, 2, 3, 4, 5});
  t.add("b", {10, 20, 30, 40, 50});
  t.note_absent("median_gap", "not computed");
  const metric_table s = t.slice(1, 3);
  CHECK(s.rows() == 3);
  CHECK(s.names() == t.names());
  CHECK(s.column("b", "fn")[0] == 20);
  CHECK(s.column("b", "fn").data() == t.column("b", "fn").data() + 1);  // read in place
  CHECK(t.slice(5, 0).rows() == 0);
  CHECK_THROWS_WITH_AS(t.slice(4, 2), doctest::Contains("run past the 5 rows"), invalid_input);
  const metric_table k = t.take({4, 0, 4});
  CHECK(k.rows() == 3);
  const number_span a = k.column("a", "fn");
  CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>{5, 1, 5});
  CHECK_THROWS_WITH_AS(k.column("median_gap", "fn"), doctest::Contains("not computed"), schema_error);
  CHECK_THROWS_WITH_AS(t.take({0, 5}), doctest::Contains("row 5 (position 1 of the list) is past the 5 rows"),
                       invalid_input);
  CHECK(t.take({}).rows() == 0);
  const metric_table only_b = t.select({"b"});
  CHECK(only_b.names() == std::vector<std::string>{"b"});
  CHECK(only_b.column("b", "fn").data() == t.column("b", "fn").data());  // read in place
  CHECK_THROWS_WITH_AS(t.select({"c"}), doctest::Contains("no metric column 'c'"), schema_error);
}
