#include "tierkit/strategies/bg_nbd.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <string>

#include "strategies/clv_fit.hpp"
#include "strategies/clv_math.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

void check_params(const bg_nbd_params& p, const char* function) {
  for (double v : {p.r, p.alpha, p.a, p.b}) {
    if (!(v > 0) || !std::isfinite(v)) {
      throw invalid_input(std::string(function) + ": parameters r, alpha, a, b must be positive and finite; got " +
                          detail::format_parameters({"r", "alpha", "a", "b"}, {p.r, p.alpha, p.a, p.b}));
    }
  }
}

// Total log-likelihood of weighted rows and, with `grad`, its gradient in (r, alpha, a, b).
double loglik(const bg_nbd_params& p, const detail::weighted_rows& d, double* grad) {
  const double r = p.r, alpha = p.alpha, a = p.a, b = p.b;
  const std::size_t nx = d.xs.size();
  // Per distinct x: the terms that do not depend on t_x and T.
  std::vector<double> lg_r(nx), B(nx), ps_r(nx), dB_a(nx), dB_b(nx), lD0(nx);
  const double lg_r0 = std::lgamma(r), lg_ab = std::lgamma(a + b), lg_b = std::lgamma(b);
  const double ps_r0 = detail::digamma(r), ps_ab = detail::digamma(a + b), ps_b = detail::digamma(b);
  for (std::size_t j = 0; j < nx; ++j) {
    const double x = d.xs[j];
    lg_r[j] = std::lgamma(r + x) - lg_r0;
    B[j] = lg_ab + std::lgamma(b + x) - lg_b - std::lgamma(a + b + x);
    lD0[j] = x > 0 ? std::log(a) - std::log(b + x - 1) : 0.0;
    if (grad != nullptr) {
      ps_r[j] = detail::digamma(r + x) - ps_r0;
      const double ps_abx = detail::digamma(a + b + x);
      dB_a[j] = ps_ab - ps_abx;
      dB_b[j] = ps_ab + detail::digamma(b + x) - ps_b - ps_abx;
    }
  }
  const double log_alpha = std::log(alpha);
  double ll = 0, gr = 0, gal = 0, ga = 0, gb = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const std::size_t j = d.x_index[i];
    const double x = d.x[i], w = d.w[i], rx = r + x;
    const double lT = std::log(alpha + d.T[i]);
    const double A = lg_r[j] + r * log_alpha;
    const double C = -rx * lT;
    double row, wd = 0, lt = 0;
    if (x > 0) {
      lt = std::log(alpha + d.t_x[i]);
      const double D = lD0[j] - rx * lt;
      // log(e^C + e^D) without overflow; wd = e^D / (e^C + e^D).
      if (D > C) {
        const double e = std::exp(C - D);
        row = A + B[j] + D + std::log1p(e);
        wd = 1.0 / (1.0 + e);
      } else {
        const double e = std::exp(D - C);
        row = A + B[j] + C + std::log1p(e);
        wd = e / (1.0 + e);
      }
    } else {
      row = A + B[j] + C;
    }
    ll += w * row;
    if (grad != nullptr) {
      const double wc = 1.0 - wd;
      gr += w * (ps_r[j] + log_alpha - wc * lT - wd * lt);
      gal += w * (r / alpha - wc * rx / (alpha + d.T[i]) - (x > 0 ? wd * rx / (alpha + d.t_x[i]) : 0.0));
      ga += w * (dB_a[j] + (x > 0 ? wd / a : 0.0));
      gb += w * (dB_b[j] - (x > 0 ? wd / (b + x - 1) : 0.0));
    }
  }
  if (grad != nullptr) {
    grad[0] = gr;
    grad[1] = gal;
    grad[2] = ga;
    grad[3] = gb;
  }
  return ll;
}

// E[X(t)] of a new customer at parameters p (a != 1 and a + b - 1 not a pole; see below).
double expected_raw(const bg_nbd_params& p, double t) {
  if (t <= 0) return 0.0;
  const double c = p.a + p.b - 1;
  const double z = t / (p.alpha + t);
  const detail::log_value f = detail::hyp2f1(p.r, p.b, c, z);
  const double term = f.sign * std::exp(p.r * std::log(p.alpha / (p.alpha + t)) + f.log_abs);
  return c / (p.a - 1) * (1.0 - term);
}

