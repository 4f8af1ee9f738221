#include "tierkit/over_time/assessment_profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/decode.hpp"
#include "detail/row_blocks.hpp"
#include "tierkit/calendar.hpp"
#include "over_time/period_table_impl.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

// -1, 0, 1: key a of `x` against key b of `y` (same kind), in profile order.
int compare_keys(const customer_keys& x, std::size_t a, const customer_keys& y, std::size_t b) {
  if (x.is_string) {
    const int c = x.string_at(a).compare(y.string_at(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return x.ints[a] < y.ints[b] ? -1 : (x.ints[a] > y.ints[b] ? 1 : 0);
}

void push_key(customer_keys& out, const customer_keys& from, std::size_t row) {
  if (from.is_string) {
    out.chars.append(from.string_at(row));
    out.offsets.push_back(static_cast<std::int64_t>(out.chars.size()));
  } else {
    out.ints.push_back(from.ints[row]);
  }
}

customer_keys empty_keys(bool is_string) {
  customer_keys k;
  k.is_string = is_string;
  if (is_string) k.offsets.push_back(0);
  return k;
}

void check_kinds(const customer_keys& a, const customer_keys& b, const char* f) {
  if (a.size() > 0 && b.size() > 0 && a.is_string != b.is_string) {
    throw invalid_input(std::string(f) + ": customer keys are " + (a.is_string ? "text" : "integers") +
                        " on one side and " + (b.is_string ? "text" : "integers") + " on the other");
  }
}

std::int32_t earlier(std::int32_t a, std::int32_t b) {
  if (a == no_day) return b;
  if (b == no_day) return a;
  return std::min(a, b);
}
std::int32_t later(std::int32_t a, std::int32_t b) {
  if (a == no_day) return b;
  if (b == no_day) return a;
  return std::max(a, b);
}

}  // namespace

void customer_history::add(const profile& p) {
  const char* f = "tierkit.customer_history.add";
  check_kinds(customer, p.customer, f);
  const bool is_string = customer.size() > 0 ? customer.is_string : p.customer.is_string;
  customer_history out;
  out.customer = empty_keys(is_string);
  const std::size_t n = size(), m = p.size();
  out.first_purchase.reserve(n + m);
  out.last_purchase.reserve(n + m);
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    const int c = i == n ? 1 : (j == m ? -1 : compare_keys(customer, i, p.customer, j));
    if (c < 0) {
      push_key(out.customer, customer, i);
      out.first_purchase.push_back(first_purchase[i]);
      out.last_purchase.push_back(last_purchase[i]);
      ++i;
    } else if (c > 0) {
      push_key(out.customer, p.customer, j);
      out.first_purchase.push_back(p.first_purchase[j]);
      out.last_purchase.push_back(p.last_purchase[j]);
      ++j;
    } else {
      push_key(out.customer, customer, i);
      out.first_purchase.push_back(earlier(first_purchase[i], p.first_purchase[j]));
      out.last_purchase.push_back(later(last_purchase[i], p.last_purchase[j]));
      ++i;
      ++j;
    }
  }
  *this = std::move(out);
}

void customer_history::add(const period_table& t) {
  profile p;  // only the columns add() reads
  p.customer = t.customers();
  p.first_purchase = t.data().first;
  p.last_purchase = t.data().last;
  add(p);
}

profile assessment_profile(const profile& w, const customer_history& h, std::int32_t as_of,
                           std::optional<std::int32_t> window_start) {
  const char* f = "tierkit.assessment_profile";
  check_kinds(w.customer, h.customer, f);
  if (w.size() > 0 && w.as_of > as_of) {
    throw invalid_input(std::string(f) + ": the window's profile is as of " + format_day(w.as_of) +
                        ", after the assessment's " + format_day(as_of));
  }
  profile p;
  p.as_of = as_of;
  p.window_start = window_start;
  p.time_zone = w.time_zone;
  p.period = w.period;
  p.has_orders = w.has_orders;
  p.has_quantity = w.has_quantity;
  p.has_channels = w.has_channels;
  p.has_categories = w.has_categories;
  p.has_purchase_days = w.has_purchase_days;
  p.report = w.report;
  const bool is_string = w.size() > 0 ? w.customer.is_string : h.customer.is_string;
  p.customer = empty_keys(is_string);
  const bool series = !w.series_offsets.empty();
  if (series || w.size() == 0) p.series_offsets.push_back(0);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const std::size_t n = w.size(), m = h.size();
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    const int c = i == n ? 1 : (j == m ? -1 : compare_keys(w.customer, i, h.customer, j));
    std::int32_t first, last;
    if (c <= 0) {  // in the window
      push_key(p.customer, w.customer, i);
      first = c == 0 ? earlier(w.first_purchase[i], h.first_purchase[j]) : w.first_purchase[i];
      last = c == 0 ? later(w.last_purchase[i], h.last_purchase[j]) : w.last_purchase[i];
      p.frequency.push_back(w.frequency[i]);
      p.transactions.push_back(w.transactions[i]);
      p.returns.push_back(w.returns[i]);
      p.monetary.push_back(w.monetary[i]);
      p.gross_sales.push_back(w.gross_sales[i]);
      p.returns_value.push_back(w.returns_value[i]);
      p.average_order_value.push_back(w.average_order_value[i]);
      if (p.has_quantity) p.quantity.push_back(w.quantity[i]);
      if (p.has_channels) p.channels.push_back(w.channels[i]);
      if (p.has_categories) p.categories.push_back(w.categories[i]);
      if (p.has_purchase_days) {
        p.purchase_days.push_back(w.purchase_days[i]);
        p.previous_purchase.push_back(w.previous_purchase[i]);
        p.median_gap.push_back(w.median_gap[i]);
      }
      if (series) {
        for (auto k = w.series_offsets[i]; k < w.series_offsets[i + 1]; ++k) {
          p.series_period.push_back(w.series_period[static_cast<std::size_t>(k)]);
          p.series_net.push_back(w.series_net[static_cast<std::size_t>(k)]);
        }
      }
      ++i;
      if (c == 0) ++j;
    } else {  // seen before the window only
      push_key(p.customer, h.customer, j);
      first = h.first_purchase[j];
      last = h.last_purchase[j];
      p.frequency.push_back(0);
      p.transactions.push_back(0);
      p.returns.push_back(0);
      p.monetary.push_back(0.0);
      p.gross_sales.push_back(0.0);
      p.returns_value.push_back(0.0);
      p.average_order_value.push_back(nan);
      if (p.has_quantity) p.quantity.push_back(0.0);
      if (p.has_channels) p.channels.push_back(0);
      if (p.has_categories) p.categories.push_back(0);
      if (p.has_purchase_days) {
        p.purchase_days.push_back(0);
        p.previous_purchase.push_back(no_day);
        p.median_gap.push_back(nan);
      }
      ++j;
    }
    if (series || w.size() == 0) p.series_offsets.push_back(static_cast<std::int64_t>(p.series_net.size()));
    p.first_purchase.push_back(first);
    p.last_purchase.push_back(last);
    p.recency.push_back(last == no_day ? no_day : as_of - last);
    p.tenure.push_back(first == no_day ? no_day : as_of - first);
  }
  if (!series && w.size() > 0) p.series_offsets.clear();
  return p;
}

