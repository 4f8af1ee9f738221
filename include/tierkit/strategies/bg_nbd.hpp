#pragma once
// BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): while alive a
// customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase the customer
// drops out with probability p ~ Beta(a, b). Parameters r, alpha, a, b (alpha in the
// summary's time unit).
//
// Fitting: mle.hpp. The likelihood is evaluated in log-space with lgamma (no overflow for
// x in the thousands); the data are validated (clv_data::check) and identical (x, t_x, T)
// rows merged first. Predictions (t in the summary's time unit):
//   expected_purchases(t)       E[X(t)] of a new customer
//   conditional_expected_purchases(t, data)  E[Y(t) | x, t_x, T], the next t units
//   p_alive(data)               P(alive at T | x, t_x, T); 1 whenever x = 0
//   probability_of_purchases(n, t)  P(X(t) = n) of a new customer
//   expected_cumulative(birth, weight, times)  the cohort's expected repeat purchases up to
//                               each time (tracking): sum of weight * E[X(time - birth)]
// E[X(t)] and the conditional expectation use the Gauss hypergeometric function 2F1,
// evaluated in log-space (series for z <= 1/2, the connection formula to 1 - z above).
#include <cstdint>
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/number_span.hpp"
#include "tierkit/strategies/clv_summary.hpp"
#include "tierkit/strategies/mle.hpp"

namespace tierkit {

struct bg_nbd_params {
  double r = 1, alpha = 1, a = 1, b = 1;
  bool operator==(const bg_nbd_params& o) const { return r == o.r && alpha == o.alpha && a == o.a && b == o.b; }
};

class bg_nbd_model {
 public:
  bg_nbd_model() = default;
  // A model with given parameters (e.g. a paper's); invalid_input unless all are positive
  // and finite.
  explicit bg_nbd_model(bg_nbd_params params);
  bg_nbd_model(bg_nbd_params params, mle_report report);

  const bg_nbd_params& params() const noexcept { return params_; }
  const mle_report& report() const noexcept { return report_; }

  // Total log-likelihood of `data` (weights applied).
  double log_likelihood(const clv_data& data) const;
  std::vector<double> expected_purchases(number_span t) const;
  std::vector<double> conditional_expected_purchases(double t, const clv_data& data) const;
  std::vector<double> p_alive(const clv_data& data) const;
  double probability_of_purchases(std::int64_t n, double t) const;
  std::vector<double> expected_cumulative(number_span birth, number_span weight, number_span times) const;

  bool operator==(const bg_nbd_model& o) const { return params_ == o.params_ && report_ == o.report_; }

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    detail::archive_double(ar, params_.r);
    detail::archive_double(ar, params_.alpha);
    detail::archive_double(ar, params_.a);
    detail::archive_double(ar, params_.b);
    ar & report_;
  }

 private:
  bg_nbd_params params_;
  mle_report report_;
};

bg_nbd_model fit_bg_nbd(const clv_data& data, const mle_config& config = {});

}  // namespace tierkit