// Removes the removable singularities of the closed forms: a = 1 (the factor 1 / (a - 1))
// and a + b - 1 at a non-positive integer (a pole of 2F1 that its factor cancels): the
// value there is the mean at a (or b) +- 1e-5, exact to about 1e-10.
template <class Eval>
double regular(const bg_nbd_params& p, Eval&& eval, double x_shift = 0) {
  constexpr double h = 1e-5;
  if (std::fabs(p.a - 1) < 1e-6) {
    bg_nbd_params lo = p, hi = p;
    lo.a = 1 - h;
    hi.a = 1 + h;
    return 0.5 * (eval(lo) + eval(hi));
  }
  const double c = p.a + p.b - 1 + x_shift;
  if (c <= 0.5 && std::fabs(c - std::nearbyint(c)) < 1e-6) {
    bg_nbd_params lo = p, hi = p;
    lo.b -= h;
    hi.b += h;
    return 0.5 * (eval(lo) + eval(hi));
  }
  return eval(p);
}

double p_alive_row(const bg_nbd_params& p, double x, double t_x, double T) {
  if (x == 0) return 1.0;
  const double l = std::log(p.a) - std::log(p.b + x - 1) + (p.r + x) * (std::log(p.alpha + T) - std::log(p.alpha + t_x));
  return l > 0 ? std::exp(-l) / (1.0 + std::exp(-l)) : 1.0 / (1.0 + std::exp(l));
}

}  // namespace

bg_nbd_model::bg_nbd_model(bg_nbd_params params) : params_(params) {
  check_params(params_, "tierkit.bg_nbd_model");
  report_.names = {"r", "alpha", "a", "b"};
  report_.estimate = {params.r, params.alpha, params.a, params.b};
  report_.std_error.assign(4, detail::nan_value);
}

bg_nbd_model::bg_nbd_model(bg_nbd_params params, mle_report report) : params_(params), report_(std::move(report)) {
  check_params(params_, "tierkit.bg_nbd_model");
}

double bg_nbd_model::log_likelihood(const clv_data& data) const {
  data.check("tierkit.bg_nbd_model.log_likelihood");
  return loglik(params_, detail::merge_identical(data), nullptr);
}

std::vector<double> bg_nbd_model::expected_purchases(number_span t) const {
  std::vector<double> out(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!(t[i] >= 0) || !std::isfinite(t[i])) {
      throw invalid_input("tierkit.bg_nbd_model.expected_purchases: t must be non-negative and finite; row " +
                          std::to_string(i) + " is " + std::to_string(t[i]));
    }
    out[i] = regular(params_, [&](const bg_nbd_params& q) { return expected_raw(q, t[i]); });
  }
  return out;
}

std::vector<double> bg_nbd_model::conditional_expected_purchases(double t, const clv_data& data) const {
  const char* fn = "tierkit.bg_nbd_model.conditional_expected_purchases";
  data.check(fn);
  if (!(t >= 0) || !std::isfinite(t)) throw invalid_input(std::string(fn) + ": t must be non-negative and finite");
  std::vector<double> out(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double x = data.x[i], T = data.T[i];
    if (t == 0) {
      out[i] = 0;
      continue;
    }
    const double alive = regular(params_, [&](const bg_nbd_params& p) {
      const double A = p.r + x, B = p.b + x, C = p.a + p.b + x - 1;
      const double z = t / (p.alpha + T + t);
      const detail::log_value f = detail::hyp2f1(A, B, C, z);
      const double term = f.sign * std::exp(A * std::log((p.alpha + T) / (p.alpha + T + t)) + f.log_abs);
      return C / (p.a - 1) * (1.0 - term);
    }, x);
    out[i] = alive * p_alive_row(params_, x, data.t_x[i], T);
  }
  return out;
}

std::vector<double> bg_nbd_model::p_alive(const clv_data& data) const {
  data.check("tierkit.bg_nbd_model.p_alive");
  std::vector<double> out(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) out[i] = p_alive_row(params_, data.x[i], data.t_x[i], data.T[i]);
  return out;
}

