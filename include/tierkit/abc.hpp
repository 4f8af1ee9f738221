#pragma once
// ABC (Pareto) classes and the concentration of value.
//
// Policies:
// - Value mode (default): positive values in descending order; a customer belongs to the
//   first class whose cumulative share bound its predecessors have not yet reached: with
//   shares {0.80, 0.95}, A while the value before the customer is below 80% of the total,
//   B below 95%, C after. So the customer who crosses a boundary belongs to the higher
//   class. Count mode: the same on customer counts (top 20% A, next 70% B, rest C with
//   shares {0.20, 0.90}).
// - Shares are exact: values are summed on the 10^-9 decimal grid of money sums and bounds
//   are decimals (0.80 is exactly 80%), so a customer whose predecessors hold exactly 80%
//   of the total is in B whatever the floating-point rounding of the values' sum. This
//   holds for every finite value (values of 2^60 or more are integers, exact on the grid);
//   a class's value is the nearest double of its exact sum.
// - Ties: equal values share a class, the class of the first of them in descending
//   order (a tie group straddling a boundary goes to the higher class).
// - Zero and negative values: their own class (label "N") by default; or the lowest class;
//   or no class (null). They never count towards shares. Missing values (NaN) get no class.
// - The fitted model keeps each class's smallest value; applied to new data, a positive
//   value gets the first class whose smallest value it reaches, so applying the model to
//   the data it was fitted on gives the fitted classes.
// - Concentration is over values >= 0 (negative ones are counted and left out): Gini
//   coefficient, share of value held by the top 20% of customers (ceil(0.2 n) customers),
//   and the Lorenz curve at every percent of customers (101 points, interpolated).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"

#include "tierkit/metric_table.hpp"
#include "tierkit/number_span.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

enum class abc_mode : std::uint8_t { value, count };
enum class nonpositive_policy : std::uint8_t { own_class, lowest_class, unclassified };

const char* abc_mode_name(abc_mode m) noexcept;
abc_mode parse_abc_mode(const std::string& name);
const char* nonpositive_policy_name(nonpositive_policy p) noexcept;
nonpositive_policy parse_nonpositive_policy(const std::string& name);

struct abc_config {
  std::string column = "monetary";
  abc_mode mode = abc_mode::value;
  std::vector<double> shares;  // cumulative bounds, increasing in (0, 1); empty: the
                               // mode's default ({0.80, 0.95} or {0.20, 0.90})
  std::vector<std::string> labels = {"A", "B", "C"};  // one more than shares
  nonpositive_policy nonpositive = nonpositive_policy::own_class;
  std::string nonpositive_label = "N";

  std::vector<double> effective_shares() const;
  void check() const;
};

struct concentration {
  std::int64_t customers = 0;           // values >= 0
  std::int64_t negative_left_out = 0;
  double total = 0;
  double gini = 0;                      // NaN when the total is 0
  double top20_share = 0;               // NaN when the total is 0
  std::vector<double> lorenz;           // 101 points: share of value of the bottom p%

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & customers & negative_left_out;
    detail::archive_double(ar, total);
    detail::archive_double(ar, gini);
    detail::archive_double(ar, top20_share);
    detail::archive_doubles(ar, lorenz);
  }
};

// Concentration of any values (NaN left out).
concentration measure_concentration(number_span values);

struct abc_class_stats {
  std::string label;
  std::int64_t customers = 0;
  double value = 0;
  double min_value = 0;  // NaN for an empty class
  double max_value = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & label & customers;
    detail::archive_double(ar, value);
    detail::archive_double(ar, min_value);
    detail::archive_double(ar, max_value);
  }
};

class abc_model final : public model {
 public:
  abc_model() = default;
  abc_model(abc_config config, std::vector<abc_class_stats> classes, abc_class_stats nonpositive,
            std::int64_t missing, concentration conc);

  std::string kind() const override { return "abc"; }
  score_table apply(const metric_table& metrics) const override;
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<abc_model>(*this); }
  std::string to_bytes() const override;

  // Per row: index into labels() (-1 = no class).
  std::vector<std::int32_t> classify(number_span values) const;
  // Class labels, then the non-positive label when that class exists.
  std::vector<std::string> labels() const;
  const abc_config& config() const noexcept { return config_; }
  const std::vector<abc_class_stats>& classes() const noexcept { return classes_; }
  const abc_class_stats& nonpositive() const noexcept { return nonpositive_; }
  const concentration& concentration_at_fit() const noexcept { return conc_; }
  std::int64_t missing_at_fit() const noexcept { return missing_; }

  bool operator==(const abc_model& o) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_.column & config_.mode;
    detail::archive_doubles(ar, config_.shares);
    ar & config_.labels & config_.nonpositive & config_.nonpositive_label & classes_ &
        nonpositive_ & missing_ & conc_;
  }

 private:
  abc_config config_;
  std::vector<abc_class_stats> classes_;
  abc_class_stats nonpositive_;
  std::int64_t missing_ = 0;
  concentration conc_;
};

class abc_strategy final : public strategy {
 public:
  explicit abc_strategy(abc_config config = {});
  std::string kind() const override { return "abc"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  // Like every strategy's typed fit, from a metric table (the configured column); or from
  // the values themselves (any numbers, e.g. products' revenue).
  abc_model fit_abc(const metric_table& metrics) const;
  abc_model fit_abc(number_span values) const;
  const abc_config& config() const noexcept { return config_; }

 private:
  abc_config config_;
};

}  // namespace tierkit
