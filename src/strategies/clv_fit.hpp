#pragma once
// What the lifetime-value fits share: merging identical customers into weighted rows, and
// the maximum-likelihood drivers (log-parameters; BFGS with a Newton polish, or Newton on
// an analytic Hessian; standard errors; not_converged with the state). Internal.
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "detail/customer_log.hpp"  // parallel_blocks, threads_for_rows
#include "detail/flat_map.hpp"
#include "detail/hash.hpp"
#include "detail/radix_sort.hpp"
#include "strategies/optimize.hpp"
#include "tierkit/error.hpp"
#include "tierkit/strategies/clv_summary.hpp"
#include "tierkit/strategies/mle.hpp"

namespace tierkit::detail {

// Customers with equal (x, t_x, T) as one row weighted by their count (their summed
// weights); rows of zero weight dropped. Rows sorted by x, then t_x, then T, so per-x terms
// (lgamma, digamma) are computed once per distinct x: x_index[i] indexes xs. The distinct
// values of T and of t_x are listed too (Ts, t_xs, sorted; T_index, t_x_index): terms such
// as log(alpha + T) are then computed once per distinct value, not once per row (generated
// or daily data hold a few hundred distinct values among 10^5 distinct rows).
struct weighted_rows {
  std::vector<double> x, t_x, T, w;
  std::vector<double> xs;
  std::vector<double> x_weight;  // summed weight of each distinct x
  std::vector<std::size_t> x_index;
  std::vector<double> Ts, t_xs;
  std::vector<std::uint32_t> T_index, t_x_index;
  double total_weight = 0;
  std::size_t size() const noexcept { return x.size(); }
};

// The rank of each value among the distinct values of `v` (rows with keep[i] only; keep
// empty: every row), and the sorted distinct values. Values are finite (checked before), so
// their bit patterns never take the map's reserved key (nor the cache's empty mark, a NaN);
// -0 is read as 0.
inline std::vector<std::uint32_t> distinct_ranks(number_span v, const std::vector<std::uint8_t>& keep,
                                                 std::vector<double>& values) {
  const std::size_t n = v.size();
  const bool all = keep.empty();
  flat_map_u64<std::uint32_t> code;  // bits -> first-seen code + 1
  // A direct-mapped cache of values seen, in front of the map: a column of a few hundred
  // distinct values (whole days) finds nearly every row there by one multiply and one
  // compare, without the map's probing and its mispredicted branches. Its slot is a keyed
  // hash (as the map's), and a miss only costs the map's lookup, so no data can make it
  // slower than the map by more than that check.
  constexpr unsigned cache_bits = 12;
  constexpr std::uint64_t no_value = ~std::uint64_t{0};
  std::vector<std::uint64_t> cache_bits_of(std::size_t{1} << cache_bits, no_value);
  std::vector<std::uint32_t> cache_code(std::size_t{1} << cache_bits, 0);
  const hash_key& key = process_hash_key();
  std::vector<double> seen;
  std::vector<std::uint32_t> first(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (!all && !keep[i]) continue;
    const double value = v[i] + 0.0;  // -0 + 0 = +0
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    const std::size_t slot = fold_multiply(bits ^ key.offset, key.multiplier) >> (64 - cache_bits);
    if (cache_bits_of[slot] == bits) {
      first[i] = cache_code[slot];
      continue;
    }
    std::uint32_t& c = code[bits];
    if (c == 0) {
      seen.push_back(value);
      c = static_cast<std::uint32_t>(seen.size());
    }
    first[i] = c - 1;
    cache_bits_of[slot] = bits;
    cache_code[slot] = c - 1;
  }
  std::vector<std::uint32_t> order(seen.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return seen[a] < seen[b]; });
  std::vector<std::uint32_t> rank(seen.size());
  values.resize(seen.size());
  for (std::uint32_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r;
    values[r] = seen[order[r]];
  }
  for (std::size_t i = 0; i < n; ++i) first[i] = all || keep[i] ? rank[first[i]] : 0;
  return first;
}

// distinct_ranks for a column of non-negative integers (x, checked before) whose largest
// value is below max(rows, 2^16): the values are counted in a table indexed by the value,
// with no hashing. Returns false (and nothing) for a larger value.
inline bool small_integer_ranks(number_span v, const std::vector<std::uint8_t>& keep, std::vector<double>& values,
                                std::vector<std::uint32_t>& ranks) {
  const std::size_t n = v.size();
  const double limit = static_cast<double>(std::max<std::size_t>(n, std::size_t{1} << 16));
  double largest = 0;
  for (std::size_t i = 0; i < n; ++i) largest = std::max(largest, v[i]);
  if (!(largest < limit)) return false;
  const bool all = keep.empty();
  std::vector<std::uint32_t> rank(static_cast<std::size_t>(largest) + 1, 0);  // value -> present, then rank
  for (std::size_t i = 0; i < n; ++i) {
    if (all || keep[i]) rank[static_cast<std::size_t>(v[i])] = 1;
  }
  values.clear();
  for (std::size_t value = 0; value < rank.size(); ++value) {
    if (rank[value] == 0) continue;
    rank[value] = static_cast<std::uint32_t>(values.size());
    values.push_back(static_cast<double>(value));
  }
  ranks.resize(n);
  for (std::size_t i = 0; i < n; ++i) ranks[i] = all || keep[i] ? rank[static_cast<std::size_t>(v[i])] : 0;
  return true;
}

