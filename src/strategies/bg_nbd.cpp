#include "tierkit/strategies/bg_nbd.hpp"

#include <Eigen/Dense>

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "detail/customer_log.hpp"  // parallel_blocks, threads_for_rows
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

// Rows a block of the likelihood's sum: the blocks are fixed, and their partial sums are
// added in block order, so the sum is the same on any number of threads. (A block's
// working arrays, 11 doubles a row, stay in a core's L2 cache.)
constexpr std::size_t loglik_block = 4096;

// Total log-likelihood of weighted rows and, with `grad`, its gradient in (r, alpha, a, b);
// with `hess` too (row-major 4 x 4; only with `grad`), its Hessian.
//
// A row's likelihood is e^(AB + C) + e^(AB + D) with AB depending on x alone (a sum over
// rows of weight times AB is a sum over distinct x of AB times the weight of that x),
// C = -(r + x) log(alpha + T) and D = log(a / (b + x - 1)) - (r + x) log(alpha + t_x) (no D
// term when x = 0): its log is AB + max(C, D) + log(1 + e), e = exp(-|C - D|), with no
// overflow. The logs of alpha + T and alpha + t_x are computed once per distinct value,
// so a row costs one exp and one log; the rows' part runs in blocks, on the worker pool
// when the rows are many. (exp and log stay the C library's: Eigen's packet versions,
// SSE2 without FMA in a portable build, were no faster on x86-64.)
//
// The Hessian of log(e^C + e^D) is wc C'' + wd D'' + wc wd (C' - D')(C' - D')^T, with
// wd = e^D / (e^C + e^D) and wc = 1 - wd: sums of products of what the gradient already
// has, so a pass that gives it costs no more exp or log (and replaces the 8 gradient
// passes of a Hessian by differences).
double loglik(const bg_nbd_params& p, const detail::weighted_rows& d, double* grad, unsigned threads = 0,
              double* hess = nullptr) {
  const double r = p.r, alpha = p.alpha, a = p.a, b = p.b;
  const std::size_t nx = d.xs.size();
  const double log_alpha = std::log(alpha), log_a = std::log(a);
  const double minus_infinity = -std::numeric_limits<double>::infinity();
  // Per distinct x: the terms that do not depend on t_x and T, summed with the weight of
  // that x.
  std::vector<double> lD0(nx), inv_bx1(nx);
  double ll_x = 0, gr_x = 0, ga_x = 0, gb_x = 0, hrr_x = 0, haa_x = 0, hbb_x = 0;
  const double lg_r0 = std::lgamma(r), lg_ab = std::lgamma(a + b), lg_b = std::lgamma(b);
  const double ps_r0 = detail::digamma(r), ps_ab = detail::digamma(a + b), ps_b = detail::digamma(b);
  const bool want_hess = hess != nullptr && grad != nullptr;
  const double tg_r0 = want_hess ? detail::trigamma(r) : 0.0, tg_ab = want_hess ? detail::trigamma(a + b) : 0.0;
  const double tg_b = want_hess ? detail::trigamma(b) : 0.0;
  for (std::size_t j = 0; j < nx; ++j) {
    const double x = d.xs[j], wx = d.x_weight[j];
    ll_x += wx * (std::lgamma(r + x) - lg_r0 + r * log_alpha + lg_ab + std::lgamma(b + x) - lg_b -
                  std::lgamma(a + b + x));
    lD0[j] = x > 0 ? log_a - std::log(b + x - 1) : minus_infinity;
    inv_bx1[j] = x > 0 ? 1.0 / (b + x - 1) : 0.0;
    if (grad != nullptr) {
      gr_x += wx * (detail::digamma(r + x) - ps_r0 + log_alpha);
      const double ps_abx = detail::digamma(a + b + x);
      ga_x += wx * (ps_ab - ps_abx);
      gb_x += wx * (ps_ab + detail::digamma(b + x) - ps_b - ps_abx);
    }
    if (want_hess) {
      hrr_x += wx * (detail::trigamma(r + x) - tg_r0);
      const double tg_abx = detail::trigamma(a + b + x);
      haa_x += wx * (tg_ab - tg_abx);
      hbb_x += wx * (tg_ab + detail::trigamma(b + x) - tg_b - tg_abx);
    }
  }
  // Per distinct T and t_x: log(alpha + .) and 1 / (alpha + .).
  auto logs = [&](const std::vector<double>& v, std::vector<double>& l, std::vector<double>& inv) {
    l.resize(v.size());
    inv.resize(v.size());
    for (std::size_t u = 0; u < v.size(); ++u) {
      l[u] = std::log(alpha + v[u]);
      inv[u] = 1.0 / (alpha + v[u]);
    }
  };
  std::vector<double> lT, iT, lt, it;
  logs(d.Ts, lT, iT);
  logs(d.t_xs, lt, it);
  const std::size_t n = d.size(), blocks = (n + loglik_block - 1) / loglik_block;
  // Per block: log-likelihood, then the rows' parts of the gradient: sum of w (wc log(alpha
  // + T) + wd log(alpha + t_x)), of w (r + x) (wc / (alpha + T) + wd / (alpha + t_x)), of w
  // wd, of w wd / (b + x - 1); then the Hessian's sums (see below).
  constexpr std::size_t parts = 18;
  std::vector<std::array<double, parts>> part(blocks);
  const bool want_grad = grad != nullptr;
  detail::parallel_blocks(blocks, detail::threads_for_rows(n, threads), [&](std::size_t blk, unsigned) {
    const std::size_t begin = blk * loglik_block;
    const auto m = static_cast<Eigen::Index>(std::min(n, begin + loglik_block) - begin);
    Eigen::ArrayXd rx(m), LT(m), Lt(m), D0(m), w(m);
    for (Eigen::Index k = 0; k < m; ++k) {
      const std::size_t i = begin + static_cast<std::size_t>(k), j = d.x_index[i];
      rx[k] = r + d.xs[j];
      LT[k] = lT[d.T_index[i]];
      Lt[k] = lt[d.t_x_index[i]];
      D0[k] = lD0[j];
      w[k] = d.w[i];
    }
    const Eigen::ArrayXd C = -rx * LT;
    const Eigen::ArrayXd D = D0 - rx * Lt;  // -inf when x = 0
    // e = exp(-|C - D|), 0 when x = 0 (D = -inf); log(1 + e), not log1p: e <= 1, so the
    // absolute error stays below 2^-52. (Written as Eigen array expressions over the block;
    // in a portable build they call the C library's exp and log for each row.)
    const Eigen::ArrayXd e = (D0 == minus_infinity).select(0.0, (-(C - D).abs()).exp());
    const Eigen::ArrayXd s = 1.0 + e;
    const Eigen::ArrayXd log_s = s.log();
    auto& q = part[blk];
    q[0] = (w * (C.max(D) + log_s)).sum();
    if (!want_grad) return;
    const Eigen::ArrayXd wd = (D > C).select(1.0, e) / s;
    const Eigen::ArrayXd wc = 1.0 - wd;
    Eigen::ArrayXd IT(m), It(m), B1(m);
    for (Eigen::Index k = 0; k < m; ++k) {
      const std::size_t i = begin + static_cast<std::size_t>(k);
      IT[k] = iT[d.T_index[i]];
      It[k] = it[d.t_x_index[i]];
      B1[k] = inv_bx1[d.x_index[i]];
    }
    const Eigen::ArrayXd wwc = w * wc, wwd = w * wd;
    q[1] = (wwc * LT + wwd * Lt).sum();
    q[2] = (rx * (wwc * IT + wwd * It)).sum();
    q[3] = wwd.sum();
    q[4] = (wwd * B1).sum();
    if (!want_hess) return;
    // v = w wc wd; C' - D' = (log(alpha + t_x) - log(alpha + T), (r + x) (1 / (alpha + t_x)
    // - 1 / (alpha + T)), -1 / a, 1 / (b + x - 1)) = (dr, dal, -1 / a, B1).
    const Eigen::ArrayXd v = wwc * wd;
    const Eigen::ArrayXd dr = Lt - LT, dal = rx * (It - IT);
    const Eigen::ArrayXd vdr = v * dr, vdal = v * dal, vB1 = v * B1;
    q[5] = (vdr * dr).sum();
    q[6] = (vdr * dal).sum();
    q[7] = (vdal * dal).sum();
    q[8] = vdr.sum();
    q[9] = (vdr * B1).sum();
    q[10] = vdal.sum();
    q[11] = (vdal * B1).sum();
    q[12] = v.sum();
    q[13] = vB1.sum();
    q[14] = (vB1 * B1).sum();
    q[15] = (wwd * B1 * B1).sum();
    q[16] = (wwc * IT + wwd * It).sum();
    q[17] = (rx * (wwc * IT * IT + wwd * It * It)).sum();
  });
  std::array<double, parts> total{};
  for (const auto& q : part) {
    for (std::size_t k = 0; k < parts; ++k) total[k] += q[k];
  }
  if (grad != nullptr) {
    grad[0] = gr_x - total[1];
    grad[1] = r / alpha * d.total_weight - total[2];
    grad[2] = ga_x + total[3] / a;
    grad[3] = gb_x - total[4];
  }
  if (want_hess) {
    const double W = d.total_weight;
    double h[4][4];
    h[0][0] = hrr_x + total[5];
    h[0][1] = W / alpha - total[16] + total[6];
    h[1][1] = -W * r / (alpha * alpha) + total[17] + total[7];
    h[0][2] = -total[8] / a;
    h[0][3] = total[9];
    h[1][2] = -total[10] / a;
    h[1][3] = total[11];
    h[2][2] = haa_x + (total[12] - total[3]) / (a * a);
    h[2][3] = haa_x - total[13] / a;
    h[3][3] = hbb_x + total[15] + total[14];
    for (int u = 0; u < 4; ++u) {
      for (int c = 0; c < 4; ++c) hess[4 * u + c] = u <= c ? h[u][c] : h[c][u];
    }
  }
  return ll_x + total[0];
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
  detail::weighted_rows rows = detail::merge_identical(data, false, config.threads);
  if (rows.total_weight <= 0) throw invalid_input(std::string(fn) + ": no customers to fit (all weights are 0)");
  // Time is scaled so that the longest T is 10 (as lifetimes does): alpha then starts near 1.
  double max_T = 0;
  for (double v : rows.T) max_T = std::max(max_T, v);
  const double scale = max_T > 0 ? 10.0 / max_T : 1.0;
  const detail::weighted_rows scaled = detail::scaled_rows(rows, scale);
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
  detail::fit_parameters_newton(
      [&](const Eigen::VectorXd& th, Eigen::VectorXd* g, Eigen::MatrixXd* h) {
        double grad[4], hess[16];
        const double ll = loglik({th[0], th[1], th[2], th[3]}, scaled, grad, config.threads, hess);
        *g = Eigen::Map<Eigen::Vector4d>(grad);
        *h = Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(hess);
        return ll;
      },
      theta0, {1, scale, 1, 1}, rows.total_weight, config, fn, report);
  const bg_nbd_params p{report.estimate[0], report.estimate[1], report.estimate[2], report.estimate[3]};
  report.log_likelihood = loglik(p, rows, nullptr, config.threads);
  return bg_nbd_model(p, std::move(report));
}

}  // namespace tierkit
