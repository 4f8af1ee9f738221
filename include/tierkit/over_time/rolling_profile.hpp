#pragma once
// Rolling window profiles: the profile of every assessment of a run from period tables,
// kept up to date by adding the periods that enter the trailing window and removing those
// that leave it, so that a run of assessments costs about one pass over the periods, not
// one window's worth per assessment.
//
//   rolling_profile r;
//   r.push(table_of_january); ...            // periods in time order
//   r.drop_before(window_start);             // periods ending on or before it leave
//   profile p = r.current(as_of);            // every customer seen so far
//
// The profile is what assessment_profile() gives for the held periods' window_profile()
// and the customers seen before (over_time/assessment_profile.hpp): first and last
// purchase from every period pushed, every other column from the periods held. Sums are
// fixed point, so removing a period restores them exactly; distinct values (orders, return
// orders, channels, categories) are counted per customer and value across the held periods.
// Columns that need the days themselves (previous_purchase, median_gap) and the spend
// series are combined from the held tables when the profile is made.
#include <cstdint>
#include <memory>
#include <optional>

#include "tierkit/over_time/assessment_profile.hpp"
#include "tierkit/over_time/period_table.hpp"
#include "tierkit/profile.hpp"

namespace tierkit {

class rolling_profile {
 public:
  rolling_profile();
  ~rolling_profile();
  rolling_profile(rolling_profile&&) noexcept;
  rolling_profile& operator=(rolling_profile&&) noexcept;

  // Adds a period; it must not begin before the last one pushed ends, and must share the
  // others' settings (invalid_input otherwise). threads: at most this many (0: all cores).
  void push(const period_table& t, unsigned threads = 0);
  // Removes the held periods that end on or before `day` (their customers stay known).
  void drop_before(std::int32_t day, unsigned threads = 0);
  // Customers seen in periods no longer held (a saved run resumed: the customers of its
  // dropped periods, then its held periods pushed again).
  void remember(const customer_history& before);
  // The profile as of `as_of` (on or after the end of the last period pushed), with
  // window_start as given (reported only).
  profile current(std::int32_t as_of, std::optional<std::int32_t> window_start, unsigned threads = 0) const;

  std::size_t customers() const noexcept;  // every customer seen
  std::size_t periods_held() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tierkit
