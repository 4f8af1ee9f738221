#pragma once
// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while alive a customer buys at Poisson
// rate lambda ~ Gamma(r, alpha) and stays alive an exponential time of rate mu ~ Gamma(s,
// beta). Parameters r, alpha, s, beta (alpha, beta in the summary's time unit).
//
// The likelihood's dropout term, written with Gauss hypergeometric functions 2F1(r+s+x,
// s+1 or r+x; r+s+x+1; z) in the papers, is the integral it comes from,
//   s * integral from t_x to T of (alpha + u)^-(r+x) (beta + u)^-(s+1) du,
// a positive, smooth integrand: it is integrated with 10-point Gauss-Legendre panels in
// log(u + min(alpha, beta)) (where it is analytic in a strip of half-width pi), the panels
// narrowed where it decays fast (large x) and stopped once it is below 1e-17 of the sum.
// This is stable over the whole range (alpha < beta or > beta or equal, z near 1, x in the
// thousands: no cancellation, no overflow), and the same nodes give the analytic gradient.
// Predictions as in bg_nbd.hpp; P(X(t) = n) integrates the same way.
#include <cstdint>
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/number_span.hpp"
#include "tierkit/strategies/clv_summary.hpp"
#include "tierkit/strategies/mle.hpp"

namespace tierkit {

struct pareto_nbd_params {
  double r = 1, alpha = 1, s = 1, beta = 1;
  bool operator==(const pareto_nbd_params& o) const {
    return r == o.r && alpha == o.alpha && s == o.s && beta == o.beta;
  }
};

class pareto_nbd_model {
 public:
  pareto_nbd_model() = default;
  explicit pareto_nbd_model(pareto_nbd_params params);
  pareto_nbd_model(pareto_nbd_params params, mle_report report);

  const pareto_nbd_params& params() const noexcept { return params_; }
  const mle_report& report() const noexcept { return report_; }

  double log_likelihood(const clv_data& data) const;
  std::vector<double> expected_purchases(number_span t) const;
  std::vector<double> conditional_expected_purchases(double t, const clv_data& data) const;
  std::vector<double> p_alive(const clv_data& data) const;
  double probability_of_purchases(std::int64_t n, double t) const;
  std::vector<double> expected_cumulative(number_span birth, number_span weight, number_span times) const;

  bool operator==(const pareto_nbd_model& o) const { return params_ == o.params_ && report_ == o.report_; }

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    detail::archive_double(ar, params_.r);
    detail::archive_double(ar, params_.alpha);
    detail::archive_double(ar, params_.s);
    detail::archive_double(ar, params_.beta);
    ar & report_;
  }

 private:
  pareto_nbd_params params_;
  mle_report report_;
};

pareto_nbd_model fit_pareto_nbd(const clv_data& data, const mle_config& config = {});

}  // namespace tierkit