period_rows split_by_period(const column_view& time, const time_zone& zone,
                            const std::vector<std::int32_t>& cuts, unsigned threads) {
  const char* f = "tierkit.split_by_period";
  for (std::size_t k = 1; k < cuts.size(); ++k) {
    if (cuts[k] <= cuts[k - 1]) throw invalid_input(std::string(f) + ": cut days must ascend strictly");
  }
  if (!is_temporal(time.type)) {
    throw schema_error(std::string(f) + ": " + time.describe() + " is not a date or timestamp column");
  }
  const auto n = static_cast<std::size_t>(time.length);
  const std::size_t periods = cuts.size() + 1;
  std::vector<std::uint32_t> period(n);
  const unsigned t = detail::threads_for_rows(n, threads);
  const std::size_t blocks = (n + detail::rule_block_rows - 1) / detail::rule_block_rows;
  // Per block: its rows' counts per period (blocks x periods when periods are few; the
  // counting sort then scatters block by block in row order, stable) and whether its rows
  // ascend by period.
  // Many periods (more than blocks of rows can count each): one count per period, filled
  // after the days are known, and a sequential stable scatter.
  const bool per_block = blocks * periods <= (std::size_t{1} << 22);
  std::vector<std::int64_t> counts(per_block ? blocks * periods : 0, 0);
  std::vector<std::uint8_t> ascending(blocks, 1);
  std::vector<std::uint32_t> first_of(blocks, 0), last_of(blocks, 0);
  detail::for_row_blocks(n, t, [&](std::size_t lo, std::size_t hi) {
    std::int64_t days[detail::rule_block_rows];
    detail::decode_days(time, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi - lo), zone, days);
    const std::size_t b = lo / detail::rule_block_rows;
    std::int64_t* count = per_block ? counts.data() + b * periods : nullptr;
    std::uint32_t prev = 0;
    bool up = true;
    for (std::size_t r = lo; r < hi; ++r) {
      const std::int64_t d = days[r - lo];
      const auto k = static_cast<std::uint32_t>(
          std::upper_bound(cuts.begin(), cuts.end(), d, [](std::int64_t x, std::int32_t c) { return x < c; }) -
          cuts.begin());
      period[r] = k;
      if (count) ++count[k];
      if (r > lo && k < prev) up = false;
      prev = k;
    }
    ascending[b] = up;
    first_of[b] = period[lo];
    last_of[b] = prev;
  });
  period_rows out;
  out.offsets.assign(periods + 1, 0);
  if (per_block) {
    for (std::size_t b = 0; b < blocks; ++b) {
      for (std::size_t k = 0; k < periods; ++k) out.offsets[k + 1] += counts[b * periods + k];
    }
  } else {
    for (std::size_t r = 0; r < n; ++r) ++out.offsets[period[r] + 1];
  }
  for (std::size_t k = 0; k < periods; ++k) out.offsets[k + 1] += out.offsets[k];
  bool grouped = true;
  for (std::size_t b = 0; b < blocks && grouped; ++b) {
    grouped = ascending[b] && (b == 0 || first_of[b] >= last_of[b - 1]);
  }
  if (grouped) return out;
  out.order.resize(n);
  if (!per_block) {
    std::vector<std::int64_t> at(out.offsets.begin(), out.offsets.end() - 1);
    for (std::size_t r = 0; r < n; ++r) out.order[static_cast<std::size_t>(at[period[r]]++)] = static_cast<std::int64_t>(r);
    return out;
  }
  // Stable counting sort: each block scatters from its own starting positions.
  std::vector<std::int64_t> start(blocks * periods);
  for (std::size_t k = 0; k < periods; ++k) {
    std::int64_t at = out.offsets[k];
    for (std::size_t b = 0; b < blocks; ++b) {
      start[b * periods + k] = at;
      at += counts[b * periods + k];
    }
  }
  detail::parallel_blocks(blocks, t, [&](std::size_t b, unsigned) {
    std::int64_t* at = start.data() + b * periods;
    const std::size_t lo = b * detail::rule_block_rows;
    const std::size_t hi = std::min(n, lo + detail::rule_block_rows);
    for (std::size_t r = lo; r < hi; ++r) out.order[static_cast<std::size_t>(at[period[r]]++)] = static_cast<std::int64_t>(r);
  });
  return out;
}

