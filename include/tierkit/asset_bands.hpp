#pragma once
// Asset bands (retail banking) and star ratings.
//
// Asset bands: ordered bands on a balance measure (e.g. the month's average daily balance),
// from the highest lower bound down. Band i holds balances in [lower_i, lower_(i-1)) (the
// first band has no upper bound): a balance equal to a bound belongs to the band above it.
// A band may carry conditions (e.g. age < 60); a missing value fails a condition. A customer
// whose balance band's conditions fail, whose balance is below every band, or whose balance
// is missing is tested against the alternative entry criteria in order (value >= threshold;
// a missing value fails): the first one that holds admits the customer to the pool band and
// is named in `admitted_by`; `criteria_met` counts all that hold. Otherwise the customer is
// not maintained. Everything — bounds, labels, owner roles, conditions, criteria — is
// configuration; the preset follows Chinese retail-bank practice and is currency-neutral.
//
// Star ratings: relationship depth on six levels (see relationship_star_config) and a
// points scheme (weighted points mapped to stars by ordered boundaries).
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

enum class comparison : std::uint8_t { less, less_equal, greater_equal, greater };
const char* comparison_symbol(comparison c) noexcept;
comparison parse_comparison(const std::string& symbol);  // "<", "<=", ">=", ">"

struct band_condition {
  std::string column;
  comparison op = comparison::less;
  double value = 0;

  bool holds(double x) const noexcept {
    if (x != x) return false;
    switch (op) {
      case comparison::less: return x < value;
      case comparison::less_equal: return x <= value;
      case comparison::greater_equal: return x >= value;
      case comparison::greater: return x > value;
    }
    return false;
  }
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & column & op;
    detail::archive_double(ar, value);
  }
};

struct asset_band {
  std::string label, label_zh, owner_role;
  double lower = 0;  // inclusive
  std::vector<band_condition> conditions;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & label & label_zh & owner_role;
    detail::archive_double(ar, lower);
    ar & conditions;
  }
};

struct entry_criterion {
  std::string name, name_zh;
  std::string column;
  double threshold = 0;  // admits when value >= threshold

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & name & name_zh & column;
    detail::archive_double(ar, threshold);
  }
};

struct asset_band_config {
  std::string balance_column = "adb";
  std::vector<asset_band> bands;
  std::vector<entry_criterion> criteria;
  asset_band pool;  // the band of customers admitted by a criterion (its lower is unused)
  std::string unassigned = "Not maintained";
  std::string unassigned_zh = "未纳入维护";

  // Chinese retail-bank practice: >= 2,000,000 private banking (wealth centre); 200,000 to
  // 2,000,000 wealth manager; 100,000 to 200,000 branch / lobby manager; 50,000 to 100,000
  // and age < 60 branch staff; below: admitted by credit-card spend >= 50,000 a year, loan
  // balance >= 300,000, brokerage margin balance >= 10,000, or a card level >= 2 (gold or
  // above on classic 1, gold 2, platinum 3, diamond 4, black 5). Columns: adb, age,
  // card_spend, loan_balance, margin_balance, card_level.
  static asset_band_config chinese_retail();
  // Throws invalid_input for empty labels, bounds not strictly decreasing, non-finite bounds.
  void check() const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & balance_column & bands & criteria & pool & unassigned & unassigned_zh;
  }
};

struct asset_band_result {
  std::vector<std::int32_t> band;          // index into bands; bands.size() = pool; -1 = none
  std::vector<std::int32_t> admitted_by;   // index into criteria; -1 = by balance or none
  std::vector<std::int32_t> criteria_met;  // how many criteria hold
  std::vector<std::int64_t> counts;        // per band, then pool, then not maintained
};

class asset_band_model final : public model {
 public:
  asset_band_model() = default;
  explicit asset_band_model(asset_band_config config);
  std::string kind() const override { return "asset_bands"; }
  score_table apply(const metric_table& metrics) const override;
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<asset_band_model>(*this); }
  std::string to_bytes() const override;
  asset_band_result assign(const metric_table& metrics) const;
  const asset_band_config& config() const noexcept { return config_; }

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_;
  }

 private:
  asset_band_config config_;
};

// Nothing to fit: checks the columns exist and freezes the configuration.
class asset_band_strategy final : public strategy {
 public:
  explicit asset_band_strategy(asset_band_config config = asset_band_config::chinese_retail());
  std::string kind() const override { return "asset_bands"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  asset_band_model fit_bands(const metric_table& metrics) const;

 private:
  asset_band_config config_;
};

// Relationship depth, six stars, first rule that holds:
//   6  balance >= private_banking
//   1  no account (accounts column missing or < 1)
//   2  balance below vip (or missing): a new or small account
//   3  VIP by balance but unstable: balance variation (coefficient of variation of monthly
//      balances) missing or above max_variation
//   4  stable VIP with a small share of wallet: share missing or below min_wallet_share
//   5  stable VIP
struct relationship_star_config {
  std::string accounts_column = "accounts";
  std::string balance_column = "adb";
  std::string variation_column = "adb_cv";
  std::string wallet_share_column = "wallet_share";
  double private_banking = 2'000'000;
  double vip = 50'000;
  double max_variation = 0.3;
  double min_wallet_share = 0.5;
  std::vector<std::string> labels = {"target", "new account", "unstable VIP", "low-share VIP",
                                     "stable VIP", "private banking"};
  std::vector<std::string> labels_zh = {"目标客户", "新开户客户", "不稳定贵宾", "低占比贵宾",
                                        "稳定贵宾", "私人银行客户"};
  void check() const;
};

// Points: sum of weight x value over the weighted columns (a missing value adds 0 and is
// counted); stars by boundaries: points below boundaries[0] get labels[0], at or above
// boundaries[i] and below boundaries[i+1] get labels[i+1].
struct points_star_config {
  std::vector<std::string> columns;
  std::vector<double> weights;
  std::vector<double> boundaries = {50, 500, 2000, 10000, 80000};
  std::vector<std::string> labels = {"pre-star", "3 stars", "4 stars", "5 stars", "6 stars", "7 stars"};
  std::vector<std::string> labels_zh = {"准星级", "三星级", "四星级", "五星级", "六星级", "七星级"};
  void check() const;
};

// Stars per row: relationship depth (1..6) and points (0 = pre-star .. boundaries.size()).
score_table relationship_stars(const metric_table& metrics, const relationship_star_config& config);
score_table points_stars(const metric_table& metrics, const points_star_config& config);

}  // namespace tierkit
