#include "tierkit/strategies/pareto_nbd.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <limits>
#include <string>

#include "strategies/clv_fit.hpp"
#include "strategies/clv_math.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

void check_params(const pareto_nbd_params& p, const char* function) {
  for (double v : {p.r, p.alpha, p.s, p.beta}) {
    if (!(v > 0) || !std::isfinite(v)) {
      throw invalid_input(std::string(function) + ": parameters r, alpha, s, beta must be positive and finite; got " +
                          detail::format_parameters({"r", "alpha", "s", "beta"}, {p.r, p.alpha, p.s, p.beta}));
    }
  }
}

// The dropout integral I = int_lo^hi (alpha+u)^-p (beta+u)^-q du and the integrals of the
// same integrand times 1/(alpha+u), 1/(beta+u), log(alpha+u), log(beta+u), each divided by
// exp(log_g0), where log_g0 is the log of the integrand in y = log(u + c) at lo (c =
// min(alpha, beta)).
struct dropout_integrals {
  double log_g0 = 0;
  double i0 = 0, ia = 0, ib = 0, la = 0, lb = 0;
};

dropout_integrals integrate_dropout(double alpha, double beta, double p, double q, double lo, double hi, bool grad) {
  dropout_integrals out;
  const double c = std::min(alpha, beta);
  const double da = alpha - c, db = beta - c;
  const double y_end = std::log(hi + c);
  double y = std::log(lo + c);
  auto log_g = [&](double yy, double& la, double& lb) {
    const double u = std::exp(yy);
    la = da == 0 ? yy : std::log(u + da);
    lb = db == 0 ? yy : std::log(u + db);
    return -p * la - q * lb + yy;
  };
  auto rate = [&](double yy) {  // -d log g / dy, increasing in y
    const double u = std::exp(yy);
    return p * u / (u + da) + q * u / (u + db) - 1.0;
  };
  double la0, lb0;
  out.log_g0 = log_g(y, la0, lb0);
  // Panels are at least min_panel wide and at most max_panels many: parameters far beyond
  // any data (a decay rate past 1e6 per unit of log time, or an integrand that overflows)
  // give a NaN integral, and so a NaN likelihood that a fit steps back from, not a panel
  // width that halves to zero and a loop that never ends.
  constexpr double min_panel = 1e-6;
  constexpr int max_panels = 1 << 20;
  int panels = 0;
  while (y < y_end) {
    double h = std::min(1.0, y_end - y);
    while (h > min_panel && h * rate(y + h) > 1.0) h *= 0.5;  // at most one e-fold of decay per panel
    const double mid = y + 0.5 * h, half = 0.5 * h;
    double s0 = 0, sa = 0, sb = 0, sla = 0, slb = 0;
    for (int k = 0; k < 5; ++k) {
      for (double sign : {-1.0, 1.0}) {
        const double yy = mid + sign * half * detail::gl10_x[k];
        double la, lb;
        const double v = detail::gl10_w[k] * half * std::exp(log_g(yy, la, lb) - out.log_g0);
        s0 += v;
        if (grad) {
          const double u = std::exp(yy);
          sa += v / (u + da);
          sb += v / (u + db);
          sla += v * la;
          slb += v * lb;
        }
      }
    }
    if (!std::isfinite(s0) || ++panels > max_panels) {
      out.i0 = std::numeric_limits<double>::quiet_NaN();
      return out;
    }
    out.i0 += s0;
    out.ia += sa;
    out.ib += sb;
    out.la += sla;
    out.lb += slb;
    y += h;
    if (rate(y) > 0 && s0 <= 1e-17 * out.i0) break;  // decreasing from here on, and negligible
  }
  return out;
}

// Log-likelihood of one customer; with grad, its gradient in (r, alpha, s, beta) added
// times w into g. lg_r = lgamma(r+x) - lgamma(r), ps_r = digamma(r+x) - digamma(r).
// p_alive (optional) receives P(alive at T).
double row_loglik(const pareto_nbd_params& prm, double x, double t_x, double T, double lg_r, double ps_r,
                  double w, double* g, double* p_alive) {
  const double r = prm.r, alpha = prm.alpha, s = prm.s, beta = prm.beta;
  const double p = r + x, q = s + 1;
  const double lnC = lg_r + r * std::log(alpha) + s * std::log(beta);
  const double lTa = std::log(alpha + T), lTb = std::log(beta + T);
  const double logP = -p * lTa - s * lTb;
  double logS = logP, wP = 1.0, wI = 0.0;
  dropout_integrals I;
  if (t_x < T) {
    I = integrate_dropout(alpha, beta, p, q, t_x, T, g != nullptr);
    const double logSI = std::log(s) + I.log_g0 + std::log(I.i0);
    const double m = std::max(logP, logSI);
    logS = m + std::log(std::exp(logP - m) + std::exp(logSI - m));
    wP = std::exp(logP - logS);
    wI = std::exp(logSI - logS);
  }
  if (p_alive != nullptr) *p_alive = wP;
  if (g != nullptr) {
    g[0] += w * (ps_r + std::log(alpha) + wP * -lTa + (wI > 0 ? wI * -(I.la / I.i0) : 0.0));
    g[1] += w * (r / alpha + wP * -p / (alpha + T) + (wI > 0 ? wI * -p * (I.ia / I.i0) : 0.0));
    g[2] += w * (std::log(beta) + wP * -lTb + (wI > 0 ? wI * (1.0 / s - I.lb / I.i0) : 0.0));
    g[3] += w * (s / beta + wP * -s / (beta + T) + (wI > 0 ? wI * -q * (I.ib / I.i0) : 0.0));
  }
  return lnC + logS;
}

