#pragma once
// Gamma-Gamma model of spend per purchase (Fader & Hardie, "The Gamma-Gamma Model of
// Monetary Value"): a customer's purchase values are Gamma(p, nu), nu ~ Gamma(q, gamma)
// across customers. Fitted on the customers with repeat purchases (x > 0) and a positive
// mean repeat value m_x; other rows are left out (counted in the report). Parameters p, q,
// gamma.
//   conditional_expected_value(x, m_x)  E[M | x, m_x] = p (gamma + x m_x) / (p x + q - 1):
//       for x = 0 (or m_x <= 0 or missing) the population mean p gamma / (q - 1); NaN when
//       q <= 1 (the mean does not exist)
// The likelihood is the density of the mean m_x of x purchases (the convention of the note
// and of lifetimes), with log m_x and lgamma in log-space.
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/number_span.hpp"
#include "tierkit/strategies/mle.hpp"

namespace tierkit {

struct gamma_gamma_params {
  double p = 1, q = 1, gamma = 1;
  bool operator==(const gamma_gamma_params& o) const { return p == o.p && q == o.q && gamma == o.gamma; }
};

class gamma_gamma_model {
 public:
  gamma_gamma_model() = default;
  explicit gamma_gamma_model(gamma_gamma_params params);
  gamma_gamma_model(gamma_gamma_params params, mle_report report);

  const gamma_gamma_params& params() const noexcept { return params_; }
  const mle_report& report() const noexcept { return report_; }

  // Total log-likelihood over rows with x > 0 and m_x > 0 (weights optional).
  double log_likelihood(number_span x, number_span m_x, number_span weight = {}) const;
  std::vector<double> conditional_expected_value(number_span x, number_span m_x) const;
  double population_mean() const noexcept;

  bool operator==(const gamma_gamma_model& o) const { return params_ == o.params_ && report_ == o.report_; }

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    detail::archive_double(ar, params_.p);
    detail::archive_double(ar, params_.q);
    detail::archive_double(ar, params_.gamma);
    ar & report_;
  }

 private:
  gamma_gamma_params params_;
  mle_report report_;
};

// invalid_input: lengths differ, x not a non-negative integer, m_x not finite where x > 0,
// fewer than 2 usable rows.
gamma_gamma_model fit_gamma_gamma(number_span x, number_span m_x, number_span weight = {},
                                  const mle_config& config = {});

}  // namespace tierkit
