#pragma once
// The repeat-buying summary of customers that lifetime-value models read: per customer
//   x     repeat purchase days in the calibration period: distinct days with a purchase line,
//         less the first (purchases on one day are one purchase; the first is not counted)
//   t_x   time from the first purchase day to the last (0 when x = 0)
//   T     time from the first purchase day to the calibration end (its last day, included)
//   m_x   mean net value of the repeat purchase days: the net of every line after the first
//         purchase day up to the calibration end, divided by x (0 when x = 0)
// and, with a holdout period (the days after the calibration end up to holdout_end):
//   x_star  purchase days in the holdout; m_x_star  their mean net value (0 when none)
// in a time unit of unit_days days (7: weeks, BTYD's and the CDNOW papers'; 1: days).
// These are the conventions of R's BTYD (dc.ElogToCbsCbt, same-day transactions merged)
// and of lifetimes' summary_data_from_transaction_data with daily periods.
// Customers whose first purchase falls after the calibration end are not in the summary
// (they are counted: holdout_only); neither are customers with only return lines.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tierkit/number_span.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit {

// What the transaction models fit on: equal-length columns of x, t_x and T (one row per
// customer) and optional weights (customers a row stands for; empty: 1 each).
struct clv_data {
  number_span x, t_x, T;
  number_span weight;

  std::size_t size() const noexcept { return x.size(); }
  // Throws invalid_input naming `function`, the argument, what was expected and found and
  // how many rows: lengths differ; x not a non-negative integer; t_x or T negative or not
  // finite; T < t_x; t_x > 0 with x = 0; weights negative or not finite.
  void check(const char* function) const;
};

struct clv_summary_config {
  double unit_days = 7.0;  // days per time unit: 7 = weeks, 1 = days (any positive number)
};

struct clv_summary {
  customer_keys customer;
  std::vector<double> x, t_x, T, m_x;
  std::vector<std::int32_t> first_purchase;  // day number
  std::vector<std::int64_t> profile_row;     // row of the customer in the calibration profile
  bool has_holdout = false;
  std::vector<double> x_star, m_x_star;      // with a holdout
  double T_star = 0;                          // holdout length in units
  double unit_days = 7.0;
  std::int32_t calibration_end = 0;           // last day of the calibration period
  std::int32_t holdout_end = 0;               // last day of the holdout (with a holdout)
  std::int64_t holdout_only = 0;              // customers first buying in the holdout
  std::int64_t without_purchase = 0;          // customers with only return lines

  std::size_t size() const noexcept { return x.size(); }
  clv_data data() const noexcept { return {x, t_x, T, {}}; }
};

// From a calibration profile with a daily spend series and purchase days (profile_config
// period = day, spend_series and purchase_days on): the calibration end is its as_of - 1.
// With `holdout`, a profile of the days after it (window [calibration as_of, holdout as_of)).
// schema_error when a profile lacks the daily series or purchase days; invalid_input when
// the holdout does not start at the calibration's as_of.
clv_summary make_clv_summary(const profile& calibration, const clv_summary_config& config = {});
clv_summary make_clv_summary(const profile& calibration, const profile& holdout,
                             const clv_summary_config& config = {});
// From transactions: the calibration is every day up to calibration_end (included), the
// holdout the days after it up to holdout_end (included); later rows are left out and
// counted in the profiles' reports. invalid_input when calibration_end is before every
// purchase or holdout_end is not after calibration_end.
clv_summary make_clv_summary(const transactions& tx, std::int32_t calibration_end,
                             std::optional<std::int32_t> holdout_end = std::nullopt,
                             const clv_summary_config& config = {}, const profile_config& profiling = {});

}  // namespace tierkit
