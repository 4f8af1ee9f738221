#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/lifecycle.hpp>
#include <tierkit/serialization.hpp>

#include <cmath>

using namespace tierkit;

namespace {
metric_table table(std::vector<double> recency, std::vector<double> tenure,
                   std::vector<double> last_gap, std::vector<double> median_gap) {
  metric_table t;
  t.add("recency", std::move(recency));
  t.add("tenure", std::move(tenure));
  t.add("last_gap", std::move(last_gap));
  t.add("median_gap", std::move(median_gap));
  return t;
}
std::vector<std::string> names(const lifecycle_result& r) {
  std::vector<std::string> out;
  for (lifecycle_stage s : r.stage) out.emplace_back(lifecycle_stage_name(s));
  return out;
}
}  // namespace

TEST_CASE("stages with fixed windows, first rule that holds") {
  // prospect, churned, dormant, new, reactivated, active, and the edges 180 / 365 / 90
  const metric_table t = table({NAN, 400, 200, 10, 5, 30, 180, 365, 366, 20},
                               {NAN, 900, 500, 60, 700, 800, 900, 900, 900, 90},
                               {NAN, 10, 10, NAN, 250, 20, 10, 10, 10, NAN},
                               {NAN, 10, 10, NAN, 30, 20, 10, 10, 10, NAN});
  const lifecycle_result r = lifecycle_strategy().fit_lifecycle(t).stages(t);
  CHECK(names(r) == std::vector<std::string>{"prospect", "churned", "dormant", "new", "reactivated",
                                              "active", "active", "dormant", "churned", "new"});
  CHECK(r.counts == std::vector<std::int64_t>{1, 2, 2, 2, 2, 1});
  CHECK(std::isnan(r.dormant_threshold[0]));
}

TEST_CASE("rhythm-relative windows judge each customer on its own median gap") {
  lifecycle_config c;
  c.relative_to_gap = true;  // dormant after 3 gaps, churned after 6, at least 14 days
  // a weekly buyer silent for 30 days; a yearly buyer silent for 300 days; one purchase
  const metric_table t = table({30, 300, 30}, {500, 2000, 500}, {7, 365, NAN}, {7, 365, NAN});
  const lifecycle_result r = lifecycle_strategy(c).fit_lifecycle(t).stages(t);
  CHECK(names(r) == std::vector<std::string>{"dormant", "active", "active"});
  CHECK(r.dormant_threshold[0] == 21);
  CHECK(r.churn_threshold[1] == 6 * 365);
  CHECK(r.dormant_threshold[2] == 180);  // no rhythm: the fixed window
  const metric_table daily = table({20}, {500}, {1}, {1});
  CHECK(lifecycle_strategy(c).fit_lifecycle(daily).stages(daily).dormant_threshold[0] == 14);
}

TEST_CASE("lifecycle settings are checked and the model round-trips") {
  lifecycle_config bad;
  bad.churn_days = 100;
  CHECK_THROWS_WITH_AS(lifecycle_strategy{bad}, doctest::Contains("churn_days (100) must exceed dormant_days (180)"),
                       invalid_input);
  const metric_table t = table({1}, {1}, {NAN}, {NAN});
  metric_table missing;
  missing.add("recency", {1});
  CHECK_THROWS_WITH_AS(lifecycle_strategy().fit_lifecycle(missing), doctest::Contains("no metric column 'tenure'"),
                       schema_error);
  lifecycle_config c;
  c.relative_to_gap = true;
  const lifecycle_model m = lifecycle_strategy(c).fit_lifecycle(t);
  CHECK(lifecycle_model_from_bytes(to_bytes(m)) == m);
  CHECK(load_model(m.to_bytes())->kind() == "lifecycle");
}
