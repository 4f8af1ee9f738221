#include "profile_state_impl.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/cancel_point.hpp"
#include "detail/customer_log.hpp"
#include "detail/fixed_point.hpp"
#include "detail/huge_pages.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "detail/text_values.hpp"
#include "over_time/period_table_impl.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"
#include "tierkit/over_time/period_table.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

// Profiles and period tables from a state.

namespace tierkit {

profile profile_state::finish(bool allow_empty) const {
  const impl& s = *impl_;
  s.check_usable();
  // finish() changes nothing in the state: cancelling it between phases is clean.
  detail::cancel_point cancel(fn);
  const validation_report& rep = s.report;
  if (rep.rows_used == 0 && !allow_empty) {
    throw invalid_input(std::string(fn) + ": no transactions to profile: " +
                        detail::rows_text(rep.rows_read) + " read, " +
                        detail::format_count(rep.rows_dropped) + " dropped as invalid, " +
                        detail::format_count(rep.rows_outside_window) +
                        " outside the window");
  }
  if (!s.config.as_of && s.max_day + 1 > last_supported_day) {
    throw invalid_input(std::string(fn) + ": the default as_of, the day after the last "
                        "transaction (" + format_day(s.max_day) + "), is past the supported "
                        "dates 0001-01-01 to 9999-12-31; pass an as_of of 9999-12-31 or "
                        "earlier (transactions on or after it are then invalid rows)");
  }
  profile p;
  p.as_of = s.config.as_of ? *s.config.as_of : (rep.rows_used > 0 ? s.max_day + 1 : 0);
  p.window_start = s.config.window_start;
  p.time_zone = s.config.zone.name();
  p.period = s.config.period;
  p.has_orders = s.has_orders;
  p.has_quantity = s.has_quantity;
  p.has_channels = s.has_channels;
  p.has_categories = s.has_categories;
  p.has_purchase_days = s.config.purchase_days;
  p.report = rep;

  std::vector<std::uint32_t> order = s.customers.sorted_order();
  const std::size_t indices = order.size();  // customer indices, holes included
  const unsigned threads = thread_count(s.config, indices);
  if (s.holes) {
    // Keys numbered by their value leave indices no row came for: no customers.
    std::vector<std::uint8_t> present(indices);
    detail::for_row_blocks(indices, threads, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t r = lo; r < hi; ++r) present[r] = s.aggs[order[r]].lines() > 0;
    });
    std::size_t kept = 0;
    for (std::size_t r = 0; r < indices; ++r) {
      if (present[r]) order[kept++] = order[r];
    }
    order.resize(kept);
  }
  const std::size_t n = order.size();

  cancel.check();
  // Keys, in ascending order.
  p.customer.is_string = s.customers.key_kind() == key_dictionary::kind::string;
  if (p.customer.is_string) {
    p.customer.offsets.reserve(n + 1);
    p.customer.offsets.push_back(0);
    for (std::uint32_t j : order) {
      p.customer.chars.append(s.customers.string_at(j));
      p.customer.offsets.push_back(static_cast<std::int64_t>(p.customer.chars.size()));
    }
  } else {
    p.customer.ints.resize(n);
    detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t r = lo; r < hi; ++r) p.customer.ints[r] = s.customers.int_at(order[r]);
    });
  }

  cancel.check();
  // The columns' pages are new memory (huge pages where offered): their first touch
  // (zeroing by the kernel, then by the vector) is shared out over the threads, a column
  // each.
  std::vector<std::uint32_t> rank;
  detail::run_tasks({
      [&] { detail::assign_new_column(p.first_purchase, n); },
      [&] { detail::assign_new_column(p.last_purchase, n); },
      [&] { detail::assign_new_column(p.recency, n); },
      [&] { detail::assign_new_column(p.tenure, n); },
      [&] { detail::assign_new_column(p.frequency, n, 0); },
      [&] { detail::assign_new_column(p.transactions, n); },
      [&] { detail::assign_new_column(p.returns, n, 0); },
      [&] { detail::assign_new_column(p.monetary, n); },
      [&] { detail::assign_new_column(p.gross_sales, n); },
      [&] { detail::assign_new_column(p.returns_value, n); },
      [&] { detail::assign_new_column(p.average_order_value, n); },
      [&] { if (s.has_quantity) detail::assign_new_column(p.quantity, n); },
      [&] { if (p.has_purchase_days) detail::assign_new_column(p.purchase_days, n, 0); },
      [&] { if (p.has_purchase_days) detail::assign_new_column(p.previous_purchase, n, no_day); },
      [&] {
        if (p.has_purchase_days) {
          detail::assign_new_column(p.median_gap, n, std::numeric_limits<double>::quiet_NaN());
        }
      },
      [&] { if (s.has_channels) detail::assign_new_column(p.channels, n, 0); },
      [&] { if (s.has_categories) detail::assign_new_column(p.categories, n, 0); },
      [&] { detail::assign_new_column(rank, indices); },
  }, detail::threads_for_rows(n, threads));
  cancel.check();
  // Rows are independent: filled on all threads (customers are read in key order, that is
  // at random, so the reads' cache misses overlap across threads).
  detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
  for (std::size_t r = lo; r < hi; ++r) {
    const customer_agg& g = s.aggs[order[r]];
    const bool bought = g.purchase_lines > 0;
    p.first_purchase[r] = bought ? g.first_purchase : no_day;
    p.last_purchase[r] = bought ? g.last_purchase : no_day;
    p.recency[r] = bought ? p.as_of - g.last_purchase : no_day;
    p.tenure[r] = bought ? p.as_of - g.first_purchase : no_day;
    p.transactions[r] = g.purchase_lines + g.return_lines;
    p.monetary[r] = detail::fixed_to_double(g.gross - g.returned);
    p.gross_sales[r] = detail::fixed_to_double(g.gross);
    p.returns_value[r] = detail::fixed_to_double(g.returned);
    if (s.has_quantity) p.quantity[r] = detail::fixed_to_double(g.quantity);
    if (!s.has_orders) {
      p.frequency[r] = g.purchase_lines;
      p.returns[r] = g.return_lines;
    }
  }
  });

  cancel.check();
  // Distinct counts: group each log by customer and count its distinct records.
  // Counted per customer index inside the parallel grouping, then laid out by rank.
  // Output row of each customer index: groups write their counts straight into place.
  detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) rank[order[r]] = static_cast<std::uint32_t>(r);
  });
  auto count_distinct = [&](const customer_log<value_record>& log, std::vector<std::int64_t>& out) {
    detail::for_each_customer_group<value_record>(
        {&log}, indices, s.threads_for_log(log, indices),
        [&](std::size_t c, const value_record* first, const value_record* last) {
          if (first != last) out[rank[c]] = last - first;  // holes have no rank: skip empties
        });
  };
  cancel.check();
  // Purchase days: their number, the day before the last, and the median gap between them
  // (the log is empty when they are off).
  if (p.has_purchase_days) {
    detail::for_each_customer_group<day_record>(
        {&s.days}, indices, s.threads_for_log(s.days, indices),
        [&](std::size_t c, const day_record* first, const day_record* last) {
          const std::ptrdiff_t k = last - first;  // distinct days, ascending
          if (k == 0) return;  // the columns start at "no days"; holes have no rank
          const std::uint32_t r = rank[c];
          p.purchase_days[r] = k;
          if (k < 2) return;
          p.previous_purchase[r] = first[k - 2].day;
          p.median_gap[r] = median_gap(first, k);
        });
  }
  cancel.check();
  if (s.has_orders) {
    count_distinct(s.orders.log, p.frequency);
    count_distinct(s.orders.return_log, p.returns);
  }
  if (s.has_channels) count_distinct(s.channels.log, p.channels);
  if (s.has_categories) count_distinct(s.categories.log, p.categories);
  detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      p.average_order_value[r] = p.frequency[r] > 0
                                     ? p.monetary[r] / static_cast<double>(p.frequency[r])
                                     : std::numeric_limits<double>::quiet_NaN();
    }
  });

  cancel.check();
  // Spend series: closed buckets plus every customer's open one, grouped by customer and
  // laid out in output order.
  if (s.config.spend_series) {
    customer_log<amount_record> open;
    for (std::size_t c = 0; c < s.aggs.size(); ++c) {
      const customer_agg& g = s.aggs[c];
      if (g.open_period != no_day) {
        open.push(amount_record::make(static_cast<std::uint32_t>(c), g.open_period, g.open_net));
      }
    }
    const std::vector<const customer_log<amount_record>*> all{&s.series, &open};
    const auto g = detail::group_by_customer(all, indices, thread_count(s.config, s.series.size() + open.size() + indices));
    p.series_offsets.resize(n + 1);
    p.series_offsets[0] = 0;
    for (std::size_t r = 0; r < n; ++r) {
      p.series_offsets[r + 1] = p.series_offsets[r] + (g.end[order[r]] - g.begin[order[r]]);
    }
    const auto total = static_cast<std::size_t>(p.series_offsets[n]);
    p.series_period.resize(total);
    p.series_net.resize(total);
    for (std::size_t r = 0; r < n; ++r) {
      std::size_t out = static_cast<std::size_t>(p.series_offsets[r]);
      for (std::int64_t k = g.begin[order[r]]; k < g.end[order[r]]; ++k, ++out) {
        const amount_record& rec = g.records[static_cast<std::size_t>(k)];
        p.series_period[out] = rec.period;
        p.series_net[out] = detail::fixed_to_double(rec.amount());
      }
    }
  }
  return p;
}