double bg_nbd_model::probability_of_purchases(std::int64_t n, double t) const {
  const char* fn = "tierkit.bg_nbd_model.probability_of_purchases";
  if (n < 0) throw invalid_input(std::string(fn) + ": n must be non-negative; got " + std::to_string(n));
  if (!(t >= 0) || !std::isfinite(t)) throw invalid_input(std::string(fn) + ": t must be non-negative and finite");
  const double r = params_.r, alpha = params_.alpha, a = params_.a, b = params_.b;
  const double x = static_cast<double>(n);
  if (t == 0) return n == 0 ? 1.0 : 0.0;
  const double lq = std::log(alpha / (alpha + t)), lp = std::log(t / (alpha + t));
  const double lbeta_ab = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  // log NB(j) = log Gamma(r + j) - log Gamma(r) - log j! + r log q + j log p
  auto log_nb = [&](double j) { return std::lgamma(r + j) - std::lgamma(r) - std::lgamma(j + 1) + r * lq + j * lp; };
  const double first = std::exp(std::lgamma(a) + std::lgamma(b + x) - std::lgamma(a + b + x) - lbeta_ab + log_nb(x));
  if (n == 0) return first;
  // The NB tail P(N >= n): summed upward when small (no cancellation), else 1 - the CDF.
  double cdf = 0;
  for (std::int64_t j = 0; j < n; ++j) cdf += std::exp(log_nb(static_cast<double>(j)));
  double tail;
  if (cdf < 0.5) {
    tail = 1.0 - cdf;
  } else {
    tail = 0;
    for (std::int64_t j = n; j < n + 100000; ++j) {
      const double v = std::exp(log_nb(static_cast<double>(j)));
      tail += v;
      if (v < 1e-18 * tail && static_cast<double>(j) > (r + static_cast<double>(j)) * std::exp(lp)) break;
    }
  }
  const double second = std::exp(std::lgamma(a + 1) + std::lgamma(b + x - 1) - std::lgamma(a + b + x) - lbeta_ab) * tail;
  return first + second;
}

std::vector<double> bg_nbd_model::expected_cumulative(number_span birth, number_span weight, number_span times) const {
  const char* fn = "tierkit.bg_nbd_model.expected_cumulative";
  if (!weight.empty() && weight.size() != birth.size()) {
    throw invalid_input(std::string(fn) + ": weight has " + std::to_string(weight.size()) + " rows, birth " +
                        std::to_string(birth.size()));
  }
  std::vector<double> out(times.size(), 0.0);
  for (std::size_t k = 0; k < times.size(); ++k) {
    double sum = 0;
    for (std::size_t i = 0; i < birth.size(); ++i) {
      const double age = times[k] - birth[i];
      if (age <= 0) continue;
      const double e = regular(params_, [&](const bg_nbd_params& q) { return expected_raw(q, age); });
      sum += (weight.empty() ? 1.0 : weight[i]) * e;
    }
    out[k] = sum;
  }
  return out;
}

bg_nbd_model fit_bg_nbd(const clv_data& data, const mle_config& config) {
  const char* fn = "tierkit.fit_bg_nbd";
  data.check(fn);
  detail::weighted_rows rows = detail::merge_identical(data);
  if (rows.total_weight <= 0) throw invalid_input(std::string(fn) + ": no customers to fit (all weights are 0)");
  // Time is scaled so that the longest T is 10 (as lifetimes does): alpha then starts near 1.
  double max_T = 0;
  for (double v : rows.T) max_T = std::max(max_T, v);
  const double scale = max_T > 0 ? 10.0 / max_T : 1.0;
  detail::weighted_rows scaled = rows;
  for (std::size_t i = 0; i < scaled.size(); ++i) {
    scaled.t_x[i] *= scale;
    scaled.T[i] *= scale;
  }
  std::vector<double> theta0 = {1, 1, 1, 1};
  if (!config.initial.empty()) {
    if (config.initial.size() != 4) {
      throw invalid_input(std::string(fn) + ": initial must hold 4 values (r, alpha, a, b); got " +
                          std::to_string(config.initial.size()));
    }
    theta0 = config.initial;
    theta0[1] *= scale;
    check_params({theta0[0], theta0[1], theta0[2], theta0[3]}, fn);
  }
  mle_report report;
  report.names = {"r", "alpha", "a", "b"};
  report.distinct_rows = static_cast<std::int64_t>(rows.size());
  detail::fit_parameters(
      [&](const Eigen::VectorXd& th, Eigen::VectorXd* g) {
        double grad[4];
        const double ll = loglik({th[0], th[1], th[2], th[3]}, scaled, g != nullptr ? grad : nullptr);
        if (g != nullptr) *g = Eigen::Map<Eigen::Vector4d>(grad);
        return ll;
      },
      theta0, {1, scale, 1, 1}, rows.total_weight, config, fn, report);
  const bg_nbd_params p{report.estimate[0], report.estimate[1], report.estimate[2], report.estimate[3]};
  report.log_likelihood = loglik(p, rows, nullptr);
  return bg_nbd_model(p, std::move(report));
}

}  // namespace tierkit
