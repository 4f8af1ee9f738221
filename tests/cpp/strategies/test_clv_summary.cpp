#include <doctest/doctest.h>

#include <tierkit/serialization.hpp>
#include <tierkit/tierkit.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "../helpers.hpp"
#include "cdnow.hpp"

using namespace tierkit;

TEST_CASE("the summary of the CDNOW sample equals BTYD's cbs for every customer") {
  cdnow::sample s = cdnow::read_sample();
  const cdnow::cbs c = cdnow::read_cbs();
  if (!s.found || !c.found) {
    MESSAGE("CDNOW data not found: skipped");
    return;
  }
  owned_batch b;
  b.customer = s.customer;
  b.amount = s.amount;
  for (std::size_t i = 0; i < s.customer.size(); ++i) b.day.push_back(day_of(s.year[i], s.month[i], s.day[i]));
  const clv_summary sum = make_clv_summary(b.view(), day_of(1997, 9, 30), day_of(1998, 6, 30));
  REQUIRE(sum.size() == 2357);
  CHECK(sum.has_holdout);
  CHECK(sum.T_star == doctest::Approx(39.0));
  for (std::size_t i = 0; i < sum.size(); ++i) {
    REQUIRE(sum.customer.ints[i] == static_cast<std::int64_t>(c.cust[i]));
    CHECK(sum.x[i] == c.x[i]);
    CHECK(sum.t_x[i] == doctest::Approx(c.t_x[i]).epsilon(1e-13));
    CHECK(sum.T[i] == doctest::Approx(c.T[i]).epsilon(1e-13));
    CHECK(sum.x_star[i] == c.x_star[i]);
    CHECK(sum.m_x[i] == doctest::Approx(c.m_x[i]).epsilon(1e-12));
  }
  // The fit on the summary is the fit on BTYD's cbs.
  const auto a = fit_bg_nbd(sum.data()).params();
  const auto r = fit_bg_nbd({c.x, c.t_x, c.T, {}}).params();
  CHECK(a.r == doctest::Approx(r.r).epsilon(1e-9));
  CHECK(a.b == doctest::Approx(r.b).epsilon(1e-9));
}

TEST_CASE("summary: same-day purchases merge, returns net into m_x, a calibration end before every purchase is refused") {
  owned_batch b;
  const std::int32_t d0 = day_of(2024, 1, 1);
  // customer 1: two lines on day 0, day 7 (10 and a return of -2), day 14 (6)
  // customer 2: one purchase on day 3; customer 3: first purchase after the calibration
  b.customer = {1, 1, 1, 1, 1, 2, 3};
  b.day = {d0, d0, d0 + 7, d0 + 7, d0 + 14, d0 + 3, d0 + 30};
  b.amount = {5, 5, 10, -2, 6, 9, 4};
  const clv_summary s = make_clv_summary(b.view(), d0 + 20, d0 + 40, {1.0});
  REQUIRE(s.size() == 2);
  CHECK(s.x[0] == 2);
  CHECK(s.t_x[0] == 14);
  CHECK(s.T[0] == 20);
  CHECK(s.m_x[0] == doctest::Approx((10 - 2 + 6) / 2.0));
  CHECK(s.x[1] == 0);
  CHECK(s.t_x[1] == 0);
  CHECK(s.m_x[1] == 0);
  CHECK(s.holdout_only == 1);
  CHECK_THROWS_WITH_AS(make_clv_summary(b.view(), d0 - 1), doctest::Contains("before every purchase"), invalid_input);
  CHECK_THROWS_AS(make_clv_summary(b.view(), d0 + 20, d0 + 10), invalid_input);
}

