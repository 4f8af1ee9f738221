#pragma once
// Period tables: one period's profile in a form that combines exactly over a window.
//
// A profile's distinct counts (orders, return orders, channels, categories) cannot be added
// across periods: an order with lines on both sides of a period boundary counts once. A
// period table therefore keeps, per customer and in key order, the period's exact sums
// (fixed point) and counts, first, last and previous purchase day, and the distinct values
// themselves (orders, return orders, channels, categories, purchase days, spend buckets).
// window_profile() combines the tables of consecutive periods into the profile of their
// span, equal column for column to profiling the span's rows directly (a doctest checks it),
// by one ordered pass over the tables: no key hashing and no re-aggregation of the rows.
//
// Distinct values must be integers (order, channel and category columns of integers, or of
// strings encoded to integers over the whole history): strings are numbered per state and
// their numbers mean nothing in another period's table.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/profile.hpp"

namespace tierkit {

class period_table {
 public:
  period_table();
  std::size_t size() const noexcept;
  const customer_keys& customers() const noexcept;
  std::int32_t start() const noexcept;  // the period's window [start, end)
  std::int32_t end() const noexcept;
  // Per customer: net value, and whether the customer bought (a purchase line) in the period.
  std::vector<double> monetary() const;
  std::vector<std::uint8_t> bought() const;
  // Per customer, the distinct days with a purchase line, ascending: customer i owns
  // purchase_days()[purchase_day_offsets()[i] .. purchase_day_offsets()[i + 1]). Both are
  // empty when the state was made with purchase_days off.
  const std::vector<std::int64_t>& purchase_day_offsets() const noexcept;
  const std::vector<std::int32_t>& purchase_days() const noexcept;
  const validation_report& report() const noexcept;

  struct impl;  // internal (src/over_time/period_table_impl.hpp)
  explicit period_table(std::shared_ptr<const impl> p) : impl_(std::move(p)) {}
  const impl& data() const noexcept { return *impl_; }

 private:
  std::shared_ptr<const impl> impl_;
};

// The profile of the periods' span from their tables (consecutive or not, in any order; they
// must not overlap and must share settings): as_of is the latest end, window_start the
// earliest start. invalid_input on overlapping periods, different settings or key kinds.
profile window_profile(const std::vector<const period_table*>& parts, unsigned threads = 0);

namespace detail {
// The table's raw columns (every length checked on load); serialization.hpp wraps them in
// the envelope: to_bytes(table), period_table_from_bytes(bytes).
std::string period_table_payload(const period_table& table);
period_table period_table_from_payload(std::string_view bytes);
}  // namespace detail

}  // namespace tierkit
