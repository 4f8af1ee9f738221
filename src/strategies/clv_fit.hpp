#pragma once
// What the lifetime-value fits share: merging identical customers into weighted rows, and
// the maximum-likelihood driver (log-parameters, BFGS, Newton polish, standard errors,
// not_converged with the state). Internal.
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "strategies/optimize.hpp"
#include "tierkit/error.hpp"
#include "tierkit/strategies/clv_summary.hpp"
#include "tierkit/strategies/mle.hpp"

namespace tierkit::detail {

// Customers with equal (x, t_x, T) as one row weighted by their count (their summed
// weights); rows of zero weight dropped. Rows sorted by x, so per-x terms (lgamma, digamma)
// are computed once per distinct x: x_index[i] indexes xs.
struct weighted_rows {
  std::vector<double> x, t_x, T, w;
  std::vector<double> xs;
  std::vector<std::size_t> x_index;
  double total_weight = 0;
  std::size_t size() const noexcept { return x.size(); }
};

inline weighted_rows merge_identical(const clv_data& d) {
  const std::size_t n = d.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    if (d.x[i] != d.x[j]) return d.x[i] < d.x[j];
    if (d.t_x[i] != d.t_x[j]) return d.t_x[i] < d.t_x[j];
    return d.T[i] < d.T[j];
  });
  weighted_rows r;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = order[k];
    const double w = d.weight.empty() ? 1.0 : d.weight[i];
    if (w == 0) continue;
    r.total_weight += w;
    if (!r.x.empty() && r.x.back() == d.x[i] && r.t_x.back() == d.t_x[i] && r.T.back() == d.T[i]) {
      r.w.back() += w;
      continue;
    }
    if (r.xs.empty() || r.xs.back() != d.x[i]) r.xs.push_back(d.x[i]);
    r.x.push_back(d.x[i]);
    r.t_x.push_back(d.t_x[i]);
    r.T.push_back(d.T[i]);
    r.w.push_back(w);
    r.x_index.push_back(r.xs.size() - 1);
  }
  return r;
}

inline std::string format_parameters(const std::vector<std::string>& names, const std::vector<double>& v) {
  std::ostringstream ss;
  ss.precision(8);
  for (std::size_t i = 0; i < v.size(); ++i) ss << (i ? ", " : "") << names[i] << " = " << v[i];
  return ss.str();
}

