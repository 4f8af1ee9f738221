#include <doctest/doctest.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

#include "detail/random.hpp"
#include "strategies/clv_fit.hpp"
#include "tierkit/strategies/bg_nbd.hpp"

using namespace tierkit;

TEST_CASE("merging identical customers: sorted distinct rows, weights summed in input order, all three paths alike") {
  detail::random_stream rng(7, 0);
  const std::size_t n = 5000;
  std::vector<double> x(n), tx(n), T(n), w(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<double>(rng.below(6));
    T[i] = static_cast<double>(1 + rng.below(40)) / 7.0;
    tx[i] = x[i] == 0 ? 0.0 : static_cast<double>(rng.below(static_cast<std::uint64_t>(T[i] * 7) + 1)) / 7.0;
    w[i] = rng.below(5) == 0 ? 0.0 : 0.25 + rng.uniform();
  }
  // x's ranks by its values' table (all below 2^16), or, with a few values beyond, hashed.
  for (const bool large_x : {false, true}) {
    CAPTURE(large_x);
    if (large_x) {
      for (std::size_t i = 0; i < n; i += 97) x[i] = 1e9 + static_cast<double>(rng.below(3));
    }
    const clv_data d{x, tx, T, w};
    d.check("test");
    std::map<std::tuple<double, double, double>, double> want;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (w[i] == 0) continue;
      want[{x[i], tx[i], T[i]}] += w[i];
      total += w[i];
    }
    // The three paths: rows radix-sorted by their ranks packed in 32 bits, rows hashed to
    // groups, rows sorted by the three ranks.
    for (int path : {0, 1, 2}) {
      CAPTURE(path);
      const detail::weighted_rows r = detail::merge_identical(d, path == 2, 0, path == 0);
      REQUIRE(r.size() == want.size());
      CHECK(r.total_weight == doctest::Approx(total).epsilon(1e-14));
      std::size_t k = 0;
      std::vector<double> x_weight(r.xs.size(), 0.0);
      for (const auto& [key, weight] : want) {
        CHECK(r.x[k] == std::get<0>(key));
        CHECK(r.t_x[k] == std::get<1>(key));
        CHECK(r.T[k] == std::get<2>(key));
        CHECK(r.w[k] == weight);  // the same additions in the same order
        CHECK(r.xs[r.x_index[k]] == r.x[k]);
        CHECK(r.t_xs[r.t_x_index[k]] == r.t_x[k]);
        CHECK(r.Ts[r.T_index[k]] == r.T[k]);
        x_weight[r.x_index[k]] += r.w[k];
        ++k;
      }
      for (std::size_t j = 0; j < r.xs.size(); ++j) CHECK(r.x_weight[j] == doctest::Approx(x_weight[j]));
      CHECK(std::is_sorted(r.xs.begin(), r.xs.end()));
      CHECK(std::is_sorted(r.Ts.begin(), r.Ts.end()));
      CHECK(std::is_sorted(r.t_xs.begin(), r.t_xs.end()));
    }
  }
}

namespace {

// BG/NBD's log-likelihood written row by row, as Fader, Hardie & Lee (2005, eq. 6) give it:
// the reference for the fit's blocked form (per distinct x, T and t_x).
double bg_nbd_loglik_by_rows(const bg_nbd_params& p, const std::vector<double>& x, const std::vector<double>& tx,
                             const std::vector<double>& T, const std::vector<double>& w) {
  double total = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double rx = p.r + x[i];
    const double ab = std::lgamma(rx) - std::lgamma(p.r) + p.r * std::log(p.alpha) + std::lgamma(p.a + p.b) +
                      std::lgamma(p.b + x[i]) - std::lgamma(p.b) - std::lgamma(p.a + p.b + x[i]);
    const double c = -rx * std::log(p.alpha + T[i]);
    double row = ab + c;
    if (x[i] > 0) {
      const double dd = std::log(p.a) - std::log(p.b + x[i] - 1) - rx * std::log(p.alpha + tx[i]);
      const double hi = std::max(c, dd), lo = std::min(c, dd);
      row = ab + hi + std::log1p(std::exp(lo - hi));
    }
    total += w[i] * row;
  }
  return total;
}

// Gamma(shape, 1) by Marsaglia & Tsang (shape < 1 through shape + 1 and u^(1/shape)).
double gamma_draw(detail::random_stream& rng, double shape) {
  if (shape < 1) return gamma_draw(rng, shape + 1) * std::pow(rng.uniform_open(), 1 / shape);
  const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  while (true) {
    double z, v;
    do {
      z = rng.normal();
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform_open();
    if (std::log(u) < 0.5 * z * z + d - d * v + d * std::log(v)) return d * v;
  }
}

// Customers drawn from the BG/NBD process itself: purchase rate ~ Gamma(r, alpha), dropout
// probability ~ Beta(a, b) after each repeat purchase, observed for T weeks (continuous,
// so nearly every customer is a distinct row).
clv_data simulate_bg_nbd(const bg_nbd_params& p, std::size_t n, std::uint64_t seed, std::vector<double>& x,
                         std::vector<double>& tx, std::vector<double>& T) {
  detail::random_stream rng(seed, 0);
  x.assign(n, 0);
  tx.assign(n, 0);
  T.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double lambda = gamma_draw(rng, p.r) / p.alpha;
    const double g1 = gamma_draw(rng, p.a), g2 = gamma_draw(rng, p.b), drop = g1 / (g1 + g2);
    T[i] = 1 + 38 * rng.uniform();
    double t = 0;
    while (true) {
      t += rng.exponential(1 / lambda);
      if (t > T[i]) break;
      x[i] += 1;
      tx[i] = t;
      if (rng.uniform() < drop) break;
    }
  }
  return clv_data{x, tx, T, {}};
}

}  // namespace

