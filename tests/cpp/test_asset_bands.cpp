#include <doctest/doctest.h>
#include <tierkit/asset_bands.hpp>
#include <tierkit/error.hpp>
#include <tierkit/serialization.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

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
  return c.code(i) < 0 ? "-" : c.labels[static_cast<std::size_t>(c.code(i))];
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
  const score_table again = asset_band_model_from_bytes(to_bytes(m)).apply(t);
  REQUIRE(again.column("asset_band").size() == s.column("asset_band").size());
  for (std::size_t i = 0; i < s.column("asset_band").size(); ++i) {
    CHECK(again.column("asset_band").code(i) == s.column("asset_band").code(i));
  }
}

TEST_CASE("random configurations against a customer-at-a-time reading of the rules") {
  // Balances on, beside and between the bounds, infinite and missing; conditions with every
  // comparison; criteria in order. The model works a block of columns at a time; the oracle
  // below is the header's rules applied to one customer at a time.
  std::mt19937_64 rng(11);
  const std::vector<double> bounds = {5e6, 1e6, 2e5, 1e5, 5e4, 0, -100};
  const std::vector<comparison> ops = {comparison::less, comparison::less_equal, comparison::greater_equal,
                                       comparison::greater};
  auto pick = [&](std::size_t k) { return static_cast<std::size_t>(rng() % k); };
  auto value = [&](double near) {
    switch (pick(6)) {
      case 0: return std::nan("");
      case 1: return near;
      case 2: return std::nextafter(near, -HUGE_VAL);
      case 3: return pick(2) ? HUGE_VAL : -HUGE_VAL;
      default: return near * (0.5 + static_cast<double>(pick(1000)) / 500.0) - 50.0;
    }
  };
  for (int round = 0; round < 40; ++round) {
    asset_band_config c;
    c.pool = {"pool", "池", pick(2) ? "staff" : "manager", 0, {}};
    const std::size_t nb = 1 + pick(bounds.size());
    std::size_t first = pick(bounds.size() - nb + 1);
    for (std::size_t b = 0; b < nb; ++b) {
      asset_band band{"b" + std::to_string(b), "带" + std::to_string(b), "role" + std::to_string(pick(3)),
                      bounds[first + b], {}};
      for (std::size_t k = pick(3); k > 0; --k) {
        band.conditions.push_back({"v" + std::to_string(pick(3)), ops[pick(ops.size())],
                                   static_cast<double>(pick(5)) * 10.0});
      }
      c.bands.push_back(band);
    }
    for (std::size_t k = pick(4); k > 0; --k) {
      c.criteria.push_back({"c" + std::to_string(k), "", "v" + std::to_string(pick(3)),
                            static_cast<double>(pick(5)) * 10.0});
    }
    // The first round is large enough to be banded in blocks on two threads.
    const std::size_t n = round == 0 ? 140000 : 1 + pick(3 * 4096);
    std::vector<double> adb(n), v0(n), v1(n), v2(n);
    for (std::size_t i = 0; i < n; ++i) {
      adb[i] = value(bounds[pick(bounds.size())]);
      v0[i] = value(static_cast<double>(pick(5)) * 10.0);
      v1[i] = value(static_cast<double>(pick(5)) * 10.0);
      v2[i] = value(static_cast<double>(pick(5)) * 10.0);
    }
    metric_table t;
    t.add("adb", adb);
    t.add("v0", v0);
    t.add("v1", v1);
    t.add("v2", v2);
    const std::vector<const std::vector<double>*> by_name = {&v0, &v1, &v2};
    auto column = [&](const std::string& name) { return by_name[static_cast<std::size_t>(name[1] - '0')]; };

    const asset_band_model m(c);
    const asset_band_result r = m.assign(t);
    const score_table s = m.apply(t);
    std::vector<std::int64_t> counts(nb + 2, 0);
    for (std::size_t i = 0; i < n; ++i) {
      std::int32_t band = -1, admitted = -1, met = 0;
      for (std::size_t b = 0; b < nb && band < 0; ++b) {
        const double upper = b == 0 ? HUGE_VAL : c.bands[b - 1].lower;
        if (!(adb[i] >= c.bands[b].lower && (b == 0 || adb[i] < upper))) continue;
        bool holds = true;
        for (const band_condition& k : c.bands[b].conditions) holds = holds && k.holds((*column(k.column))[i]);
        band = holds ? static_cast<std::int32_t>(b) : -2;  // -2: in a band whose conditions fail
      }
      band = band == -2 ? -1 : band;
      for (std::size_t k = 0; k < c.criteria.size(); ++k) {
        const bool hit = (*column(c.criteria[k].column))[i] >= c.criteria[k].threshold;
        met += hit;
        if (hit && admitted < 0 && band < 0) admitted = static_cast<std::int32_t>(k);
      }
      if (band < 0 && admitted >= 0) band = static_cast<std::int32_t>(nb);
      ++counts[band < 0 ? nb + 1 : static_cast<std::size_t>(band)];
      REQUIRE(r.band[i] == band);
      REQUIRE(r.admitted_by[i] == admitted);
      REQUIRE(r.criteria_met[i] == met);
      const std::int32_t code = band < 0 ? static_cast<std::int32_t>(nb + 1) : band;
      REQUIRE(s.column("asset_band").code(i) == code);
      REQUIRE(s.column("asset_band_zh").code(i) == code);
      REQUIRE(s.column("admitted_by").code(i) == (band < 0 ? -1 : admitted + 1));
      REQUIRE(s.column("criteria_met").integers[i] == met);
      const score_column& role = s.column("owner_role");
      const std::string want = band < 0 ? "-"
                               : static_cast<std::size_t>(band) < nb ? c.bands[static_cast<std::size_t>(band)].owner_role
                                                                      : c.pool.owner_role;
      REQUIRE((role.code(i) < 0 ? "-" : role.labels[static_cast<std::size_t>(role.code(i))]) == want);
    }
    CHECK(r.counts == counts);
  }
}