double loglik(const pareto_nbd_params& prm, const detail::weighted_rows& d, double* grad) {
  const std::size_t nx = d.xs.size();
  std::vector<double> lg_r(nx), ps_r(nx);
  const double lg0 = std::lgamma(prm.r), ps0 = detail::digamma(prm.r);
  for (std::size_t j = 0; j < nx; ++j) {
    lg_r[j] = std::lgamma(prm.r + d.xs[j]) - lg0;
    ps_r[j] = grad != nullptr ? detail::digamma(prm.r + d.xs[j]) - ps0 : 0.0;
  }
  if (grad != nullptr) grad[0] = grad[1] = grad[2] = grad[3] = 0;
  double ll = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const std::size_t j = d.x_index[i];
    ll += d.w[i] * row_loglik(prm, d.x[i], d.t_x[i], d.T[i], lg_r[j], ps_r[j], d.w[i], grad, nullptr);
  }
  return ll;
}

// [1 - (b / (b + t))^(s-1)] / (s - 1), continuous through s = 1 (where it is log(1 + t/b)).
double decay_factor(double s, double b, double t) {
  const double L = std::log1p(t / b);
  const double e = s - 1;
  if (std::fabs(e * L) < 1e-8) return L * (1 - 0.5 * e * L);
  return -std::expm1(-e * L) / e;
}

}  // namespace

pareto_nbd_model::pareto_nbd_model(pareto_nbd_params params) : params_(params) {
  check_params(params_, "tierkit.pareto_nbd_model");
  report_.names = {"r", "alpha", "s", "beta"};
  report_.estimate = {params.r, params.alpha, params.s, params.beta};
  report_.std_error.assign(4, detail::nan_value);
}

pareto_nbd_model::pareto_nbd_model(pareto_nbd_params params, mle_report report)
    : params_(params), report_(std::move(report)) {
  check_params(params_, "tierkit.pareto_nbd_model");
}

double pareto_nbd_model::log_likelihood(const clv_data& data) const {
  data.check("tierkit.pareto_nbd_model.log_likelihood");
  return loglik(params_, detail::merge_identical(data), nullptr);
}

std::vector<double> pareto_nbd_model::expected_purchases(number_span t) const {
  std::vector<double> out(t.size());
  const auto& p = params_;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!(t[i] >= 0) || !std::isfinite(t[i])) {
      throw invalid_input("tierkit.pareto_nbd_model.expected_purchases: t must be non-negative and finite; row " +
                          std::to_string(i));
    }
    out[i] = p.r * p.beta / p.alpha * decay_factor(p.s, p.beta, t[i]);
  }
  return out;
}

std::vector<double> pareto_nbd_model::p_alive(const clv_data& data) const {
  data.check("tierkit.pareto_nbd_model.p_alive");
  std::vector<double> out(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    row_loglik(params_, data.x[i], data.t_x[i], data.T[i], 0, 0, 1, nullptr, &out[i]);
  }
  return out;
}

std::vector<double> pareto_nbd_model::conditional_expected_purchases(double t, const clv_data& data) const {
  const char* fn = "tierkit.pareto_nbd_model.conditional_expected_purchases";
  data.check(fn);
  if (!(t >= 0) || !std::isfinite(t)) throw invalid_input(std::string(fn) + ": t must be non-negative and finite");
  std::vector<double> out = p_alive(data);
  const auto& p = params_;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double x = data.x[i], T = data.T[i];
    out[i] *= (p.r + x) * (p.beta + T) / (p.alpha + T) * decay_factor(p.s, p.beta + T, t);
  }
  return out;
}