TEST_CASE("CLV strategy: fits on profile metrics, outputs p_alive, expected_purchases, clv; saves and loads") {
  cdnow::sample s = cdnow::read_sample();
  if (!s.found) return;
  owned_batch b;
  b.customer = s.customer;
  b.amount = s.amount;
  for (std::size_t i = 0; i < s.customer.size(); ++i) b.day.push_back(day_of(s.year[i], s.month[i], s.day[i]));
  profile_config pc;
  pc.window_start = day_of(1997, 1, 1);
  pc.as_of = day_of(1997, 10, 1);
  const profile p = make_profile(b.view(), pc);
  const metric_table m = metric_table::from_profile(p);
  const std::unique_ptr<model> fitted = make_strategy("clv", {{"horizon", 39.0}})->fit(m);
  const auto& clv = dynamic_cast<const clv_model&>(*fitted);
  // Through the profile (x = purchase_days - 1, t_x and T in weeks): BTYD's estimates.
  CHECK(clv.bg_nbd().params().r == doctest::Approx(0.2425945).epsilon(1e-6));
  CHECK(clv.value_basis() == "all purchase days");
  const score_table out = fitted->apply(m);
  const score_column& alive = out.column("p_alive");
  const score_column& value = out.column("clv");
  CHECK(alive.size() == p.size());
  double expected = 0;
  for (double v : out.column("expected_purchases").numbers) expected += v;
  // BTYD's holdout: 1,882 actual repeat purchases in these 39 weeks; the model expects about
  // as many.
  CHECK(expected > 1500);
  CHECK(expected < 2200);
  for (std::size_t i = 0; i < p.size(); ++i) {
    CHECK((alive.numbers[i] > 0 && alive.numbers[i] <= 1));
    CHECK(value.numbers[i] >= 0);
  }
  const clv_model back = clv_model_from_bytes(fitted->to_bytes());
  CHECK(back == clv);
  CHECK(load_model(fitted->to_bytes())->kind() == "clv");
  std::string bytes = fitted->to_bytes();
  bytes[bytes.size() - 3] ^= 1;
  CHECK_THROWS_AS(clv_model_from_bytes(bytes), format_error);
  // The model files of each part.
  CHECK(bg_nbd_model_from_bytes(to_bytes(clv.bg_nbd())) == clv.bg_nbd());
  CHECK(gamma_gamma_model_from_bytes(to_bytes(clv.gamma_gamma())) == clv.gamma_gamma());
  const pareto_nbd_model pn({0.55, 10.5, 0.6, 11.6});
  CHECK(pareto_nbd_model_from_bytes(to_bytes(pn)) == pn);
}

TEST_CASE("lifecycle by P(alive): churned and dormant follow the thresholds, NaN falls back to days") {
  metric_table t;
  t.add("recency", {10, 10, 10, 400});
  t.add("tenure", {500, 500, 500, 600});
  t.add("last_gap", {5, 5, 5, 5});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  t.add("p_alive", {0.9, 0.3, 0.1, nan});
  lifecycle_config c;
  c.by_p_alive = true;
  const lifecycle_result r = lifecycle_model(c).stages(t);
  CHECK(r.stage[0] == lifecycle_stage::active);
  CHECK(r.stage[1] == lifecycle_stage::dormant);
  CHECK(r.stage[2] == lifecycle_stage::churned);
  CHECK(r.stage[3] == lifecycle_stage::churned);
  const lifecycle_model m(c);
  CHECK(lifecycle_model_from_bytes(to_bytes(m)) == m);
  c.churn_p_alive = 0.6;
  CHECK_THROWS_AS(c.check(), invalid_input);
}

TEST_CASE("clv_data: x must be a whole number; whole values of any size pass, fractions and non-finite values do not") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> whole = {0, 1, 4503599627370495.0, 9007199254740992.0, 1e300};  // to 2^52 - 1, 2^53 and past
  const std::vector<double> T1(whole.size(), 1.0);
  std::vector<double> tx(whole.size(), 0.5);
  tx[0] = 0;  // x = 0: t_x = 0
  CHECK_NOTHROW(clv_data({whole, tx, T1, {}}).check("test"));
  for (const double bad : {0.5, 4503599627370495.5, -1.0, inf, nan, -0.25}) {
    CAPTURE(bad);
    std::vector<double> x = whole;
    x[2] = bad;
    CHECK_THROWS_WITH_AS(clv_data({x, tx, T1, {}}).check("test"),
                         doctest::Contains("x (repeat purchases) must be a non-negative integer, found another value: 1 row of 5 (first: row 2)"),
                         invalid_input);
  }
}
