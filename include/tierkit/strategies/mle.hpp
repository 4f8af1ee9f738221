#pragma once
// Maximum-likelihood settings and the report of a fit, shared by the lifetime-value models
// (bg_nbd.hpp, pareto_nbd.hpp, gamma_gamma.hpp).
//
// Policy: parameters are fitted on their logarithms (so they stay positive) by BFGS with a
// line search on the analytic gradient, then polished by Newton steps on the Hessian of
// that gradient (central differences); BG/NBD, whose Hessian is analytic and costs one
// pass over the customers, by Newton's method from the start (a step through a saddle or
// a concave region goes downhill: the Hessian's eigenvalues taken by absolute value). The objective is the mean negative log-likelihood
// per customer plus l2_penalty * (sum of the squared parameters) -- the penalty of
// lifetimes' `penalizer_coef`, so that penalized fits compare. Identical customers (equal
// x, t_x, T, or x and m_x) are fitted once with their count as weight. A fit that does not
// reach gradient_tolerance throws tierkit::not_converged with the state it stopped in.
// Standard errors are the square roots of the diagonal of the inverse Hessian of the total
// negative log-likelihood (penalty included) in the natural parameters; NaN when that
// Hessian is not positive definite.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"

namespace tierkit {

struct mle_config {
  double l2_penalty = 0.0;
  int max_iterations = 1000;
  double gradient_tolerance = 1e-8;  // largest gradient component of the mean objective
  std::vector<double> initial;       // starting parameters (natural scale); empty: defaults
  // Threads for the likelihood's sum over customers (BG/NBD; 0: all usable CPUs). The sum
  // runs in fixed blocks added in block order, so the fit is the same on any number.
  unsigned threads = 0;
};

struct mle_report {
  std::vector<std::string> names;
  std::vector<double> estimate;
  std::vector<double> std_error;
  double log_likelihood = std::numeric_limits<double>::quiet_NaN();  // at the estimate, no penalty
  double l2_penalty = 0.0;
  int iterations = 0;
  int evaluations = 0;
  double gradient_norm = 0.0;
  double customers = 0;          // sum of the weights fitted
  std::int64_t distinct_rows = 0;  // rows after merging identical customers
  std::int64_t left_out = 0;       // rows the model cannot use (see each model)
  bool fitted = false;             // false: parameters given, not fitted

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & names;
    detail::archive_doubles(ar, estimate);
    detail::archive_doubles(ar, std_error);
    detail::archive_double(ar, log_likelihood);
    detail::archive_double(ar, l2_penalty);
    ar & iterations & evaluations;
    detail::archive_double(ar, gradient_norm);
    detail::archive_double(ar, customers);
    ar & distinct_rows & left_out & fitted;
  }
  bool operator==(const mle_report& o) const;
};

}  // namespace tierkit