// (by_ranks: sort by the three ranks even when they pack; dense = false: hash rows to their
// groups even when the ranks pack into 32 bits; for the tests of those paths.)
// threads: at most this many (0: all cores) for the three columns' ranks.
inline weighted_rows merge_identical(const clv_data& d, bool by_ranks = false, unsigned threads = 0,
                                     bool dense = true) {
  const std::size_t n = d.size();
  const bool weighted = !d.weight.empty();
  std::vector<std::uint8_t> keep;  // empty: every row (no weights)
  if (weighted) {
    keep.resize(n);
    for (std::size_t i = 0; i < n; ++i) keep[i] = d.weight[i] != 0;
  }
  auto kept = [&](std::size_t i) { return !weighted || keep[i] != 0; };
  weighted_rows r;
  std::vector<std::uint32_t> rx, rt, rT;
  // The three columns' ranks are independent: one task each (x's, by its small integer
  // values when it can, is the cheapest: last).
  parallel_blocks(3, threads_for_rows(3 * n, threads), [&](std::size_t k, unsigned) {
    if (k == 0) rt = distinct_ranks(d.t_x, keep, r.t_xs);
    if (k == 1) rT = distinct_ranks(d.T, keep, r.Ts);
    if (k == 2 && !small_integer_ranks(d.x, keep, r.xs, rx)) rx = distinct_ranks(d.x, keep, r.xs);
  });
  // A row's key packs its three ranks, so that keys sort as (x, t_x, T) do. (The product of
  // the distinct counts is at most n^3, which fits 62 bits below 1.6 million rows, and
  // usually far beyond; when it does not, the rows are sorted by the three ranks.)
  const std::uint64_t nt = std::max<std::size_t>(1, r.t_xs.size()), nT = std::max<std::size_t>(1, r.Ts.size());
  const std::uint64_t nx = std::max<std::size_t>(1, r.xs.size());
  const bool packs = !by_ranks && nx <= (std::uint64_t{1} << 62) / nt / nT;
  r.x_weight.assign(r.xs.size(), 0.0);
  // When the three ranks pack into 32 bits (generated and daily data: a few hundred
  // distinct values each), rows are sorted by their packed key, least-significant digit
  // first in a few passes of at most 11 bits (stably: a group's weights add in input
  // order), and runs of equal keys are the groups, already in order: each pass reads and
  // writes the keys in sequence, into buckets whose write positions stay in the caches.
  // Else rows are hashed to their groups.
  auto width = [](std::uint64_t count) {
    int b = 0;
    while ((std::uint64_t{1} << b) < count) ++b;
    return b;
  };
  const int T_bits = width(nT), t_bits = width(nt), x_bits = width(nx);
  if (packs && dense && x_bits + t_bits + T_bits <= 32) {
    const int key_bits = std::max(1, x_bits + t_bits + T_bits);
    auto key_of = [&](std::size_t i) {
      return static_cast<std::uint32_t>((std::uint64_t{rx[i]} << (t_bits + T_bits)) | (std::uint64_t{rt[i]} << T_bits) | rT[i]);
    };
    const std::uint32_t T_mask = static_cast<std::uint32_t>((std::uint64_t{1} << T_bits) - 1);
    const std::uint32_t t_mask = static_cast<std::uint32_t>((std::uint64_t{1} << t_bits) - 1);
    auto emit = [&](std::uint32_t key, double w) {
      const std::uint32_t ix = static_cast<std::uint32_t>(std::uint64_t{key} >> (t_bits + T_bits));
      const std::uint32_t it = (key >> T_bits) & t_mask, iT = key & T_mask;
      r.x_index.push_back(ix);
      r.t_x_index.push_back(it);
      r.T_index.push_back(iT);
      r.x.push_back(r.xs[ix]);
      r.t_x.push_back(r.t_xs[it]);
      r.T.push_back(r.Ts[iT]);
      r.w.push_back(w);
      r.x_weight[ix] += w;
    };
    if (!weighted) {
      std::vector<std::uint32_t> keys(n);
      for (std::size_t i = 0; i < n; ++i) keys[i] = key_of(i);
      radix_sort_bits(keys, [](std::uint32_t k) { return std::uint64_t{k}; }, key_bits);
      for (std::size_t k = 0; k < n;) {
        std::size_t e = k + 1;
        while (e < n && keys[e] == keys[k]) ++e;
        emit(keys[k], static_cast<double>(e - k));
        k = e;
      }
      r.total_weight = static_cast<double>(n);
    } else {
      struct keyed_weight {
        double w;
        std::uint32_t key;
      };
      std::vector<keyed_weight> rows;
      rows.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (keep[i]) rows.push_back({d.weight[i], key_of(i)});
      }
      radix_sort_bits(rows, [](const keyed_weight& k) { return std::uint64_t{k.key}; }, key_bits);
      double total = 0;
      for (std::size_t k = 0; k < rows.size();) {
        double w = rows[k].w;
        total += rows[k].w;
        std::size_t e = k + 1;
        for (; e < rows.size() && rows[e].key == rows[k].key; ++e) {
          w += rows[e].w;
          total += rows[e].w;
        }
        emit(rows[k].key, w);
        k = e;
      }
      r.total_weight = total;
    }
    return r;
  }
  // Groups of equal rows, as (key, summed weight) in key order; each group's weights add in
  // input order.
  struct keyed {
    std::uint64_t key;
    std::size_t row;  // a row of the group
  };
  std::vector<keyed> groups;
  std::vector<double> group_weight;
  if (packs) {
    // Rows hashed to their group (customers repeat: far fewer groups than rows), then only
    // the groups sorted.
    flat_map_u64<std::uint32_t> group_of;  // key -> group + 1
    for (std::size_t i = 0; i < n; ++i) {
      if (!kept(i)) continue;
      const std::uint64_t key = (rx[i] * nt + rt[i]) * nT + rT[i];
      const double w = d.weight.empty() ? 1.0 : d.weight[i];
      r.total_weight += w;
      std::uint32_t& g = group_of[key];
      if (g == 0) {
        groups.push_back({key, i});
        group_weight.push_back(0.0);
        g = static_cast<std::uint32_t>(groups.size());
      }
      group_weight[g - 1] += w;
    }
    std::vector<keyed> order(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) order[g] = {groups[g].key, g};
    radix_sort_by(order, [](const keyed& k) { return k.key; });
    std::vector<double> w(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) w[k] = group_weight[order[k].row];
    group_weight.swap(w);
    for (keyed& k : order) k.row = groups[k.row].row;
    groups.swap(order);
  } else {  // beyond 62 bits: rows sorted by the three ranks, stably
    std::vector<keyed> rows;
    rows.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (kept(i)) rows.push_back({0, i});
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const keyed& a, const keyed& b) {
      if (rx[a.row] != rx[b.row]) return rx[a.row] < rx[b.row];
      if (rt[a.row] != rt[b.row]) return rt[a.row] < rt[b.row];
      return rT[a.row] < rT[b.row];
    });
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const std::size_t i = rows[k].row;
      const double w = d.weight.empty() ? 1.0 : d.weight[i];
      r.total_weight += w;
      if (k > 0) {
        const std::size_t a = rows[k - 1].row;
        if (rx[a] == rx[i] && rt[a] == rt[i] && rT[a] == rT[i]) {
          group_weight.back() += w;
          continue;
        }
      }
      groups.push_back(rows[k]);
      group_weight.push_back(w);
    }
  }
  const std::size_t m = groups.size();
  for (auto* v : {&r.x, &r.t_x, &r.T, &r.w}) v->resize(m);
  r.x_index.resize(m);
  r.t_x_index.resize(m);
  r.T_index.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t i = groups[k].row;
    const std::uint32_t ix = rx[i], it = rt[i], iT = rT[i];
    r.x_index[k] = ix;
    r.t_x_index[k] = it;
    r.T_index[k] = iT;
    r.x[k] = r.xs[ix];
    r.t_x[k] = r.t_xs[it];
    r.T[k] = r.Ts[iT];
    r.w[k] = group_weight[k];
    r.x_weight[ix] += group_weight[k];
  }
  return r;
}

