#pragma once
// profile: one row of exact, explainable aggregates per customer, built from transactions
// through a mergeable partial state (profile_state: update, merge, finish).
//
// Definitions (docs/definitions.md has them all):
//   as_of            explicit, or the day after the last transaction used (reported back);
//                    within the supported dates (calendar.hpp), so a transaction on
//                    9999-12-31 needs an explicit as_of (finish() says so otherwise).
//   window           [window_start, as_of) when window_start is given: rows outside it are
//                    left out and counted (report.rows_outside_window). Without window_start,
//                    a row on or after an explicit as_of is invalid input.
//   purchase line    amount >= 0; return line: amount < 0.
//   first/last_purchase  first and last day with a purchase line; no_day when none.
//   recency          as_of - last_purchase, whole days (lower is better); no_day when none.
//   tenure           as_of - first_purchase, whole days; no_day when none.
//   frequency        distinct orders with a purchase line when an order column is given,
//                    else purchase lines.
//   purchase_days    distinct days with a purchase line.
//   previous_purchase  the purchase day before last_purchase; no_day with one purchase day.
//   median_gap       median of the gaps in days between consecutive purchase days (the mean
//                    of the two middle gaps when their number is even); NaN with one day.
//                    These three are computed unless profile_config::purchase_days is off
//                    (then their vectors are empty and has_purchase_days is false).
//   transactions     all lines of the customer (purchases and returns).
//   monetary         net value: sum of all amounts (returns are netted).
//   gross_sales      sum of purchase lines.
//   returns          distinct orders with a return line (or return lines without orders).
//   returns_value    sum of -amount over return lines (a positive number).
//   average_order_value  monetary / frequency; NaN when frequency is 0.
//   quantity         sum of quantity over all lines (NaN column absent without quantity).
//   channels, categories  distinct values over purchase lines (0 when not given).
//   series           net spend per period (month by default) for every period with at
//                    least one line; periods without lines are absent (zero).
// Customers are kept whatever their value: a customer with only returns has a row with
// frequency 0, negative monetary and no purchase days. Rows are ordered by customer key,
// ascending (integers numerically, strings by their UTF-8 bytes), so the result does not
// depend on row order, chunking, thread count or merge order: sums are exact (fixed-point,
// see detail/fixed_point.hpp in src/), so every column is bit-for-bit identical.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/calendar.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit {

// Marker for "no such day" in day columns (a customer without purchase lines).
inline constexpr std::int32_t no_day = std::numeric_limits<std::int32_t>::min();

struct profile_config {
  std::optional<std::int32_t> as_of;         // day number; default: last day used + 1
  std::optional<std::int32_t> window_start;  // day number; makes the window explicit
  time_zone zone;                            // for UTC-instant timestamps; default UTC
  period_kind period = period_kind::month;   // bucket of the spend series
  bool spend_series = true;                  // false skips the per-period series
  // false skips the distinct purchase days and what is derived from them (purchase_days,
  // previous_purchase, median_gap; the profile's vectors stay empty): no log of (customer,
  // day) is kept, which the default RFM, ABC and rules not reading those columns do not
  // need (the distinct days are a sizeable part of a profile's work, and the log holds 8
  // bytes per purchase day). Lifecycle stages and RFM's frequency by purchase days need them.
  bool purchase_days = true;
  invalid_policy on_invalid = invalid_policy::raise;
  // The days a transaction may be dated, inclusive (default 1900-01-01 to 2200-12-31): a
  // row dated outside is an invalid row (raised or dropped and counted under on_invalid, as
  // "dated before 1900-01-01 (the first of valid_dates)"), since such a date is far more
  // often a placeholder or a typo (0000-01-01, 9999-12-31) than a purchase, and one would
  // put recency and tenure off by centuries. Checked on every row before the window, so a
  // windowed profile drops it as invalid, not as outside the window. Both bounds must lie
  // within the supported dates (calendar.hpp), first <= last; widen to
  // {first_supported_day, last_supported_day} to accept every date tierkit can represent.
  // Like on_invalid, it governs update() only: merge() does not compare it.
  day_range valid_dates;
  unsigned threads = 0;                      // 0: every CPU the process may use
};

// Customer keys of a result, owned: integers or strings.
struct customer_keys {
  bool is_string = false;
  std::vector<std::int64_t> ints;     // when !is_string
  std::vector<std::int64_t> offsets;  // when is_string: size() + 1 offsets into chars
  std::string chars;

  std::size_t size() const noexcept {
    return is_string ? (offsets.empty() ? 0 : offsets.size() - 1) : ints.size();
  }
  std::string_view string_at(std::size_t i) const noexcept {
    return std::string_view(chars.data() + offsets[i],
                            static_cast<std::size_t>(offsets[i + 1] - offsets[i]));
  }
  // The key as text, for messages and reprs.
  std::string to_string(std::size_t i) const;
};