// --- period tables ---------------------------------------------------------------------------

period_table profile_state::finish_period() const {
  const impl& s = *impl_;
  s.check_usable();
  const char* f = "tierkit.profile_state.finish_period";
  if (!s.config.as_of || !s.config.window_start) {
    throw invalid_input(std::string(f) + ": a period table needs a state with an explicit window "
                        "(as_of and window_start)");
  }
  for (const distinct_log* d : {&s.orders, &s.channels, &s.categories}) {
    if (d->strings.size() > 0) {
      throw invalid_input(std::string(f) + ": order, channel and category values are text; a period "
                          "table needs integers (encode the text over the whole history first)");
    }
  }
  detail::cancel_point cancel(fn);
  auto t = std::make_shared<period_table::impl>();
  t->start = *s.config.window_start;
  t->end = *s.config.as_of;
  t->has_orders = s.has_orders;
  t->has_quantity = s.has_quantity;
  t->has_channels = s.has_channels;
  t->has_categories = s.has_categories;
  t->purchase_days = s.config.purchase_days;
  t->spend_series = s.config.spend_series;
  t->period = s.config.period;
  t->time_zone = s.config.zone.name();
  t->report = s.report;
  std::vector<std::uint32_t> order = s.customers.sorted_order();
  const std::size_t indices = order.size();
  const unsigned threads = thread_count(s.config, indices);
  if (s.holes) {
    std::size_t kept = 0;
    for (std::size_t r = 0; r < indices; ++r) {
      if (s.aggs[order[r]].lines() > 0) order[kept++] = order[r];
    }
    order.resize(kept);
  }
  const std::size_t n = order.size();
  customer_keys& keys = t->customer;
  keys.is_string = s.customers.key_kind() == key_dictionary::kind::string;
  if (keys.is_string) {
    keys.offsets.reserve(n + 1);
    keys.offsets.push_back(0);
    for (std::uint32_t j : order) {
      keys.chars.append(s.customers.string_at(j));
      keys.offsets.push_back(static_cast<std::int64_t>(keys.chars.size()));
    }
  } else {
    keys.ints.resize(n);
    for (std::size_t r = 0; r < n; ++r) keys.ints[r] = s.customers.int_at(order[r]);
  }
  t->gross.resize(n);
  t->returned.resize(n);
  if (s.has_quantity) t->quantity.resize(n);
  t->purchase_lines.resize(n);
  t->return_lines.resize(n);
  t->first.resize(n);
  t->last.resize(n);
  t->previous.assign(n, no_day);
  detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const customer_agg& g = s.aggs[order[r]];
      const bool bought = g.purchase_lines > 0;
      t->gross[r] = g.gross;
      t->returned[r] = g.returned;
      if (s.has_quantity) t->quantity[r] = g.quantity;
      t->purchase_lines[r] = g.purchase_lines;
      t->return_lines[r] = g.return_lines;
      t->first[r] = bought ? g.first_purchase : no_day;
      t->last[r] = bought ? g.last_purchase : no_day;
    }
  });
  std::vector<std::uint32_t> rank(indices, ~std::uint32_t{0});
  for (std::size_t r = 0; r < n; ++r) rank[order[r]] = static_cast<std::uint32_t>(r);
  // Grouped, distinct records of a log laid out in key order: offsets and values.
  auto lay_out = [&](const auto& log, std::vector<std::int64_t>& off, auto& values, auto value_of) {
    using Record = typename std::decay_t<decltype(log)>::record_type;
    const auto g = detail::group_by_customer<Record>({&log}, indices, s.threads_for_log(log, indices));
    off.assign(n + 1, 0);
    for (std::size_t r = 0; r < n; ++r) off[r + 1] = off[r] + (g.end[order[r]] - g.begin[order[r]]);
    values.resize(static_cast<std::size_t>(off[n]));
    for (std::size_t r = 0; r < n; ++r) {
      std::size_t out = static_cast<std::size_t>(off[r]);
      for (std::int64_t k = g.begin[order[r]]; k < g.end[order[r]]; ++k) {
        values[out++] = value_of(g.records[static_cast<std::size_t>(k)]);
      }
    }
  };
  auto value = [](const value_record& r) { return r.value; };
  // Distinct values ascend within each customer's list: combining periods can then see at a
  // glance when lists cannot share a value.
  auto sort_lists = [&](const std::vector<std::int64_t>& off, std::vector<std::int64_t>& values) {
    detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t r = lo; r < hi; ++r) {
        std::sort(values.begin() + off[r], values.begin() + off[r + 1]);
      }
    });
  };
  if (s.has_orders) {
    lay_out(s.orders.log, t->order_off, t->orders, value);
    lay_out(s.orders.return_log, t->return_off, t->return_orders, value);
  }
  if (s.has_channels) lay_out(s.channels.log, t->channel_off, t->channels, value);
  if (s.has_categories) lay_out(s.categories.log, t->category_off, t->categories, value);
  if (s.has_orders) {
    sort_lists(t->order_off, t->orders);
    sort_lists(t->return_off, t->return_orders);
  }
  if (s.has_channels) sort_lists(t->channel_off, t->channels);
  if (s.has_categories) sort_lists(t->category_off, t->categories);
  if (s.config.purchase_days) {
    lay_out(s.days, t->day_off, t->days, [](const day_record& r) { return r.day; });
    for (std::size_t r = 0; r < n; ++r) {
      if (t->day_off[r + 1] - t->day_off[r] >= 2) t->previous[r] = t->days[static_cast<std::size_t>(t->day_off[r + 1] - 2)];
    }
  }
  if (s.config.spend_series) {
    customer_log<amount_record> open;
    for (std::size_t c = 0; c < s.aggs.size(); ++c) {
      const customer_agg& g = s.aggs[c];
      if (g.open_period != no_day) open.push(amount_record::make(static_cast<std::uint32_t>(c), g.open_period, g.open_net));
    }
    const auto g = detail::group_by_customer<amount_record>({&s.series, &open}, indices,
                                                            thread_count(s.config, s.series.size() + indices));
    t->series_off.assign(n + 1, 0);
    for (std::size_t r = 0; r < n; ++r) t->series_off[r + 1] = t->series_off[r] + (g.end[order[r]] - g.begin[order[r]]);
    const auto total = static_cast<std::size_t>(t->series_off[n]);
    t->series_period.resize(total);
    t->series_net.resize(total);
    for (std::size_t r = 0; r < n; ++r) {
      std::size_t out = static_cast<std::size_t>(t->series_off[r]);
      for (std::int64_t k = g.begin[order[r]]; k < g.end[order[r]]; ++k, ++out) {
        const amount_record& rec = g.records[static_cast<std::size_t>(k)];
        t->series_period[out] = rec.period;
        t->series_net[out] = rec.amount();
      }
    }
  }
  return period_table(std::move(t));
}

}  // namespace tierkit