std::optional<std::pair<std::int32_t, std::int32_t>> day_span(const column_view& time, const time_zone& zone,
                                                              const day_range& within, unsigned threads) {
  if (!is_temporal(time.type)) {
    throw schema_error("tierkit.day_span: " + time.describe() + " is not a date or timestamp column");
  }
  const auto n = static_cast<std::size_t>(time.length);
  const std::size_t blocks = (n + detail::rule_block_rows - 1) / detail::rule_block_rows;
  std::vector<std::int64_t> lo(blocks, std::numeric_limits<std::int64_t>::max());
  std::vector<std::int64_t> hi(blocks, std::numeric_limits<std::int64_t>::min());
  detail::for_row_blocks(n, detail::threads_for_rows(n, threads), [&](std::size_t a, std::size_t b) {
    std::int64_t days[detail::rule_block_rows];
    detail::decode_days(time, static_cast<std::int64_t>(a), static_cast<std::int64_t>(b - a), zone, days);
    const std::size_t k = a / detail::rule_block_rows;
    for (std::size_t r = a; r < b; ++r) {
      const std::int64_t d = days[r - a];
      if (!time.is_valid(static_cast<std::int64_t>(r)) || d < within.first || d > within.last) continue;
      lo[k] = std::min(lo[k], d);
      hi[k] = std::max(hi[k], d);
    }
  });
  const std::int64_t first = lo.empty() ? std::numeric_limits<std::int64_t>::max() : *std::min_element(lo.begin(), lo.end());
  const std::int64_t last = hi.empty() ? std::numeric_limits<std::int64_t>::min() : *std::max_element(hi.begin(), hi.end());
  if (first > last) return std::nullopt;
  const auto clamp = [](std::int64_t d) {
    return static_cast<std::int32_t>(std::clamp<std::int64_t>(d, std::numeric_limits<std::int32_t>::min() + 1,
                                                              std::numeric_limits<std::int32_t>::max()));
  };
  return std::make_pair(clamp(first), clamp(last));
}

}  // namespace tierkit