struct profile {
  customer_keys customer;
  std::vector<std::int32_t> first_purchase;
  std::vector<std::int32_t> last_purchase;
  std::vector<std::int32_t> recency;
  std::vector<std::int32_t> tenure;
  std::vector<std::int32_t> previous_purchase;
  std::vector<double> median_gap;
  std::vector<std::int64_t> frequency;
  std::vector<std::int64_t> purchase_days;
  std::vector<std::int64_t> transactions;
  std::vector<std::int64_t> returns;
  std::vector<std::int64_t> channels;
  std::vector<std::int64_t> categories;
  std::vector<double> monetary;
  std::vector<double> gross_sales;
  std::vector<double> returns_value;
  std::vector<double> average_order_value;
  std::vector<double> quantity;

  // Spend series in compressed rows: customer i owns entries
  // [series_offsets[i], series_offsets[i+1]), ascending by period.
  std::vector<std::int64_t> series_offsets;
  std::vector<std::int32_t> series_period;  // first day of the period
  std::vector<double> series_net;

  std::int32_t as_of = 0;
  std::optional<std::int32_t> window_start;
  std::string time_zone;
  period_kind period = period_kind::month;
  bool has_orders = false;
  bool has_quantity = false;
  bool has_channels = false;
  bool has_categories = false;
  bool has_purchase_days = true;  // purchase_days, previous_purchase, median_gap computed
  validation_report report;

  std::size_t size() const noexcept { return customer.size(); }
};

class profile_state;
class period_table;
namespace detail {
// The state as bytes and back (persistence: tierkit/serialization.hpp wraps them).
std::string profile_state_payload(const profile_state& state);
profile_state profile_state_from_payload(std::string_view bytes);
}  // namespace detail

// The mergeable partial state. update() adds a batch, merge() adds another state built
// with an equal configuration, finish() computes the profile and leaves the state as it
// was. update() validates first: an update that throws leaves the state unchanged, unless
// it stops after it began adding rows (cancelled, see cancel.hpp, or out of memory); the
// state then holds part of the batch, and every later update, merge or finish throws
// invalid_input. States travel as bytes (to_bytes / profile_state_from_bytes in
// tierkit/serialization.hpp) to another process, machine or later run; a loaded state
// merges and finishes exactly as the one saved.
// Threads: a profile_state is a plain value, not safe to use from several threads at once
// (update and merge change it; finish, copies and the counts read it), as a std::vector is
// not: give each thread a state of its own and merge them, or serialize the calls. (The
// Python ProfileState and ProfileBuilder serialize their calls with a mutex per state.)
// update() itself runs on config.threads threads.
class profile_state {
 public:
  explicit profile_state(profile_config config = {});
  ~profile_state();
  profile_state(profile_state&&) noexcept;
  profile_state& operator=(profile_state&&) noexcept;
  profile_state(const profile_state&);
  profile_state& operator=(const profile_state&);

  void update(const transactions& batch);
  // Several batches at once: validated together, then aggregated on config.threads threads.
  void update(const std::vector<transactions>& batches);
  // Throws tierkit::invalid_input when the configurations differ in as_of, window_start,
  // time zone, period, spend series or purchase days settings, or when key kinds
  // (integer/string) differ. on_invalid and valid_dates, which decide what update() accepts,
  // are this state's own: the other state's rows were checked by its own settings.
  void merge(const profile_state& other);
  // Adds the state of another period of one history: both states have explicit windows
  // [window_start, as_of) that do not overlap, and otherwise equal settings (as merge()).
  // The result's window is the hull of the two (from the earlier start to the later as_of),
  // so that the states of consecutive periods merge into the state of their span.
  void merge_window(const profile_state& other);
  // Throws tierkit::invalid_input when no transaction was used (unless allow_empty: then a
  // profile without customers, with the state's settings and optional columns).
  profile finish() const;
  profile finish(bool allow_empty) const;
  // The state as a period table (over_time/period_table.hpp): the state must have an
  // explicit window (the period) and integer distinct values (invalid_input otherwise).
  period_table finish_period() const;
  std::int64_t rows_used() const noexcept;

  const profile_config& config() const noexcept;
  std::int64_t rows_read() const noexcept;
  std::size_t customers() const noexcept;

 private:
  friend std::string detail::profile_state_payload(const profile_state& state);
  friend profile_state detail::profile_state_from_payload(std::string_view bytes);
  struct impl;
  std::unique_ptr<impl> impl_;
};

// One-shot convenience: a fresh state, one update, finish.
profile make_profile(const transactions& batch, const profile_config& config = {});
profile make_profile(const std::vector<transactions>& batches,
                     const profile_config& config = {});

}  // namespace tierkit
