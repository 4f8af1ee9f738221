#pragma once
// RFM: recency, frequency and monetary scores, the combined code and sum, and segments.
//
// Each metric is binned by binning.hpp (quantiles by default, k = 5 per metric; recency
// reversed so that recent customers score high) with cut points fitted once and frozen in
// the model, so next month's customers are scored against this month's cuts. Policies:
// - A customer is scored only when all three metrics are present; a customer without
//   purchases (no recency) gets no scores and no segment, and is counted as unscored.
// - Zero and negative monetary values are scored like any value (they rank lowest).
// - code = R*100 + F*10 + M when every metric has at most 9 bins, else R*10000 + F*100 + M;
//   sum = R + F + M.
// - Segments come from a segment_table (first match wins, catch-all otherwise).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/binning.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/segments.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

struct rfm_config {
  std::string recency_column = "recency";
  std::string frequency_column = "frequency";
  std::string monetary_column = "monetary";
  binning_config recency = reversed();
  binning_config frequency;
  binning_config monetary;
  segment_table segments = segment_table::english();

  // R package rfm 0.3.0, rfm_table_order + rfm_segment: type-7 quantile cuts + 1,
  // left-closed bins, frequency = all lines (the profile's `transactions`), the R
  // package's segment table.
  static rfm_config r_rfm();
  // PyMC-Marketing rfm_segments: quartiles by pandas.qcut (numpy linear quantiles,
  // right-closed, duplicate edges dropped and bins renumbered), its default segments.
  // The metrics are PyMC-Marketing's (frequency = purchase days, monetary = mean spend
  // per purchase day, recency = days from the last purchase day to the last day of
  // data), columns "recency_pymc", "purchase_days", "monetary_per_day"; the Python
  // preset computes them from a profile.
  static rfm_config pymc_marketing();
  // The Chinese eight-class model: each metric split at its mean (at the mean counts as
  // high for F and M, as lapsed for R), chinese_eight() segments.
  static rfm_config chinese_eight(bool median = false);
  // By name: "default", "r_rfm", "pymc_marketing", "chinese_eight", "chinese_eight_median";
  // invalid_input otherwise.
  static rfm_config preset(const std::string& name);

 private:
  static binning_config reversed() {
    binning_config b;
    b.higher_is_better = false;
    return b;
  }
};

struct rfm_scores {
  std::vector<std::int8_t> r, f, m;   // 0 = not scored
  std::vector<std::int32_t> code;     // 0 = not scored
  std::vector<std::int16_t> sum;      // 0 = not scored
  std::vector<std::int32_t> segment;  // index into the segment table's rules; rules().size()
                                      // = catch-all; -1 = not scored
  std::int64_t unscored = 0;
};

class rfm_model final : public model {
 public:
  rfm_model() = default;
  rfm_model(rfm_config config, fitted_bins r, fitted_bins f, fitted_bins m);

  std::string kind() const override { return "rfm"; }
  score_table apply(const metric_table& metrics) const override;
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<rfm_model>(*this); }
  std::string to_bytes() const override;

  rfm_scores score(const metric_table& metrics) const;
  const fitted_bins& recency() const noexcept { return r_; }
  const fitted_bins& frequency() const noexcept { return f_; }
  const fitted_bins& monetary() const noexcept { return m_; }
  const rfm_config& config() const noexcept { return config_; }
  // Checks the segment table against the fitted grid.
  segment_check check_segments() const { return config_.segments.check(r_.bins, f_.bins, m_.bins); }

  bool operator==(const rfm_model& o) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_.recency_column & config_.frequency_column & config_.monetary_column;
    ar & config_.segments & r_ & f_ & m_;
  }

 private:
  rfm_config config_;
  fitted_bins r_, f_, m_;
};

class rfm_strategy final : public strategy {
 public:
  explicit rfm_strategy(rfm_config config = {});
  std::string kind() const override { return "rfm"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  rfm_model fit_rfm(const metric_table& metrics) const;
  const rfm_config& config() const noexcept { return config_; }

 private:
  rfm_config config_;
};

}  // namespace tierkit
