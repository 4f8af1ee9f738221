#pragma once
// The profile an assessment judges customers on, built from per-period partial states so
// that a run of assessments costs about one pass over the history, not one per date.
//
// The history is cut into periods at every assessment date and window start
// (split_by_period); each period's rows go into a profile_state with that period as its
// explicit window; an assessment at date d with a trailing window [w, d) merges the
// states of the periods inside the window (profile_state::merge_window) and finishes
// them. assessment_profile() then adds every customer seen before the window:
//   first_purchase, last_purchase, recency, tenure   from all history before d (the
//                      window's and the earlier periods', see customer_history);
//   every other column                               from the window alone: a customer
//                      without lines in the window has frequency, transactions, returns,
//                      monetary, gross_sales, returns_value, quantity, purchase_days,
//                      channels and categories 0, average_order_value and median_gap NaN,
//                      previous_purchase no_day, and no spend series.
// So customers seen before stay assessed when their window is empty (zero, not absent).
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tierkit/column.hpp"
#include "tierkit/over_time/period_table.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"

namespace tierkit {

// First and last purchase day of every customer seen so far (customers with only returns
// have no_day for both), keyed and ordered as profiles are (ascending key).
struct customer_history {
  customer_keys customer;
  std::vector<std::int32_t> first_purchase;
  std::vector<std::int32_t> last_purchase;

  std::size_t size() const noexcept { return customer.size(); }
  // Adds the customers of a profile (of a later or earlier period: order does not matter).
  // invalid_input when the key kinds differ.
  void add(const profile& p);
  void add(const period_table& t);  // its customers' first and last purchase in the period
};

// The assessment's profile: the window's profile (possibly without customers) joined with
// the customers seen before it. as_of and window_start are the assessment's; recency and
// tenure are recomputed from as_of. invalid_input when the key kinds differ.
profile assessment_profile(const profile& window, const customer_history& before, std::int32_t as_of,
                           std::optional<std::int32_t> window_start);

// Rows grouped by period: periods are [-inf, cuts[0]), [cuts[0], cuts[1]), ...,
// [cuts.back(), +inf); period k holds rows [offsets[k], offsets[k + 1]) of the rows taken in
// `order` (a stable permutation), or of the input as it is when `order` is empty (rows
// already grouped, e.g. in day order). Days come from the time column as profiles compute
// them (time-zone-aware timestamps in `zone`); a null time counts as day 0, so that the
// period holding it reports the row as invalid.
struct period_rows {
  std::vector<std::int64_t> offsets;  // cuts.size() + 2 entries
  std::vector<std::int64_t> order;    // empty when the input is grouped already
};
// cuts: strictly ascending (invalid_input otherwise).
period_rows split_by_period(const column_view& time, const time_zone& zone,
                            const std::vector<std::int32_t>& cuts, unsigned threads = 0);

// The first and last day of a time column's valid rows (days as profiles compute them) that
// lie within `within` (a profile's valid_dates: rows outside are invalid, so they place
// nothing); nullopt when there is none. (Named day_span, not day_range, which is
// calendar.hpp's type.)
std::optional<std::pair<std::int32_t, std::int32_t>> day_span(const column_view& time, const time_zone& zone,
                                                              const day_range& within, unsigned threads = 0);

}  // namespace tierkit