double pareto_nbd_model::probability_of_purchases(std::int64_t n, double t) const {
  const char* fn = "tierkit.pareto_nbd_model.probability_of_purchases";
  if (n < 0) throw invalid_input(std::string(fn) + ": n must be non-negative; got " + std::to_string(n));
  if (!(t >= 0) || !std::isfinite(t)) throw invalid_input(std::string(fn) + ": t must be non-negative and finite");
  if (t == 0) return n == 0 ? 1.0 : 0.0;
  const auto& p = params_;
  const double x = static_cast<double>(n);
  const double lnb0 = std::lgamma(p.r + x) - std::lgamma(p.r) - std::lgamma(x + 1);
  // Alive through t: NB(n; t) (beta / (beta + t))^s.
  const double first = std::exp(lnb0 + p.r * std::log(p.alpha / (p.alpha + t)) + x * std::log(t / (p.alpha + t)) +
                                p.s * std::log(p.beta / (p.beta + t)));
  // Dropped out at u in (0, t): int NB(n; u) (s / beta) (beta / (beta + u))^(s+1) du, in
  // y = log u from log t downward: the integrand is u^(n+1) (alpha+u)^-(r+n) (beta+u)^-(s+1)
  // times constants, and decays like u^(n+1) as u -> 0.
  auto log_h = [&](double y) {
    const double u = std::exp(y);
    return (x + 1) * y - (p.r + x) * std::log(p.alpha + u) - (p.s + 1) * std::log(p.beta + u);
  };
  auto slope = [&](double y) {  // |d log h / dy| bound on a panel ending at y
    const double u = std::exp(y);
    return std::fabs(x + 1 - (p.r + x) * u / (p.alpha + u) - (p.s + 1) * u / (p.beta + u)) + 1.0;
  };
  const double y_top = std::log(t);
  const double ref = log_h(y_top);
  double sum = 0, y = y_top;
  for (int panels = 0; panels < 100000; ++panels) {
    double h = std::min(1.0, 1.0 / slope(y));
    const double mid = y - 0.5 * h, half = 0.5 * h;
    double s0 = 0;
    for (int k = 0; k < 5; ++k) {
      s0 += detail::gl10_w[k] * half * (std::exp(log_h(mid - half * detail::gl10_x[k]) - ref) +
                                        std::exp(log_h(mid + half * detail::gl10_x[k]) - ref));
    }
    sum += s0;
    y -= h;
    const double u = std::exp(y);
    const double dlog = x + 1 - (p.r + x) * u / (p.alpha + u) - (p.s + 1) * u / (p.beta + u);
    if (dlog > 0 && s0 <= 1e-17 * sum) break;  // decreasing downward from here on
  }
  const double second = std::exp(lnb0 + p.r * std::log(p.alpha) + std::log(p.s / p.beta) + (p.s + 1) * std::log(p.beta) +
                                 ref + std::log(sum));
  return first + second;
}

std::vector<double> pareto_nbd_model::expected_cumulative(number_span birth, number_span weight,
                                                          number_span times) const {
  if (!weight.empty() && weight.size() != birth.size()) {
    throw invalid_input("tierkit.pareto_nbd_model.expected_cumulative: weight and birth differ in length");
  }
  std::vector<double> out(times.size(), 0.0);
  const auto& p = params_;
  for (std::size_t k = 0; k < times.size(); ++k) {
    double sum = 0;
    for (std::size_t i = 0; i < birth.size(); ++i) {
      const double age = times[k] - birth[i];
      if (age > 0) sum += (weight.empty() ? 1.0 : weight[i]) * p.r * p.beta / p.alpha * decay_factor(p.s, p.beta, age);
    }
    out[k] = sum;
  }
  return out;
}

pareto_nbd_model fit_pareto_nbd(const clv_data& data, const mle_config& config) {
  const char* fn = "tierkit.fit_pareto_nbd";
  data.check(fn);
  detail::weighted_rows rows = detail::merge_identical(data, false, config.threads);
  if (rows.total_weight <= 0) throw invalid_input(std::string(fn) + ": no customers to fit (all weights are 0)");
  double max_T = 0;
  for (double v : rows.T) max_T = std::max(max_T, v);
  const double scale = max_T > 0 ? 10.0 / max_T : 1.0;
  const detail::weighted_rows scaled = detail::scaled_rows(rows, scale);
  std::vector<double> theta0 = {1, 1, 1, 1};
  if (!config.initial.empty()) {
    if (config.initial.size() != 4) {
      throw invalid_input(std::string(fn) + ": initial must hold 4 values (r, alpha, s, beta); got " +
                          std::to_string(config.initial.size()));
    }
    theta0 = config.initial;
    theta0[1] *= scale;
    theta0[3] *= scale;
    check_params({theta0[0], theta0[1], theta0[2], theta0[3]}, fn);
  }
  mle_report report;
  report.names = {"r", "alpha", "s", "beta"};
  report.distinct_rows = static_cast<std::int64_t>(rows.size());
  detail::fit_parameters(
      [&](const Eigen::VectorXd& th, Eigen::VectorXd* g) {
        double grad[4];
        const double ll = loglik({th[0], th[1], th[2], th[3]}, scaled, g != nullptr ? grad : nullptr);
        if (g != nullptr) *g = Eigen::Map<Eigen::Vector4d>(grad);
        return ll;
      },
      theta0, {1, scale, 1, scale}, rows.total_weight, config, fn, report);
  const pareto_nbd_params p{report.estimate[0], report.estimate[1], report.estimate[2], report.estimate[3]};
  report.log_likelihood = loglik(p, rows, nullptr);
  return pareto_nbd_model(p, std::move(report));
}

}  // namespace tierkit