// Fits parameters theta (natural scale, internal units) maximizing loglik(theta, &grad) --
// the total weighted log-likelihood and its gradient in theta -- on the mean objective of
// mle.hpp. `unit_scale[i]` converts a parameter to the caller's units (theta_caller =
// theta / unit_scale). Fills the report's estimate (caller units), std_error, iterations,
// gradient norm; throws not_converged naming `function` otherwise.
template <class LogLik>
void fit_parameters(LogLik&& loglik, std::vector<double> theta0, const std::vector<double>& unit_scale,
                    double total_weight, const mle_config& config, const char* function, mle_report& report) {
  const Eigen::Index n = static_cast<Eigen::Index>(theta0.size());
  const double W = total_weight;
  const double lambda = config.l2_penalty;
  auto objective = [&](const Eigen::VectorXd& u, Eigen::VectorXd* g) {
    Eigen::VectorXd theta = u.array().exp();
    Eigen::VectorXd grad_theta(n);
    const double ll = loglik(theta, &grad_theta);
    const double f = -ll / W + lambda * theta.squaredNorm();
    if (g != nullptr) *g = (-grad_theta / W + 2 * lambda * theta).cwiseProduct(theta);
    return std::isfinite(ll) ? f : std::numeric_limits<double>::infinity();
  };
  Eigen::VectorXd u(n);
  for (Eigen::Index i = 0; i < n; ++i) u[i] = std::log(theta0[static_cast<std::size_t>(i)]);
  optimize_settings s;
  s.max_iterations = config.max_iterations;
  s.gradient_tolerance = config.gradient_tolerance;
  optimize_result r = minimize_bfgs(objective, u, s);
  // Newton polish: a few steps on the Hessian of the gradient while they lower the
  // objective (BFGS's last digits are its weakest).
  // (Skipped when BFGS already ended far below the tolerance.)
  for (int k = 0; k < 4 && r.u.allFinite() && std::isfinite(r.f) &&
                  !(r.g.lpNorm<Eigen::Infinity>() <= 1e-4 * config.gradient_tolerance); ++k) {
    const Eigen::MatrixXd H = hessian_of_gradient(objective, r.u);
    Eigen::LLT<Eigen::MatrixXd> llt(H);
    if (llt.info() != Eigen::Success) break;
    const Eigen::VectorXd step = llt.solve(-r.g);
    if (!step.allFinite() || step.lpNorm<Eigen::Infinity>() > 1.0) break;
    Eigen::VectorXd g_new(n);
    const double f_new = objective(r.u + step, &g_new);
    r.evaluations += 1 + 2 * static_cast<int>(n);
    // At the optimum the objective moves by rounding only: the gradient decides.
    const bool better_gradient = g_new.lpNorm<Eigen::Infinity>() < r.g.lpNorm<Eigen::Infinity>();
    if (!(f_new <= r.f + 1e-12 * std::fabs(r.f)) || !g_new.allFinite() || !better_gradient) break;
    r.u += step;
    r.f = f_new;
    r.g = g_new;
  }
  const double gnorm = r.g.lpNorm<Eigen::Infinity>();
  std::vector<double> estimate(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    estimate[static_cast<std::size_t>(i)] = std::exp(r.u[i]) / unit_scale[static_cast<std::size_t>(i)];
  }
  report.estimate = estimate;
  report.iterations = r.iterations;
  report.evaluations = r.evaluations;
  report.gradient_norm = gnorm;
  report.l2_penalty = lambda;
  report.customers = W;
  report.fitted = true;
  if (!(gnorm <= config.gradient_tolerance) || !r.u.allFinite() || !std::isfinite(r.f)) {
    Eigen::VectorXd theta = r.u.array().exp();
    Eigen::VectorXd gt(n);
    const double ll = loglik(theta, &gt);
    std::ostringstream ss;
    ss.precision(6);
    ss << function << ": the maximum-likelihood fit did not converge (" << r.why << ") after " << r.iterations
       << " iterations on " << W << " customers: largest gradient component " << gnorm << " (tolerance "
       << config.gradient_tolerance << "), stopped at " << format_parameters(report.names, estimate)
       << " (log-likelihood " << ll
       << " in the fit's time scale); parameters running to 0 or infinity mean the data do not identify the "
          "model: try l2_penalty > 0, other initial values, or more data";
    throw not_converged(ss.str(), report.names, estimate, ll, gnorm, r.iterations);
  }
  // Standard errors: the Hessian of the total negative log-likelihood in u, turned into the
  // natural parameters, H_theta = D^-1 (H_u - diag(g_u)) D^-1 with D = diag(theta).
  const Eigen::MatrixXd Hu = hessian_of_gradient(objective, r.u) * W;
  const Eigen::VectorXd theta = r.u.array().exp();
  Eigen::MatrixXd Ht = Hu;
  for (Eigen::Index i = 0; i < n; ++i) Ht(i, i) -= r.g[i] * W;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) Ht(i, j) /= theta[i] * theta[j];
  }
  report.std_error.assign(static_cast<std::size_t>(n), std::numeric_limits<double>::quiet_NaN());
  Eigen::LLT<Eigen::MatrixXd> llt(Ht);
  if (llt.info() == Eigen::Success) {
    const Eigen::MatrixXd cov = llt.solve(Eigen::MatrixXd::Identity(n, n));
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      report.std_error[k] = cov(i, i) >= 0 ? std::sqrt(cov(i, i)) / unit_scale[k] : report.std_error[k];
    }
  }
}

}  // namespace tierkit::detail
