#pragma once
// Lifecycle stages: prospect, new, active, dormant (沉睡), churned (流失), reactivated (回流).
//
// Per customer the stage follows from recency (days since the last purchase), tenure (days
// since the first), the gap before the last purchase (last_gap) and, optionally, the
// customer's own rhythm (median gap between purchase days). Rules, first match wins:
//   1. no purchase (no recency)                  -> prospect
//   2. recency > churn threshold                 -> churned
//   3. recency > dormant threshold               -> dormant
//   4. tenure <= new_days                        -> new
//   5. last_gap > dormant threshold              -> reactivated (came back after a dormant spell)
//   6. otherwise                                 -> active
// Thresholds are dormant_days and churn_days, or, with relative_to_gap, dormant_gaps and
// churn_gaps times the customer's median gap (never below min_relative_days), so weekly
// grocery buyers and yearly furniture buyers are judged on their own rhythm; customers with
// a single purchase day (no median gap) use the fixed windows.
// With by_p_alive, rules 2 and 3 read the metric p_alive (a lifetime-value model's
// probability that the customer is still buying, strategies/clv.hpp) instead of silence:
// p_alive < churn_p_alive -> churned, p_alive < dormant_p_alive -> dormant; a customer
// without p_alive (NaN) is judged by the day windows. Rule 5 keeps the dormant window.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

enum class lifecycle_stage : std::uint8_t { prospect, new_customer, active, dormant, churned, reactivated };

const char* lifecycle_stage_name(lifecycle_stage s) noexcept;     // "prospect", "new", ...
const char* lifecycle_stage_name_zh(lifecycle_stage s) noexcept;  // "潜在", "新客", ...

struct lifecycle_config {
  std::int32_t new_days = 90;
  std::int32_t dormant_days = 180;
  std::int32_t churn_days = 365;
  bool relative_to_gap = false;
  double dormant_gaps = 3.0;
  double churn_gaps = 6.0;
  std::int32_t min_relative_days = 14;
  bool by_p_alive = false;
  double dormant_p_alive = 0.5;
  double churn_p_alive = 0.2;

  // Throws invalid_input for non-positive windows or churn not beyond dormant, and (with
  // by_p_alive) unless 0 < churn_p_alive < dormant_p_alive <= 1.
  void check() const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned version) {
    ar & new_days & dormant_days & churn_days & relative_to_gap;
    detail::archive_double(ar, dormant_gaps);
    detail::archive_double(ar, churn_gaps);
    ar & min_relative_days;
    if (version >= 2) {  // version 1 files have no P(alive) settings: off
      ar & by_p_alive;
      detail::archive_double(ar, dormant_p_alive);
      detail::archive_double(ar, churn_p_alive);
    }
  }
};

struct lifecycle_result {
  std::vector<lifecycle_stage> stage;
  std::vector<double> dormant_threshold;  // days used for the customer (NaN for prospects)
  std::vector<double> churn_threshold;
  std::vector<std::int64_t> counts;       // per stage, in enum order
};

// The metrics read: recency, tenure, last_gap, median_gap (NaN = missing).
class lifecycle_model final : public model {
 public:
  lifecycle_model() = default;
  explicit lifecycle_model(lifecycle_config config);

  std::string kind() const override { return "lifecycle"; }
  score_table apply(const metric_table& metrics) const override;
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<lifecycle_model>(*this); }
  std::string to_bytes() const override;

  lifecycle_result stages(const metric_table& metrics) const;
  const lifecycle_config& config() const noexcept { return config_; }
  bool operator==(const lifecycle_model& o) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_;
  }

 private:
  lifecycle_config config_;
};

// Nothing to fit: the strategy freezes its configuration into the model.
class lifecycle_strategy final : public strategy {
 public:
  explicit lifecycle_strategy(lifecycle_config config = {});
  std::string kind() const override { return "lifecycle"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  lifecycle_model fit_lifecycle(const metric_table& metrics) const;

 private:
  lifecycle_config config_;
};

}  // namespace tierkit
