#include <doctest/doctest.h>

#include <tierkit/error.hpp>
#include <tierkit/strategies/bg_nbd.hpp>

#include <cmath>
#include <vector>

#include "cdnow.hpp"

using namespace tierkit;

namespace {
double rounded(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}
}  // namespace

TEST_CASE("BG/NBD on CDNOW: Fader, Hardie & Lee's log-likelihood, and parameters the paper's to 3 decimals") {
  const cdnow::cbs c = cdnow::read_cbs();
  if (!c.found) {
    MESSAGE("CDNOW data not found under " << cdnow::data_dir() << ": skipped");
    return;
  }
  const clv_data d{c.x, c.t_x, c.T, {}};
  const bg_nbd_model m = fit_bg_nbd(d);
  const auto& p = m.params();
  CHECK(m.report().log_likelihood == doctest::Approx(-9582.43).epsilon(0.005 / 9582.43));
  CHECK(rounded(m.report().log_likelihood, 2) == -9582.43);
  CHECK(rounded(p.r, 4) == 0.2426);
  CHECK(rounded(p.alpha, 3) == 4.414);
  CHECK(rounded(p.a, 3) == 0.793);
  CHECK(rounded(p.b, 3) == 2.426);
  // The paper's four-decimal values lie on the likelihood's flat ridge, 2e-7 below the
  // maximum found here (alpha 4.4136, a 0.7929, b 2.4259): no better point exists.
  const double at_paper = bg_nbd_model({0.2426, 4.4137, 0.7930, 2.4262}).log_likelihood(d);
  CHECK(at_paper <= m.report().log_likelihood);
  CHECK(m.report().log_likelihood - at_paper < 1e-6);
  CHECK(m.report().gradient_norm < 1e-9);
  CHECK(m.report().distinct_rows < 2357);
  for (double se : m.report().std_error) CHECK(se > 0);
}

TEST_CASE("BG/NBD with the paper's parameters gives lifetimes' and BTYD's published predictions") {
  const bg_nbd_model m({0.2426, 4.4137, 0.7930, 2.4262});
  const std::vector<double> t = {0.1429, 1, 3, 31.8571, 32, 78};
  const std::vector<double> expected = {0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576};
  const std::vector<double> e = m.expected_purchases(t);
  for (std::size_t i = 0; i + 1 < t.size(); ++i) CHECK(rounded(e[i], 4) == expected[i]);
  // At t = 78 the published 1.8576 is a 2F1 series cut after about 150 terms (z = 0.946);
  // the full value, 1.857945517465 (30-digit arithmetic), rounds to lifetimes' 1.858.
  CHECK(e[5] == doctest::Approx(1.857945517465296).epsilon(1e-12));
  CHECK(rounded(e[5], 3) == 1.858);
  const std::vector<double> x = {2}, tx = {30.43}, T = {38.86};
  CHECK(rounded(m.conditional_expected_purchases(39, {x, tx, T, {}})[0], 3) == 1.226);
  // lifetimes' BTYD comparison uses the three-decimal parameters.
  const bg_nbd_model btyd({0.243, 4.414, 0.793, 2.426});
  CHECK(rounded(btyd.probability_of_purchases(0, 39), 7) == 0.5737864);
  CHECK(btyd.probability_of_purchases(10, 2) == doctest::Approx(1.07869e-07).epsilon(1e-5));
  const std::vector<double> pmf = {0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                                   0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260};
  for (int n = 11; n <= 20; ++n) CHECK(rounded(btyd.probability_of_purchases(n, 30), 10) == pmf[n - 11]);
  double total = 0;
  for (int n = 0; n < 400; ++n) total += m.probability_of_purchases(n, 39);
  CHECK(total == doctest::Approx(1.0).epsilon(1e-9));
}

TEST_CASE("BG/NBD: P(alive) is 1 without repeat purchases, and nothing overflows at x = 1000") {
  const bg_nbd_model m({0.2426, 4.4137, 0.7930, 2.4262});
  const std::vector<double> x = {0, 0, 1000, 1000, 40}, tx = {0, 0, 10, 99.9, 5}, T = {1, 100, 100, 100, 10};
  const clv_data d{x, tx, T, {}};
  const auto alive = m.p_alive(d);
  CHECK(alive[0] == 1.0);
  CHECK(alive[1] == 1.0);
  for (double v : alive) CHECK((v >= 0 && v <= 1));
  CHECK(alive[2] < 1e-100);
  for (double t : {0.5, 39.0, 520.0}) {
    for (double v : m.conditional_expected_purchases(t, d)) CHECK(std::isfinite(v));
  }
  // Alive with x = 1000 over 90 weeks: about 11 purchases a week ahead.
  const double e = m.conditional_expected_purchases(1, d)[3];
  CHECK(e > 5);
  CHECK(e < 20);
  CHECK(std::isfinite(m.log_likelihood(d)));
  const bg_nbd_model big({10, 10, 10, 10});
  const std::vector<double> xo = {40, 50, 60}, to = {5, 6, 7}, To = {10, 11, 12};
  for (double v : big.p_alive({xo, to, To, {}})) CHECK((v >= 0 && v <= 1));
}