// The rows with their times multiplied by `scale` (the fits' internal time unit).
inline weighted_rows scaled_rows(weighted_rows r, double scale) {
  for (double& v : r.t_x) v *= scale;
  for (double& v : r.T) v *= scale;
  for (double& v : r.t_xs) v *= scale;
  for (double& v : r.Ts) v *= scale;
  return r;
}

inline std::string format_parameters(const std::vector<std::string>& names, const std::vector<double>& v) {
  std::ostringstream ss;
  ss.precision(8);
  for (std::size_t i = 0; i < v.size(); ++i) ss << (i ? ", " : "") << names[i] << " = " << v[i];
  return ss.str();
}

// Fills the report from an optimizer's result (estimate in caller units, iterations,
// gradient norm) or throws not_converged with its state; then the standard errors from
// `hessian_u()`, the Hessian of the mean objective in u at r.u. ll_at(theta) is the total
// log-likelihood, for the message.
template <class LogLikAt, class HessianU>
void report_fit(const optimize_result& r, LogLikAt&& ll_at, HessianU&& hessian_u, const std::vector<double>& unit_scale,
                double W, const mle_config& config, const char* function, mle_report& report) {
  const Eigen::Index n = r.u.size();
  const double lambda = config.l2_penalty;
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
    const double ll = ll_at(Eigen::VectorXd(r.u.array().exp()));
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
  const Eigen::MatrixXd Hu = hessian_u() * W;
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
  // The last Hessian and where it was taken: the standard errors reuse it when the final
  // point lies within 1e-7 of it in every log-parameter (a Newton step from a converged
  // BFGS point moves about that little), which changes them by about that relative amount,
  // far below their own precision, and saves 2 * n evaluations of the likelihood.
  Eigen::MatrixXd last_H;
  Eigen::VectorXd last_H_at;
  for (int k = 0; k < 4 && r.u.allFinite() && std::isfinite(r.f) &&
                  !(r.g.lpNorm<Eigen::Infinity>() <= 1e-4 * config.gradient_tolerance); ++k) {
    const Eigen::MatrixXd H = hessian_of_gradient(objective, r.u);
    last_H = H;
    last_H_at = r.u;
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
  const bool reuse = last_H.size() > 0 && (r.u - last_H_at).lpNorm<Eigen::Infinity>() <= 1e-7;
  report_fit(
      r, [&](const Eigen::VectorXd& theta) {
        Eigen::VectorXd gt(n);
        return loglik(theta, &gt);
      },
      [&]() { return reuse ? last_H : hessian_of_gradient(objective, r.u); }, unit_scale, W, config, function, report);
}

// Fits as fit_parameters, by Newton's method on the analytic Hessian: loglik(theta, &grad,
// &hess) returns the total weighted log-likelihood, its gradient and its Hessian in theta
// (hess: n x n). Newton needs fewer passes over the customers than BFGS (one pass gives the
// gradient and the Hessian), and the standard errors come from the exact Hessian at the
// estimate.
template <class LogLikH>
void fit_parameters_newton(LogLikH&& loglik, std::vector<double> theta0, const std::vector<double>& unit_scale,
                           double total_weight, const mle_config& config, const char* function, mle_report& report) {
  const Eigen::Index n = static_cast<Eigen::Index>(theta0.size());
  const double W = total_weight;
  const double lambda = config.l2_penalty;
  // The mean objective in u = log(theta): gradient D g_theta and Hessian D H_theta D +
  // diag(D g_theta), with D = diag(theta).
  auto objective = [&](const Eigen::VectorXd& u, Eigen::VectorXd* g, Eigen::MatrixXd* H) {
    const Eigen::VectorXd theta = u.array().exp();
    Eigen::VectorXd grad_theta(n);
    Eigen::MatrixXd hess_theta(n, n);
    const double ll = loglik(theta, &grad_theta, &hess_theta);
    const double f = -ll / W + lambda * theta.squaredNorm();
    const Eigen::VectorXd gt = -grad_theta / W + 2 * lambda * theta;
    *g = gt.cwiseProduct(theta);
    Eigen::MatrixXd Ht = -hess_theta / W;
    Ht.diagonal().array() += 2 * lambda;
    *H = theta.asDiagonal() * Ht * theta.asDiagonal();
    H->diagonal() += *g;
    return std::isfinite(ll) ? f : std::numeric_limits<double>::infinity();
  };
  Eigen::VectorXd u(n);
  for (Eigen::Index i = 0; i < n; ++i) u[i] = std::log(theta0[static_cast<std::size_t>(i)]);
  optimize_settings s;
  s.max_iterations = config.max_iterations;
  s.gradient_tolerance = config.gradient_tolerance;
  Eigen::MatrixXd H;
  // Polished below the tolerance as fit_parameters' Newton steps do (a step or two more).
  const optimize_result r = minimize_newton(objective, u, s, 1e-4 * config.gradient_tolerance, H);
  report_fit(
      r, [&](const Eigen::VectorXd& theta) {
        Eigen::VectorXd gt(n);
        Eigen::MatrixXd ht(n, n);
        return loglik(theta, &gt, &ht);
      },
      [&]() { return H; }, unit_scale, W, config, function, report);
}

}  // namespace tierkit::detail
