#include "tierkit/strategies/gamma_gamma.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "strategies/clv_fit.hpp"
#include "strategies/clv_math.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

void check_params(const gamma_gamma_params& p, const char* function) {
  for (double v : {p.p, p.q, p.gamma}) {
    if (!(v > 0) || !std::isfinite(v)) {
      throw invalid_input(std::string(function) + ": parameters p, q, gamma must be positive and finite; got " +
                          detail::format_parameters({"p", "q", "gamma"}, {p.p, p.q, p.gamma}));
    }
  }
}

struct value_rows {
  std::vector<double> x, m, w;
  double total_weight = 0;
  std::int64_t left_out = 0;
};

// Rows with x > 0 and m > 0, identical (x, m) merged.
value_rows usable_rows(number_span x, number_span m, number_span weight, const char* fn) {
  const std::size_t n = x.size();
  if (m.size() != n || (!weight.empty() && weight.size() != n)) {
    throw invalid_input(std::string(fn) + ": x, m_x" + (weight.empty() ? "" : ", weight") +
                        " must have equal lengths; got " + std::to_string(n) + ", " + std::to_string(m.size()) +
                        (weight.empty() ? "" : ", " + std::to_string(weight.size())));
  }
  std::size_t bad_x = 0, bad_m = 0, bad_w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(x[i] >= 0) || !std::isfinite(x[i]) || x[i] != std::floor(x[i])) ++bad_x;
    if (x[i] > 0 && std::isnan(m[i])) ++bad_m;
    if (!weight.empty() && (!(weight[i] >= 0) || !std::isfinite(weight[i]))) ++bad_w;
  }
  if (bad_x) throw invalid_input(std::string(fn) + ": x must be a non-negative integer: " + std::to_string(bad_x) + " rows are not");
  if (bad_m) throw invalid_input(std::string(fn) + ": m_x is missing (NaN) for " + std::to_string(bad_m) + " rows with x > 0");
  if (bad_w) throw invalid_input(std::string(fn) + ": weights must be non-negative and finite: " + std::to_string(bad_w) + " rows are not");
  std::vector<std::size_t> order;
  value_rows r;
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] > 0 && m[i] > 0 && std::isfinite(m[i])) {
      order.push_back(i);
    } else {
      ++r.left_out;
    }
  }
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    return x[i] != x[j] ? x[i] < x[j] : m[i] < m[j];
  });
  for (std::size_t i : order) {
    const double w = weight.empty() ? 1.0 : weight[i];
    if (w == 0) continue;
    r.total_weight += w;
    if (!r.x.empty() && r.x.back() == x[i] && r.m.back() == m[i]) {
      r.w.back() += w;
    } else {
      r.x.push_back(x[i]);
      r.m.push_back(m[i]);
      r.w.push_back(w);
    }
  }
  return r;
}

// The density of the mean of x purchases: Gamma(p x + q) / (Gamma(p x) Gamma(q)) gamma^q
// x^(p x) m^(p x - 1) / (gamma + x m)^(p x + q).
double loglik(const gamma_gamma_params& prm, const value_rows& d, double scale, double* grad) {
  const double p = prm.p, q = prm.q, g = prm.gamma;
  const double lg_q = std::lgamma(q), ps_q = detail::digamma(q), log_g = std::log(g);
  double ll = 0, gp = 0, gq = 0, gg = 0;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    const double x = d.x[i], m = d.m[i] * scale, w = d.w[i];
    const double px = p * x, lx = std::log(x), lm = std::log(m), lgm = std::log(g + x * m);
    ll += w * (std::lgamma(px + q) - std::lgamma(px) - lg_q + q * log_g + (px - 1) * lm + px * lx - (px + q) * lgm);
    if (grad != nullptr) {
      const double ps_pxq = detail::digamma(px + q);
      gp += w * x * (ps_pxq - detail::digamma(px) + lm + lx - lgm);
      gq += w * (ps_pxq - ps_q + log_g - lgm);
      gg += w * (q / g - (px + q) / (g + x * m));
    }
  }
  if (grad != nullptr) {
    grad[0] = gp;
    grad[1] = gq;
    grad[2] = gg;
  }
  return ll;
}

}  // namespace