TEST_CASE("label codes are 8-bit up to 128 labels, 32-bit beyond, with the same bands") {
  // 130 bands (132 labels with the pool and the unassigned): one below every 10 of balance.
  asset_band_config c;
  c.pool = {"pool", "池", "staff", 0, {}};
  for (int b = 0; b < 130; ++b) c.bands.push_back({"b" + std::to_string(b), "", "manager", 1300.0 - 10.0 * b, {}});
  metric_table t;
  t.add("adb", {1305, 1295, 25, 10, 5, -1, NAN});
  const score_table wide = asset_band_model(c).apply(t);
  const score_column& band = wide.column("asset_band");
  CHECK(band.narrow_codes.empty());
  CHECK(band.codes == std::vector<std::int32_t>{0, 1, 128, 129, 131, 131, 131});  // 131: unassigned
  CHECK(wide.column("owner_role").codes == std::vector<std::int32_t>{0, 0, 0, 0, -1, -1, -1});

  c.bands.resize(126);  // 128 labels: 8-bit codes, the same bands
  const score_table narrow = asset_band_model(c).apply(t);
  CHECK(narrow.column("asset_band").codes.empty());
  CHECK(narrow.column("asset_band").narrow_codes == std::vector<std::int8_t>{0, 1, 127, 127, 127, 127, 127});
  CHECK(narrow.column("asset_band").size() == 7);
  CHECK(narrow.column("admitted_by").code(0) == 0);  // balance

  score_table s;
  CHECK_THROWS_WITH_AS(s.add_narrow_labels("x", {0}, std::vector<std::string>(129, "l")),
                       doctest::Contains("8-bit codes take at most 128"), invalid_input);
  s.add_narrow_labels("y", {127, -1}, std::vector<std::string>(128, "l"));
  CHECK(s.column("y").code(0) == 127);
  CHECK_FALSE(s.column("y").is_valid(1));
  CHECK(s.column("y").size() == 2);
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
  asset_band_config odd = asset_band_config::chinese_retail();  // e.g. from damaged bytes
  odd.bands[3].conditions[0].op = static_cast<comparison>(7);
  CHECK_THROWS_WITH_AS(odd.check(), doctest::Contains("condition on 'age' with an unknown comparison (7)"),
                       invalid_input);
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