TEST_CASE("BG/NBD: the blocked log-likelihood equals the row-by-row formula (weights, x = 0, large x)") {
  detail::random_stream rng(11, 0);
  const std::size_t n = 20000;  // several blocks of the sum
  std::vector<double> x(n), tx(n), T(n), w(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = rng.below(10) == 0 ? static_cast<double>(rng.below(2000)) : static_cast<double>(rng.below(8));
    T[i] = static_cast<double>(1 + rng.below(300)) / 7.0;
    tx[i] = x[i] == 0 ? 0.0 : T[i] * rng.uniform();
    w[i] = rng.below(7) == 0 ? 0.0 : static_cast<double>(1 + rng.below(4));
  }
  const clv_data d{x, tx, T, w};
  for (const bg_nbd_params p : {bg_nbd_params{0.2426, 4.4137, 0.7930, 2.4262}, bg_nbd_params{3.0, 0.05, 5.0, 0.3},
                                bg_nbd_params{0.01, 200.0, 0.02, 40.0}}) {
    CAPTURE(p.r);
    const double want = bg_nbd_loglik_by_rows(p, x, tx, T, w);
    CHECK(bg_nbd_model(p).log_likelihood(d) == doctest::Approx(want).epsilon(1e-12));
  }
}

TEST_CASE("BG/NBD: a fit on many distinct customers is the same on 1, 2 and 3 threads, and finds the parameters") {
  const bg_nbd_params truth{0.5, 4.0, 0.8, 2.5};
  std::vector<double> x, tx, T;
  // More than three times detail::min_rows_per_thread distinct rows, so the likelihood's
  // sum runs on up to three threads.
  const clv_data d = simulate_bg_nbd(truth, 220000, 3, x, tx, T);
  mle_config one;
  one.threads = 1;
  const bg_nbd_model m1 = fit_bg_nbd(d, one);
  CHECK(m1.report().distinct_rows > 3 * 65536);
  for (unsigned threads : {2u, 3u}) {
    CAPTURE(threads);
    mle_config c;
    c.threads = threads;
    const bg_nbd_model m = fit_bg_nbd(d, c);
    CHECK(m.report() == m1.report());  // every digit, the evaluation count too
  }
  // The estimates lie within 5 standard errors of the parameters drawn from.
  const auto& e = m1.report().estimate;
  const auto& se = m1.report().std_error;
  const double want[4] = {truth.r, truth.alpha, truth.a, truth.b};
  for (std::size_t k = 0; k < 4; ++k) {
    CAPTURE(k);
    CHECK(std::fabs(e[k] - want[k]) < 5 * se[k]);
  }
}

TEST_CASE("BG/NBD: standard errors from the analytic Hessian equal those of the log-likelihood's second differences") {
  // Weighted customers with x = 0 and large x, a plain and a penalized fit: every term of
  // the Hessian (per x, per row, the penalty) takes part in the standard errors.
  std::vector<double> x, tx, T;
  clv_data d = simulate_bg_nbd({0.5, 4.0, 0.8, 2.5}, 3000, 5, x, tx, T);
  std::vector<double> w(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) w[i] = 1.0 + static_cast<double>(i % 3);
  x[0] = 150;
  tx[0] = 0.9 * T[0];
  d = clv_data{x, tx, T, w};
  for (const double penalty : {0.0, 0.01}) {
    CAPTURE(penalty);
    mle_config c;
    c.l2_penalty = penalty;
    const bg_nbd_model m = fit_bg_nbd(d, c);
    const std::vector<double>& e = m.report().estimate;
    double W = 0, max_T = 0;
    for (double v : w) W += v;
    for (double v : T) max_T = std::max(max_T, v);
    // The total objective, -log-likelihood + W * penalty * |theta|^2, of the parameters, the
    // penalty on alpha in the fit's time unit (the longest T is 10).
    auto objective = [&](std::vector<double> th) {
      const double sq = th[0] * th[0] + std::pow(th[1] * 10 / max_T, 2) + th[2] * th[2] + th[3] * th[3];
      return -bg_nbd_model({th[0], th[1], th[2], th[3]}).log_likelihood(d) + W * penalty * sq;
    };
    Eigen::Matrix4d H;
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        const double hi = 1e-4 * e[static_cast<std::size_t>(i)], hj = 1e-4 * e[static_cast<std::size_t>(j)];
        auto at = [&](double si, double sj) {
          std::vector<double> th = e;
          th[static_cast<std::size_t>(i)] += si * hi;
          th[static_cast<std::size_t>(j)] += sj * hj;
          return objective(th);
        };
        H(i, j) = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hi * hj);
      }
    }
    const Eigen::Matrix4d cov = H.inverse();
    for (int k = 0; k < 4; ++k) {
      CAPTURE(k);
      CHECK(m.report().std_error[static_cast<std::size_t>(k)] == doctest::Approx(std::sqrt(cov(k, k))).epsilon(1e-5));
    }
  }
}