TEST_CASE("BG/NBD: expectations are continuous through a = 1 and agree with the cohort sum") {
  const double t = 20;
  const double near = bg_nbd_model({0.5, 3, 1.0 + 1e-3, 2}).expected_purchases(std::vector<double>{t})[0];
  const double at = bg_nbd_model({0.5, 3, 1.0, 2}).expected_purchases(std::vector<double>{t})[0];
  CHECK(at == doctest::Approx(near).epsilon(1e-3));
  const bg_nbd_model m({0.2426, 4.4137, 0.7930, 2.4262});
  const std::vector<double> birth = {0, 1, 1}, w = {2, 1, 1}, times = {0.5, 3};
  const auto cum = m.expected_cumulative(birth, w, times);
  const auto e = m.expected_purchases(std::vector<double>{0.5, 3, 2});
  CHECK(cum[0] == doctest::Approx(2 * e[0]));
  CHECK(cum[1] == doctest::Approx(2 * e[1] + 2 * e[2]));
}

TEST_CASE("BG/NBD: bad input is refused with the argument, the rows and what was found") {
  const std::vector<double> x = {1, -1, 2.5}, tx = {1, 0, 1}, T = {2, 1, 3};
  CHECK_THROWS_WITH_AS(fit_bg_nbd({x, tx, T, {}}), doctest::Contains("x (repeat purchases) must be a non-negative integer"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(fit_bg_nbd({x, tx, T, {}}), doctest::Contains("2 rows of 3 (first: row 1)"), invalid_input);
  const std::vector<double> x2 = {1, 2}, tx2 = {3, 1}, T2 = {2, 2};
  CHECK_THROWS_WITH_AS(fit_bg_nbd({x2, tx2, T2, {}}), doctest::Contains("T must be at least t_x"), invalid_input);
  const std::vector<double> tneg = {-1, 1};
  CHECK_THROWS_WITH_AS(fit_bg_nbd({x2, tneg, T2, {}}), doctest::Contains("t_x (time of the last repeat purchase)"),
                       invalid_input);
  const std::vector<double> x3 = {1};
  CHECK_THROWS_WITH_AS(fit_bg_nbd({x3, tx2, T2, {}}), doctest::Contains("equal lengths"), invalid_input);
  CHECK_THROWS_AS(bg_nbd_model({0, 1, 1, 1}), invalid_input);
}

TEST_CASE("BG/NBD: a fit that cannot converge says so, with the state it stopped in") {
  // Nobody ever drops out: b runs to infinity.
  const std::vector<double> x = {1, 2, 3, 4}, tx = {1, 2, 3, 4}, T = {1, 2, 3, 4};
  mle_config c;
  c.max_iterations = 30;
  try {
    fit_bg_nbd({x, tx, T, {}}, c);
    FAIL("expected not_converged");
  } catch (const not_converged& e) {
    CHECK(std::string(e.what()).find("did not converge") != std::string::npos);
    CHECK(e.names.size() == 4);
    CHECK(e.parameters.size() == 4);
    CHECK(e.iterations > 0);
  }
}

TEST_CASE("BG/NBD: weights equal repeated rows; a penalty shrinks the parameters") {
  const cdnow::cbs c = cdnow::read_cbs();
  if (!c.found) return;
  std::vector<double> x(c.x.begin(), c.x.begin() + 600), tx(c.t_x.begin(), c.t_x.begin() + 600),
      T(c.T.begin(), c.T.begin() + 600), w(600, 1.0);
  w[3] = 3;
  std::vector<double> xr = x, txr = tx, Tr = T;
  for (int k = 0; k < 2; ++k) {
    xr.push_back(x[3]);
    txr.push_back(tx[3]);
    Tr.push_back(T[3]);
  }
  const auto a = fit_bg_nbd({x, tx, T, w}).params();
  const auto b = fit_bg_nbd({xr, txr, Tr, {}}).params();
  CHECK(a.r == doctest::Approx(b.r).epsilon(1e-8));
  CHECK(a.b == doctest::Approx(b.b).epsilon(1e-8));
  mle_config pen;
  pen.l2_penalty = 0.1;
  const auto p0 = fit_bg_nbd({c.x, c.t_x, c.T, {}}).params();
  const auto p1 = fit_bg_nbd({c.x, c.t_x, c.T, {}}, pen).params();
  CHECK(p1.a + p1.b < p0.a + p0.b);
}