gamma_gamma_model::gamma_gamma_model(gamma_gamma_params params) : params_(params) {
  check_params(params_, "tierkit.gamma_gamma_model");
  report_.names = {"p", "q", "gamma"};
  report_.estimate = {params.p, params.q, params.gamma};
  report_.std_error.assign(3, detail::nan_value);
}

gamma_gamma_model::gamma_gamma_model(gamma_gamma_params params, mle_report report)
    : params_(params), report_(std::move(report)) {
  check_params(params_, "tierkit.gamma_gamma_model");
}

double gamma_gamma_model::log_likelihood(number_span x, number_span m_x, number_span weight) const {
  const value_rows rows = usable_rows(x, m_x, weight, "tierkit.gamma_gamma_model.log_likelihood");
  return loglik(params_, rows, 1.0, nullptr);
}

double gamma_gamma_model::population_mean() const noexcept {
  return params_.q > 1 ? params_.p * params_.gamma / (params_.q - 1) : detail::nan_value;
}

std::vector<double> gamma_gamma_model::conditional_expected_value(number_span x, number_span m_x) const {
  if (x.size() != m_x.size()) {
    throw invalid_input("tierkit.gamma_gamma_model.conditional_expected_value: x has " + std::to_string(x.size()) +
                        " rows, m_x " + std::to_string(m_x.size()));
  }
  std::vector<double> out(x.size());
  const auto& p = params_;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i], m = m_x[i];
    if (!(xi > 0) || !(m > 0) || !std::isfinite(m) || !std::isfinite(xi)) {
      out[i] = population_mean();
      continue;
    }
    const double denom = p.p * xi + p.q - 1;
    out[i] = denom > 0 ? p.p * (p.gamma + xi * m) / denom : detail::nan_value;
  }
  return out;
}

gamma_gamma_model fit_gamma_gamma(number_span x, number_span m_x, number_span weight, const mle_config& config) {
  const char* fn = "tierkit.fit_gamma_gamma";
  const value_rows rows = usable_rows(x, m_x, weight, fn);
  if (rows.x.size() < 2) {
    throw invalid_input(std::string(fn) + ": needs at least 2 distinct customers with repeat purchases (x > 0) and "
                        "a positive mean value m_x; found " + std::to_string(rows.x.size()) + " (" +
                        std::to_string(rows.left_out) + " rows left out)");
  }
  // Values scaled to mean 1 so that gamma starts near its scale.
  double sum = 0;
  for (std::size_t i = 0; i < rows.m.size(); ++i) sum += rows.m[i] * rows.w[i];
  const double scale = rows.total_weight / sum;
  std::vector<double> theta0 = {1, 1, 1};
  if (!config.initial.empty()) {
    if (config.initial.size() != 3) {
      throw invalid_input(std::string(fn) + ": initial must hold 3 values (p, q, gamma); got " +
                          std::to_string(config.initial.size()));
    }
    theta0 = config.initial;
    theta0[2] *= scale;
    check_params({theta0[0], theta0[1], theta0[2]}, fn);
  }
  mle_report report;
  report.names = {"p", "q", "gamma"};
  report.distinct_rows = static_cast<std::int64_t>(rows.x.size());
  report.left_out = rows.left_out;
  detail::fit_parameters(
      [&](const Eigen::VectorXd& th, Eigen::VectorXd* g) {
        double grad[3];
        const double ll = loglik({th[0], th[1], th[2]}, rows, scale, g != nullptr ? grad : nullptr);
        if (g != nullptr) *g = Eigen::Map<Eigen::Vector3d>(grad);
        return ll;
      },
      theta0, {1, 1, scale}, rows.total_weight, config, fn, report);
  const gamma_gamma_params p{report.estimate[0], report.estimate[1], report.estimate[2]};
  report.log_likelihood = loglik(p, rows, 1.0, nullptr);
  return gamma_gamma_model(p, std::move(report));
}

}  // namespace tierkit
