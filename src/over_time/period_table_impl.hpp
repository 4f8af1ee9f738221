#pragma once
// A period table's columns (private: filled by profile_state::finish_period in profile_finish.cpp,
// read by window_profile in period_table.cpp).
#include <cstdint>
#include <vector>

#include "detail/fixed_point.hpp"
#include "tierkit/over_time/period_table.hpp"

namespace tierkit {

struct period_table::impl {
  std::int32_t start = 0, end = 0;
  customer_keys customer;  // ascending
  std::vector<detail::fixed128> gross, returned, quantity;
  std::vector<std::int64_t> purchase_lines, return_lines;
  std::vector<std::int32_t> first, last, previous;  // purchase days; no_day when none
  // Distinct values per customer in compressed rows: customer i owns [off[i], off[i+1]).
  std::vector<std::int64_t> order_off, orders;         // purchase orders (with an order column)
  std::vector<std::int64_t> return_off, return_orders;  // return orders
  std::vector<std::int64_t> channel_off, channels;
  std::vector<std::int64_t> category_off, categories;
  std::vector<std::int64_t> day_off;  // purchase days (with purchase_days on), ascending
  std::vector<std::int32_t> days;
  std::vector<std::int64_t> series_off;  // spend buckets (with the spend series), ascending
  std::vector<std::int32_t> series_period;
  std::vector<detail::fixed128> series_net;
  bool has_orders = false, has_quantity = false, has_channels = false, has_categories = false;
  bool purchase_days = true, spend_series = true;
  period_kind period = period_kind::month;
  std::string time_zone;
  validation_report report;
};

}  // namespace tierkit
