#pragma once
// Binning a metric into scores 1..k with cut points that are values, fitted once and frozen.
//
// Policies (stated once, used by RFM, value x potential and later strategies):
// - Cut points are values of the metric, c_1 <= ... <= c_(k-1). With right-closed bins
//   (the default) bin 1 is (-inf, c_1], bin j is (c_(j-1), c_j], bin k is (c_(k-1), +inf);
//   with left-closed bins, [c_(j-1), c_j). A score depends only on the value, so equal
//   values always get the same score (the tie policy).
// - Quantile cut points are order statistics, not interpolations: c_j is the smallest
//   fitted value v with F(v) >= j/k, i.e. the ceil(j*n/k)-th smallest value ("inverted
//   CDF", numpy's method="inverted_cdf", R's quantile type 1). Without ties, bin j then
//   holds exactly the customers ranked ceil((j-1)n/k)+1 .. ceil(jn/k). Percentile lists use
//   the same definition at the given levels.
// - When ties make cut points equal, the bins between them stay empty: scores are never
//   renumbered, and the fitted bins list the empty scores.
// - Missing values (NaN) are left out of fitting and get score 0 ("no score"); infinite
//   values are invalid input.
// - Direction: higher_is_better = false reverses scores (recency: recent = high score).
// - Mean and median splits are two bins cut at the fitted mean or (lower) median.
// - Compatibility knobs reproduce other tools exactly: quantile_rule linear_r is R's
//   quantile() type 7 as R computes it ((1-h)*x[lo] + h*x[hi] at probs j*(1/k)),
//   linear_numpy is numpy's "linear" percentile (pandas qcut); cut_offset is added to
//   every quantile cut (R rfm adds 1); collapse::renumber drops cut points that tie with
//   each other or with the minimum or maximum and numbers the remaining bins 1..m
//   (pandas qcut with duplicates="drop", as PyMC-Marketing uses it).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"

namespace tierkit {

enum class bin_method : std::uint8_t { quantiles, percentiles, fixed, mean, median };
enum class interval_closure : std::uint8_t { right, left };
enum class quantile_rule : std::uint8_t { inverted_cdf, linear_r, linear_numpy };
enum class collapse_policy : std::uint8_t { keep_empty, renumber };

const char* bin_method_name(bin_method m) noexcept;
bin_method parse_bin_method(const std::string& name);
const char* closure_name(interval_closure c) noexcept;
interval_closure parse_closure(const std::string& name);
const char* quantile_rule_name(quantile_rule r) noexcept;
quantile_rule parse_quantile_rule(const std::string& name);

struct binning_config {
  bin_method method = bin_method::quantiles;
  int bins = 5;                      // quantiles: number of bins k (2..100)
  std::vector<double> percentiles;   // percentiles: increasing levels in (0, 100)
  std::vector<double> cuts;          // fixed: increasing finite cut values
  interval_closure closed = interval_closure::right;
  bool higher_is_better = true;
  quantile_rule rule = quantile_rule::inverted_cdf;  // quantiles, percentiles, median
  double cut_offset = 0;                             // added to quantile/percentile cuts
  collapse_policy collapse = collapse_policy::keep_empty;

  // Throws invalid_input naming `what` when the settings are inconsistent.
  void check(const std::string& what) const;
};

struct fitted_bins {
  std::vector<double> cuts;           // k - 1 values, non-decreasing
  int bins = 0;                       // k
  interval_closure closed = interval_closure::right;
  bool higher_is_better = true;
  bin_method method = bin_method::quantiles;
  int requested_bins = 0;                // k asked for; bins < requested after renumbering
  std::vector<std::int64_t> fit_counts;  // values per score 1..k at fit time (index score-1)
  std::int64_t fit_rows = 0;             // values fitted (non-missing)
  std::int64_t fit_missing = 0;          // missing values left out

  // Score 1..k of a value; 0 for NaN.
  int score(double x) const noexcept {
    if (x != x) return 0;
    if (bins <= 1) return higher_is_better ? 1 : bins;  // one bin (or an unfitted model)
    // The bin is the number of cuts below x (cuts are non-decreasing, so the cuts x passes
    // come first). Counted without a branch per cut: scores of a column of customers are
    // data-dependent, and a mispredicted branch costs more than the few comparisons.
    const auto last = static_cast<std::size_t>(bins - 1);
    int b = 0;
    if (last > 16) {
      b = static_cast<int>(closed == interval_closure::right
                               ? std::lower_bound(cuts.begin(), cuts.begin() + last, x) - cuts.begin()
                               : std::upper_bound(cuts.begin(), cuts.begin() + last, x) - cuts.begin());
    } else if (closed == interval_closure::right) {
      for (std::size_t j = 0; j < last; ++j) b += x > cuts[j];
    } else {
      for (std::size_t j = 0; j < last; ++j) b += x >= cuts[j];
    }
    return higher_is_better ? b + 1 : bins - b;
  }
  // Scores that no fitted value received (ties collapsing bins), ascending.
  std::vector<int> empty_scores() const;
  // Bounds of the values that get `score`: {lower, upper}, either may be -inf/+inf.
  std::pair<double, double> bounds(int score) const noexcept;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    detail::archive_doubles(ar, cuts);
    ar & bins & closed & higher_is_better & method & requested_bins & fit_counts & fit_rows &
        fit_missing;
  }
};

// Fits cut points to `values` (NaN left out). Throws invalid_input naming `what` when a
// value is infinite or when no value is left to fit quantiles, a mean or a median.
fitted_bins fit_bins(const std::vector<double>& values, const binning_config& config,
                     const std::string& what);
// The same, working in `values` itself (no copy): the vector is consumed (moved from).
fitted_bins fit_bins(std::vector<double>&& values, const binning_config& config, const std::string& what);

}  // namespace tierkit
