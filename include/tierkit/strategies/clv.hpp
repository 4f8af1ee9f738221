#pragma once
// Customer lifetime value as a strategy: a purchase model (BG/NBD or Pareto/NBD) and the
// Gamma-Gamma value model fitted on customers' metrics; apply() gives per customer
//   p_alive              P(alive at the end of the data)
//   expected_purchases   expected purchases over the next `horizon` time units
//   expected_value       Gamma-Gamma expected value per purchase
//   clv                  sum over `steps` equal steps k of the horizon of expected_value *
//                        (E[purchases to step k] - E[purchases to step k-1]) /
//                        (1 + discount_rate)^k  (lifetimes' customer_lifetime_value with its
//                        discrete discounting; discount_rate is per step)
// so that tier rules can read them (`clv >= 500 and p_alive > 0.5`).
//
// Metrics read: a summary's x, t_x, T and m_x when present; otherwise a profile's
// purchase_days, recency, tenure (days; unit_days converts): x = purchase_days - 1,
// t_x = (tenure - recency) / unit_days, T = (tenure - 1) / unit_days (the calibration end is
// as_of - 1), and the value per repeat purchase day m_x = repeat_value / x when the table
// has `repeat_value` (net of the lines after the first purchase day; the Python profile
// adds it from a daily spend series), else monetary / purchase_days (the mean net value of
// all purchase days, first included: the model's value_basis says which). Customers
// without purchases get nulls and are counted. Customers whose m_x is not positive get the
// population mean value.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategies/bg_nbd.hpp"
#include "tierkit/strategies/gamma_gamma.hpp"
#include "tierkit/strategies/pareto_nbd.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

struct clv_config {
  std::string model = "bg_nbd";  // or "pareto_nbd"
  double unit_days = 7.0;        // time unit of the models, in days (profile metrics are days)
  double horizon = 52.0;         // time units ahead
  int steps = 12;                // discounting steps over the horizon
  double discount_rate = 0.01;   // per step
  mle_config purchases;          // fit settings of the purchase model
  mle_config value;              // fit settings of the Gamma-Gamma model

  // invalid_input for an unknown model, a non-positive unit, horizon or steps, a discount
  // rate of -1 or below.
  void check() const;
};

struct clv_inputs {
  std::vector<double> x, t_x, T, m_x;
  std::vector<std::uint8_t> valid;  // 0: no purchase (outputs null)
  std::string value_basis;          // "repeat purchase days" or "all purchase days"
};

class clv_model final : public model {
 public:
  clv_model() = default;
  clv_model(clv_config config, bg_nbd_model purchases, gamma_gamma_model value, std::string value_basis);
  clv_model(clv_config config, pareto_nbd_model purchases, gamma_gamma_model value, std::string value_basis);

  std::string kind() const override { return "clv"; }
  score_table apply(const metric_table& metrics) const override;
  // Parameters of both models: component, parameter, estimate, std_error; then the fit
  // facts (log_likelihood, customers, distinct_rows) as rows of parameter = that name.
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<clv_model>(*this); }
  std::string to_bytes() const override;

  const clv_config& config() const noexcept { return config_; }
  bool is_pareto() const noexcept { return config_.model == "pareto_nbd"; }
  const bg_nbd_model& bg_nbd() const noexcept { return bg_; }
  const pareto_nbd_model& pareto_nbd() const noexcept { return pareto_; }
  const gamma_gamma_model& gamma_gamma() const noexcept { return value_; }
  const std::string& value_basis() const noexcept { return value_basis_; }

  std::vector<double> p_alive(const clv_data& d) const;
  std::vector<double> conditional_expected_purchases(double t, const clv_data& d) const;

  bool operator==(const clv_model& o) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_.model;
    detail::archive_double(ar, config_.unit_days);
    detail::archive_double(ar, config_.horizon);
    ar & config_.steps;
    detail::archive_double(ar, config_.discount_rate);
    detail::archive_double(ar, config_.purchases.l2_penalty);
    detail::archive_double(ar, config_.value.l2_penalty);
    ar & bg_ & pareto_ & value_ & value_basis_;
  }

 private:
  clv_config config_;
  bg_nbd_model bg_;
  pareto_nbd_model pareto_;
  gamma_gamma_model value_;
  std::string value_basis_;
};

// The model inputs of a metric table (see above); schema_error naming the missing columns.
clv_inputs clv_inputs_of(const metric_table& metrics, double unit_days, const char* function);

class clv_strategy final : public strategy {
 public:
  explicit clv_strategy(clv_config config = {});
  std::string kind() const override { return "clv"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  clv_model fit_clv(const metric_table& metrics) const;

 private:
  clv_config config_;
};

}  // namespace tierkit
