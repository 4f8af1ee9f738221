#pragma once
// Value x potential: two axes, each a metric cut into scores by binning.hpp, and a grid of
// named cells (2 x 2: key / develop / maintain / low, 核心 / 发展 / 保持 / 一般; or 3 x 3).
//
// The default potential is spend_growth, derived from the profile's per-period series:
//   - the window's periods run from the first period with any line to the period of
//     as_of - 1; with P periods, the first half is the first floor(P/2) periods and the
//     second half the last floor(P/2) (the middle period of an odd P is left out);
//   - a customer counts from its own first period: e1, e2 = periods of each half at or after
//     it; r1, r2 = net spend per counted period in each half;
//   - growth = (r2 - r1) / (|r1| + |r2|), in [-1, 1]; 0 when both rates are 0; missing
//     (NaN) when the customer has no period in the first half (no baseline) or P < 2.
// Customers missing either axis get no cell and are counted.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/binning.hpp"
#include "tierkit/detail/archive.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

struct profile;

// Spend growth per customer as defined above (all NaN without a spend series).
std::vector<double> spend_growth(const profile& p);

struct value_potential_config {
  std::string value_column = "monetary";
  std::string potential_column = "spend_growth";
  binning_config value = halves();
  binning_config potential = halves();
  // Cell names by (value score, potential score): index (v - 1) * potential_bins + (p - 1).
  std::vector<std::string> cells = {"low", "develop", "maintain", "key"};
  std::vector<std::string> cells_zh = {"一般", "发展", "保持", "核心"};

  static value_potential_config two_by_two();
  static value_potential_config three_by_three();
  // "2x2" or "3x3"; invalid_input otherwise.
  static value_potential_config preset(const std::string& name);

  // Throws invalid_input when the cell names do not fill the grid the binnings make (only
  // checkable for quantile binnings before fitting; checked again after).
  void check() const;

 private:
  static binning_config halves() {
    binning_config b;
    b.bins = 2;
    return b;
  }
};

class value_potential_model final : public model {
 public:
  value_potential_model() = default;
  value_potential_model(value_potential_config config, fitted_bins value, fitted_bins potential,
                        std::vector<std::int64_t> cell_customers, std::vector<double> cell_value,
                        std::int64_t unscored);

  std::string kind() const override { return "value_potential"; }
  score_table apply(const metric_table& metrics) const override;
  score_table summary() const override;
  std::unique_ptr<model> clone() const override {
    return std::make_unique<value_potential_model>(*this);
  }
  std::string to_bytes() const override;

  const value_potential_config& config() const noexcept { return config_; }
  const fitted_bins& value_bins() const noexcept { return value_; }
  const fitted_bins& potential_bins() const noexcept { return potential_; }
  std::int64_t unscored_at_fit() const noexcept { return unscored_; }
  // Customers and value per cell at fit time (row-major, value score by potential score).
  const std::vector<std::int64_t>& cell_customers() const noexcept { return cell_customers_; }
  const std::vector<double>& cell_value() const noexcept { return cell_value_; }
  bool operator==(const value_potential_model& o) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_.value_column & config_.potential_column & config_.cells & config_.cells_zh;
    ar & value_ & potential_ & cell_customers_;
    detail::archive_doubles(ar, cell_value_);
    ar & unscored_;
  }

 private:
  value_potential_config config_;
  fitted_bins value_, potential_;
  std::vector<std::int64_t> cell_customers_;
  std::vector<double> cell_value_;
  std::int64_t unscored_ = 0;
};

class value_potential_strategy final : public strategy {
 public:
  explicit value_potential_strategy(value_potential_config config = {});
  std::string kind() const override { return "value_potential"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  value_potential_model fit_vp(const metric_table& metrics) const;

 private:
  value_potential_config config_;
};

}  // namespace tierkit
