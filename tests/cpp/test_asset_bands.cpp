#include <doctest/doctest.h>
#include <tierkit/asset_bands.hpp>
#include <tierkit/error.hpp>
#include <tierkit/serialization.hpp>

#include <cmath>

using namespace tierkit;

namespace {
metric_table customers(std::vector<double> adb, std::vector<double> age, std::vector<double> spend,
                       std::vector<double> loan, std::vector<double> margin, std::vector<double> card) {
  metric_table t;
  t.add("adb", std::move(adb));
  t.add("age", std::move(age));
  t.add("card_spend", std::move(spend));
  t.add("loan_balance", std::move(loan));
  t.add("margin_balance", std::move(margin));
  t.add("card_level", std::move(card));
  return t;
}
std::string label(const score_table& s, const char* col, std::size_t i) {
  const score_column& c = s.column(col);
  return c.codes[i] < 0 ? "-" : c.labels[static_cast<std::size_t>(c.codes[i])];
}
}  // namespace

TEST_CASE("band edges belong to the band above; conditions and criteria decide the rest") {
  const metric_table t = customers(
      //  2e6 edge, 1999999, 200000, 100000, 50000 age 45, 50000 age 60, 50000 age missing,
      //  overdraft with two criteria, missing balance with a gold card, nothing
      {2e6, 1999999.99, 2e5, 1e5, 5e4, 5e4, 5e4, -300, NAN, 49999},
      {40, 40, 40, 40, 45, 60, NAN, 30, 30, 30},
      {0, 0, 0, 0, 0, 0, 0, 60000, 0, 0},
      {0, 0, 0, 0, 0, 0, 0, 500000, 0, 0},
      {0, 0, 0, 0, 0, 0, 0, 0, 0, 9999.99},
      {1, 1, 1, 1, 1, 1, 1, 1, 2, 1});
  const asset_band_model m = asset_band_strategy().fit_bands(t);
  const score_table s = m.apply(t);
  const std::vector<std::string> bands = {"Private banking", "Wealth management", "Wealth management",
                                          "Branch managed", "Branch staff", "Not maintained",
                                          "Not maintained", "Maintained by other criteria",
                                          "Maintained by other criteria", "Not maintained"};
  for (std::size_t i = 0; i < bands.size(); ++i) CHECK(label(s, "asset_band", i) == bands[i]);
  CHECK(label(s, "owner_role", 0) == "wealth centre (财富经理)");
  CHECK(label(s, "admitted_by", 4) == "balance");
  CHECK(label(s, "admitted_by", 7) == "credit card spend");  // the first criterion that holds
  CHECK(s.column("criteria_met").integers[7] == 2);
  CHECK(label(s, "admitted_by", 8) == "gold card or above");
  CHECK(label(s, "admitted_by", 9) == "-");
  CHECK(label(s, "asset_band_zh", 3) == "网点重点客户");
  CHECK(m.assign(t).counts == std::vector<std::int64_t>{1, 2, 1, 1, 2, 3});
  CHECK(asset_band_model_from_bytes(to_bytes(m)).apply(t).column("asset_band").codes ==
        s.column("asset_band").codes);
}

TEST_CASE("band settings are checked, and missing columns named at fit") {
  asset_band_config c = asset_band_config::chinese_retail();
  std::swap(c.bands[0], c.bands[1]);
  CHECK_THROWS_WITH_AS(asset_band_strategy{c}, doctest::Contains("ordered from the highest lower bound down"),
                       invalid_input);
  metric_table t;
  t.add("adb", {1});
  CHECK_THROWS_WITH_AS(asset_band_strategy().fit_bands(t), doctest::Contains("no metric column 'age'"),
                       schema_error);
  CHECK_THROWS_AS(parse_comparison("=="), invalid_input);
}

TEST_CASE("relationship stars: six levels, first rule that holds") {
  metric_table t;
  t.add("accounts", {0, 1, 1, 2, 2, 3, NAN});
  t.add("adb", {5e6, 1000, 80000, 80000, 80000, 80000, 100});
  t.add("adb_cv", {0.9, 0.1, 0.5, 0.1, 0.1, NAN, 0.1});
  t.add("wallet_share", {0, 0, 0.9, 0.2, 0.8, 0.9, 0.9});
  const score_table s = relationship_stars(t, {});
  CHECK(s.column("relationship_stars").integers == std::vector<std::int64_t>{6, 2, 3, 4, 5, 3, 1});
  CHECK(label(s, "relationship_level_zh", 4) == "稳定贵宾");
}

TEST_CASE("points stars: weighted points mapped by ordered boundaries") {
  metric_table t;
  t.add("adb", {1000, 2e6, NAN, 499900});
  t.add("years", {2, 10, 5, 0});
  points_star_config c;
  c.columns = {"adb", "years"};
  c.weights = {0.01, 5};  // a point per 100 of balance, five per year
  const score_table s = points_stars(t, c);
  CHECK(s.column("star_points").numbers == std::vector<double>{20, 20050, 25, 4999});
  CHECK(label(s, "star_level", 0) == "pre-star");
  CHECK(label(s, "star_level", 1) == "6 stars");
  CHECK(label(s, "star_level_zh", 3) == "五星级");
  CHECK(s.column("star_points_missing").integers[2] == 1);
  c.labels.pop_back();
  CHECK_THROWS_WITH_AS(points_stars(t, c), doctest::Contains("5 boundaries make 6 levels but 5 labels"),
                       invalid_input);
}
