#include "tierkit/over_time/period_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "detail/byte_io.hpp"
#include "detail/report_bytes.hpp"
#include "detail/row_blocks.hpp"
#include "over_time/period_table_impl.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
const period_table::impl& empty_impl() {
  static const period_table::impl e;
  return e;
}
}  // namespace

period_table::period_table() : impl_(std::shared_ptr<const impl>(&empty_impl(), [](const impl*) {})) {}
std::size_t period_table::size() const noexcept { return impl_->customer.size(); }
const customer_keys& period_table::customers() const noexcept { return impl_->customer; }
std::int32_t period_table::start() const noexcept { return impl_->start; }
std::int32_t period_table::end() const noexcept { return impl_->end; }
const validation_report& period_table::report() const noexcept { return impl_->report; }
const std::vector<std::int64_t>& period_table::purchase_day_offsets() const noexcept { return impl_->day_off; }
const std::vector<std::int32_t>& period_table::purchase_days() const noexcept { return impl_->days; }

std::vector<double> period_table::monetary() const {
  const impl& t = *impl_;
  std::vector<double> out(t.gross.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = detail::fixed_to_double(t.gross[i] - t.returned[i]);
  return out;
}

std::vector<std::uint8_t> period_table::bought() const {
  const impl& t = *impl_;
  std::vector<std::uint8_t> out(t.purchase_lines.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = t.purchase_lines[i] > 0;
  return out;
}

namespace {

constexpr const char* fn = "tierkit.window_profile";

int compare_key(const customer_keys& a, std::size_t i, const customer_keys& b, std::size_t j) {
  if (a.is_string) {
    const int c = a.string_at(i).compare(b.string_at(j));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return a.ints[i] < b.ints[j] ? -1 : (a.ints[i] > b.ints[j] ? 1 : 0);
}

// The distinct values of a customer over the parts holding it: one part's list is distinct
// already; several are merged, sorted and counted.
std::int64_t distinct_count(const std::vector<const period_table::impl*>& parts, const std::vector<std::size_t>& rows,
                            const std::vector<std::size_t>& which, std::vector<std::int64_t>& scratch,
                            std::vector<std::int64_t> period_table::impl::*off,
                            std::vector<std::int64_t> period_table::impl::*values) {
  if (which.size() == 1) {
    const period_table::impl& t = *parts[which[0]];
    const std::size_t r = rows[which[0]];
    return (t.*off)[r + 1] - (t.*off)[r];
  }
  // Each part's list ascends. When every list lies above the one before (order numbers grow
  // with time, as they mostly do), the lists are disjoint: their sizes add up.
  std::int64_t sum = 0;
  bool disjoint = true;
  bool have = false;
  std::int64_t top = 0;
  for (std::size_t k : which) {
    const period_table::impl& t = *parts[k];
    const std::size_t r = rows[k];
    const auto lo = (t.*off)[r], hi = (t.*off)[r + 1];
    if (lo == hi) continue;
    const auto& v = t.*values;
    if (have && v[static_cast<std::size_t>(lo)] <= top) disjoint = false;
    top = std::max(top, v[static_cast<std::size_t>(hi - 1)]);
    have = true;
    sum += hi - lo;
  }
  if (disjoint) return sum;
  scratch.clear();
  for (std::size_t k : which) {
    const period_table::impl& t = *parts[k];
    const std::size_t r = rows[k];
    const auto& v = t.*values;
    scratch.insert(scratch.end(), v.begin() + (t.*off)[r], v.begin() + (t.*off)[r + 1]);
  }
  std::sort(scratch.begin(), scratch.end());
  return std::unique(scratch.begin(), scratch.end()) - scratch.begin();
}

double median_of_gaps(const std::vector<std::int32_t>& days) {
  const std::size_t m = days.size() - 1;
  std::vector<std::int32_t> gaps(m);
  for (std::size_t i = 0; i < m; ++i) gaps[i] = days[i + 1] - days[i];
  std::sort(gaps.begin(), gaps.end());
  const std::size_t mid = m / 2;
  return m % 2 == 1 ? gaps[mid] : (static_cast<double>(gaps[mid - 1]) + gaps[mid]) / 2.0;
}

}  // namespace

namespace {

// Combines the customers of the parts whose rows lie in [lo[k], hi[k]) of each part k into
// `p` (columns appended; p's settings are set by the caller). Parts ascend in time.
void combine_range(const std::vector<const period_table::impl*>& parts, const std::vector<std::size_t>& lo,
                   const std::vector<std::size_t>& hi, profile& p) {
  const std::size_t k_parts = parts.size();
  std::vector<std::size_t> pos = lo, rows(k_parts, 0), which;
  std::vector<std::int64_t> scratch;
  std::vector<std::int32_t> days, periods;
  std::vector<detail::fixed128> sums;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const bool is_string = p.customer.is_string;
  const bool series = !p.series_offsets.empty();
  {
    // At most the rows of the parts' ranges: reserved (not touched) up front, so the columns
    // never move while they grow.
    std::size_t most = 0;
    for (std::size_t k = 0; k < k_parts; ++k) most += hi[k] - lo[k];
    for (auto* v : {&p.first_purchase, &p.last_purchase, &p.recency, &p.tenure}) v->reserve(most);
    for (auto* v : {&p.transactions, &p.frequency, &p.returns}) v->reserve(most);
    for (auto* v : {&p.monetary, &p.gross_sales, &p.returns_value, &p.average_order_value}) v->reserve(most);
    if (!is_string) p.customer.ints.reserve(most);
    if (p.has_quantity) p.quantity.reserve(most);
    if (p.has_channels) p.channels.reserve(most);
    if (p.has_categories) p.categories.reserve(most);
    if (p.has_purchase_days) {
      p.purchase_days.reserve(most);
      p.previous_purchase.reserve(most);
      p.median_gap.reserve(most);
    }
    if (series) p.series_offsets.reserve(most + 1);
  }
  auto distinct = [&](std::vector<std::int64_t> period_table::impl::*off, std::vector<std::int64_t> period_table::impl::*values) {
    return distinct_count(parts, rows, which, scratch, off, values);
  };
  while (true) {
    // The smallest key among the parts' next rows, and the parts holding it.
    std::size_t best = k_parts;
    for (std::size_t k = 0; k < k_parts; ++k) {
      if (pos[k] >= hi[k]) continue;
      if (best == k_parts || compare_key(parts[k]->customer, pos[k], parts[best]->customer, pos[best]) < 0) best = k;
    }
    if (best == k_parts) break;
    which.clear();
    for (std::size_t k = best; k < k_parts; ++k) {
      if (pos[k] < hi[k] && (k == best || compare_key(parts[k]->customer, pos[k], parts[best]->customer, pos[best]) == 0)) {
        which.push_back(k);
        rows[k] = pos[k];
      }
    }
    const customer_keys& from = parts[best]->customer;
    if (is_string) {
      p.customer.chars.append(from.string_at(pos[best]));
      p.customer.offsets.push_back(static_cast<std::int64_t>(p.customer.chars.size()));
    } else {
      p.customer.ints.push_back(from.ints[pos[best]]);
    }
    detail::fixed128 gross = 0, returned = 0, quantity = 0;
    std::int64_t plines = 0, rlines = 0;
    std::int32_t first = no_day, last = no_day;
    for (std::size_t k : which) {
      const period_table::impl& t = *parts[k];
      const std::size_t r = rows[k];
      gross += t.gross[r];
      returned += t.returned[r];
      if (p.has_quantity) quantity += t.quantity[r];
      plines += t.purchase_lines[r];
      rlines += t.return_lines[r];
      if (t.first[r] != no_day) {  // parts ascend in time
        if (first == no_day) first = t.first[r];
        last = t.last[r];
      }
    }
    p.first_purchase.push_back(first);
    p.last_purchase.push_back(last);
    p.recency.push_back(last == no_day ? no_day : p.as_of - last);
    p.tenure.push_back(first == no_day ? no_day : p.as_of - first);
    p.transactions.push_back(plines + rlines);
    const double monetary = detail::fixed_to_double(gross - returned);
    p.monetary.push_back(monetary);
    p.gross_sales.push_back(detail::fixed_to_double(gross));
    p.returns_value.push_back(detail::fixed_to_double(returned));
    if (p.has_quantity) p.quantity.push_back(detail::fixed_to_double(quantity));
    std::int64_t frequency = plines, returns = rlines;
    if (p.has_orders) {
      frequency = distinct(&period_table::impl::order_off, &period_table::impl::orders);
      returns = distinct(&period_table::impl::return_off, &period_table::impl::return_orders);
    }
    p.frequency.push_back(frequency);
    p.returns.push_back(returns);
    p.average_order_value.push_back(frequency > 0 ? monetary / static_cast<double>(frequency) : nan);
    if (p.has_channels) p.channels.push_back(distinct(&period_table::impl::channel_off, &period_table::impl::channels));
    if (p.has_categories) {
      p.categories.push_back(distinct(&period_table::impl::category_off, &period_table::impl::categories));
    }
    if (p.has_purchase_days) {
      days.clear();
      for (std::size_t k : which) {
        const period_table::impl& t = *parts[k];
        const std::size_t r = rows[k];
        days.insert(days.end(), t.days.begin() + t.day_off[r], t.days.begin() + t.day_off[r + 1]);
      }
      p.purchase_days.push_back(static_cast<std::int64_t>(days.size()));
      p.previous_purchase.push_back(days.size() >= 2 ? days[days.size() - 2] : no_day);
      p.median_gap.push_back(days.size() >= 2 ? median_of_gaps(days) : nan);
    }
    if (series) {
      // Buckets ascend within each part and the parts ascend: equal periods (a bucket cut by
      // a period boundary) are neighbours; they are summed in fixed point, then converted.
      periods.clear();
      sums.clear();
      for (std::size_t k : which) {
        const period_table::impl& t = *parts[k];
        const std::size_t r = rows[k];
        for (auto j = t.series_off[r]; j < t.series_off[r + 1]; ++j) {
          const auto i = static_cast<std::size_t>(j);
          if (!periods.empty() && periods.back() == t.series_period[i]) {
            sums.back() += t.series_net[i];
          } else {
            periods.push_back(t.series_period[i]);
            sums.push_back(t.series_net[i]);
          }
        }
      }
      for (std::size_t i = 0; i < periods.size(); ++i) {
        p.series_period.push_back(periods[i]);
        p.series_net.push_back(detail::fixed_to_double(sums[i]));
      }
      p.series_offsets.push_back(static_cast<std::int64_t>(p.series_net.size()));
    }
    for (std::size_t k : which) ++pos[k];
  }
}

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

profile window_profile(const std::vector<const period_table*>& given, unsigned threads) {
  if (given.empty()) throw invalid_input(std::string(fn) + ": no period tables");
  std::vector<const period_table::impl*> parts;
  for (const period_table* p : given) parts.push_back(&p->data());
  std::sort(parts.begin(), parts.end(), [](auto* a, auto* b) { return a->start < b->start; });
  const period_table::impl& a = *parts.front();
  bool is_string = a.customer.is_string;
  bool kind_known = a.customer.size() > 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const period_table::impl& t = *parts[k];
    if (k > 0 && parts[k - 1]->end > t.start) {
      throw invalid_input(std::string(fn) + ": the periods [" + format_day(parts[k - 1]->start) + ", " +
                          format_day(parts[k - 1]->end) + ") and [" + format_day(t.start) + ", " +
                          format_day(t.end) + ") overlap");
    }
    if (t.has_orders != a.has_orders || t.has_quantity != a.has_quantity || t.has_channels != a.has_channels ||
        t.has_categories != a.has_categories || t.purchase_days != a.purchase_days ||
        t.spend_series != a.spend_series || t.period != a.period || t.time_zone != a.time_zone) {
      // A period without any row has no columns fixed; only periods with rows must agree.
      if (t.customer.size() > 0 && a.customer.size() > 0) {
        throw invalid_input(std::string(fn) + ": period tables of different settings or columns");
      }
    }
    if (t.customer.size() > 0) {
      if (kind_known && t.customer.is_string != is_string) {
        throw invalid_input(std::string(fn) + ": customer keys are text in one period and integers in another");
      }
      is_string = t.customer.is_string;
      kind_known = true;
    }
  }
  const period_table::impl* like = parts.front();
  for (auto* t : parts) {
    if (t->customer.size() > 0) {
      like = t;
      break;
    }
  }
  // An empty profile with the span's settings; the ranges' columns are appended to it.
  auto blank = [&]() {
    profile p;
    p.as_of = parts.front()->end;
    for (auto* t : parts) p.as_of = std::max(p.as_of, t->end);
    p.window_start = parts.front()->start;
    p.time_zone = like->time_zone;
    p.period = like->period;
    p.has_orders = like->has_orders;
    p.has_quantity = like->has_quantity;
    p.has_channels = like->has_channels;
    p.has_categories = like->has_categories;
    p.has_purchase_days = like->purchase_days;
    p.customer.is_string = is_string;
    if (is_string) p.customer.offsets.push_back(0);
    if (like->spend_series) p.series_offsets.push_back(0);
    return p;
  };
  // Key ranges for the threads: split at keys of the largest part (each range is combined
  // on its own, in key order, and the ranges are concatenated).
  const period_table::impl* big = parts.front();
  std::size_t total = 0;
  for (auto* t : parts) {
    total += t->customer.size();
    if (t->customer.size() > big->customer.size()) big = t;
  }
  // Threads: as many as asked for (0: by the work, as elsewhere), a range holding at least
  // a few customers each.
  const unsigned n = threads ? static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, total / 16 + 1)))
                             : std::max(1u, detail::threads_for_rows(total / 4, 0));
  std::vector<std::vector<std::size_t>> bounds(parts.size(), std::vector<std::size_t>(n + 1, 0));
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const customer_keys& keys = parts[k]->customer;
    bounds[k][n] = keys.size();
    for (unsigned r = 1; r < n; ++r) {
      const std::size_t at = big->customer.size() * r / n;
      // First row of part k at or after the split key.
      std::size_t lo = 0, hi = keys.size();
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (compare_key(keys, mid, big->customer, at) < 0) lo = mid + 1; else hi = mid;
      }
      bounds[k][r] = lo;
    }
  }
  std::vector<profile> pieces(n);
  detail::parallel_blocks(n, n, [&](std::size_t r, unsigned) {
    pieces[r] = blank();
    std::vector<std::size_t> lo(parts.size()), hi(parts.size());
    for (std::size_t k = 0; k < parts.size(); ++k) {
      lo[k] = bounds[k][r];
      hi[k] = bounds[k][r + 1];
    }
    combine_range(parts, lo, hi, pieces[r]);
  });
  profile p = std::move(pieces[0]);
  for (auto* t : parts) p.report.merge(t->report);
  for (unsigned r = 1; r < n; ++r) {
    profile& q = pieces[r];
    if (is_string) {
      const auto base = static_cast<std::int64_t>(p.customer.chars.size());
      p.customer.chars += q.customer.chars;
      for (std::size_t i = 1; i < q.customer.offsets.size(); ++i) p.customer.offsets.push_back(base + q.customer.offsets[i]);
    } else {
      append(p.customer.ints, q.customer.ints);
    }
    append(p.first_purchase, q.first_purchase);
    append(p.last_purchase, q.last_purchase);
    append(p.recency, q.recency);
    append(p.tenure, q.tenure);
    append(p.previous_purchase, q.previous_purchase);
    append(p.median_gap, q.median_gap);
    append(p.frequency, q.frequency);
    append(p.purchase_days, q.purchase_days);
    append(p.transactions, q.transactions);
    append(p.returns, q.returns);
    append(p.channels, q.channels);
    append(p.categories, q.categories);
    append(p.monetary, q.monetary);
    append(p.gross_sales, q.gross_sales);
    append(p.returns_value, q.returns_value);
    append(p.average_order_value, q.average_order_value);
    append(p.quantity, q.quantity);
    if (!p.series_offsets.empty()) {
      const std::int64_t base = p.series_offsets.back();
      for (std::size_t i = 1; i < q.series_offsets.size(); ++i) p.series_offsets.push_back(base + q.series_offsets[i]);
      append(p.series_period, q.series_period);
      append(p.series_net, q.series_net);
    }
  }
  return p;
}

// --- persistence -----------------------------------------------------------------------------

namespace detail {

namespace {
constexpr std::uint32_t table_layout = 1;

void put_fixed(byte_writer& w, const std::vector<fixed128>& v) {
  std::vector<std::uint64_t> lo(v.size());
  std::vector<std::int64_t> hi(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    lo[i] = static_cast<std::uint64_t>(v[i]);
    hi[i] = static_cast<std::int64_t>(v[i] >> 64);
  }
  w.put_column(lo);
  w.put_column(hi);
}

std::vector<fixed128> get_fixed(byte_reader& r) {
  const auto lo = r.get_column<std::uint64_t>();
  const auto hi = r.get_column<std::int64_t>();
  if (lo.size() != hi.size()) r.fail("fixed-point columns of different lengths");
  std::vector<fixed128> v(lo.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<fixed128>((static_cast<detail::uint128>(static_cast<std::uint64_t>(hi[i])) << 64) | lo[i]);
  }
  return v;
}

void check_offsets(byte_reader& r, const std::vector<std::int64_t>& off, std::size_t n, std::size_t values,
                   bool present) {
  if (!present) {
    if (!off.empty() || values != 0) r.fail("values of an absent column");
    return;
  }
  if (off.size() != n + 1 || off.front() != 0 || static_cast<std::size_t>(off.back()) != values ||
      !std::is_sorted(off.begin(), off.end())) {
    r.fail("value offsets");
  }
}
}  // namespace

std::string period_table_payload(const period_table& table) {
  const period_table::impl& t = table.data();
  byte_writer w;
  w.put<std::uint32_t>(table_layout);
  w.put<std::uint8_t>(host_is_little_endian() ? 1 : 0);
  w.put<std::int32_t>(t.start);
  w.put<std::int32_t>(t.end);
  w.put<std::uint8_t>(t.customer.is_string);
  w.put_column(t.customer.ints);
  w.put_column(t.customer.offsets);
  w.put_text(t.customer.chars);
  put_fixed(w, t.gross);
  put_fixed(w, t.returned);
  put_fixed(w, t.quantity);
  w.put_column(t.purchase_lines);
  w.put_column(t.return_lines);
  w.put_column(t.first);
  w.put_column(t.last);
  w.put_column(t.previous);
  for (const auto* v : {&t.order_off, &t.orders, &t.return_off, &t.return_orders, &t.channel_off, &t.channels,
                        &t.category_off, &t.categories, &t.day_off, &t.series_off}) {
    w.put_column(*v);
  }
  w.put_column(t.days);
  w.put_column(t.series_period);
  put_fixed(w, t.series_net);
  const std::uint8_t flags = static_cast<std::uint8_t>(t.has_orders | (t.has_quantity << 1) | (t.has_channels << 2) |
                                                       (t.has_categories << 3) | (t.purchase_days << 4) |
                                                       (t.spend_series << 5));
  w.put<std::uint8_t>(flags);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(t.period));
  w.put_text(t.time_zone);
  detail::put_report(w, t.report);
  return std::move(w.bytes());
}

// Values a real table can hold, so that a damaged or crafted table cannot make combining
// overflow or misorder: the period within the supported dates; keys ascending; per customer
// at most 2^36 lines (as a loaded profile state), sums no larger than that many lines of the
// largest amount, purchase days inside the period (first <= previous < last when present,
// none without purchase lines) and each customer's listed days ascending inside it, spend
// buckets on supported days adding up to no more than the customer's bound; row counts not
// negative.
void check_values(byte_reader& r, const period_table::impl& t) {
  if (!is_supported_day(t.start) || !is_supported_day(t.end)) r.fail("the period's days");
  const customer_keys& k = t.customer;
  const std::size_t n = k.size();
  for (std::size_t i = 1; i < n; ++i) {
    if (k.is_string ? !(k.string_at(i - 1) < k.string_at(i)) : !(k.ints[i - 1] < k.ints[i])) {
      r.fail("customer keys not in ascending order");
    }
  }
  const fixed128 largest = static_cast<fixed128>(std::int64_t{1} << 60) * detail::fixed_scale;
  auto within = [](fixed128 v, fixed128 bound) { return v <= bound && v >= -bound; };
  auto inside = [&](std::int32_t d) { return d >= t.start && d < t.end; };
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t buys = t.purchase_lines[i], returns = t.return_lines[i];
    if (buys < 0 || returns < 0 || buys + returns > (std::int64_t{1} << 36)) r.fail("a customer's line counts");
    if (!within(t.gross[i], largest * buys) || !within(t.returned[i], largest * returns) ||
        (!t.quantity.empty() && !within(t.quantity[i], largest * (buys + returns)))) {
      r.fail("a customer's sums");
    }
    const std::int32_t first = t.first[i], last = t.last[i], previous = t.previous[i];
    const bool days_ok = buys == 0 ? first == no_day && last == no_day && previous == no_day
                                   : inside(first) && inside(last) && first <= last &&
                                         (previous == no_day || (previous >= first && previous < last));
    if (!days_ok) r.fail("a customer's days");
    if (t.purchase_days) {
      for (auto j = t.day_off[i]; j < t.day_off[i + 1]; ++j) {
        const std::int32_t d = t.days[static_cast<std::size_t>(j)];
        if (!inside(d) || (j > t.day_off[i] && d <= t.days[static_cast<std::size_t>(j - 1)])) {
          r.fail("a customer's purchase days");
        }
      }
    }
    if (t.spend_series) {
      fixed128 room = largest * (buys + returns);
      for (auto j = t.series_off[i]; j < t.series_off[i + 1]; ++j) {
        const fixed128 v = t.series_net[static_cast<std::size_t>(j)];
        if (!is_supported_day(t.series_period[static_cast<std::size_t>(j)]) || !within(v, room)) {
          r.fail("a customer's spend buckets");
        }
        room -= v < 0 ? -v : v;
      }
    }
  }
  const validation_report& rep = t.report;
  if (rep.rows_read < 0 || rep.rows_used < 0 || rep.rows_dropped < 0 || rep.rows_outside_window < 0) {
    r.fail("the row counts");
  }
}

period_table period_table_from_payload(std::string_view bytes) {
  byte_reader r(bytes, "tierkit.period_table.from_bytes");
  if (r.get<std::uint32_t>() != table_layout) r.fail("a table layout this tierkit does not know");
  if (r.get<std::uint8_t>() != (host_is_little_endian() ? 1 : 0)) r.fail("written with another byte order");
  auto t = std::make_shared<period_table::impl>();
  t->start = r.get<std::int32_t>();
  t->end = r.get<std::int32_t>();
  if (t->start >= t->end) r.fail("an empty period");
  t->customer.is_string = r.get<std::uint8_t>() != 0;
  t->customer.ints = r.get_column<std::int64_t>();
  t->customer.offsets = r.get_column<std::int64_t>();
  t->customer.chars = r.get_text();
  const customer_keys& k = t->customer;
  const std::size_t n = k.is_string ? (k.offsets.empty() ? 0 : k.offsets.size() - 1) : k.ints.size();
  if (k.is_string ? (!k.ints.empty() || k.offsets.empty() || k.offsets.front() != 0 ||
                     static_cast<std::size_t>(k.offsets.back()) != k.chars.size() ||
                     !std::is_sorted(k.offsets.begin(), k.offsets.end()))
                  : (!k.offsets.empty() || !k.chars.empty())) {
    r.fail("customer keys");
  }
  t->gross = get_fixed(r);
  t->returned = get_fixed(r);
  t->quantity = get_fixed(r);
  t->purchase_lines = r.get_column<std::int64_t>();
  t->return_lines = r.get_column<std::int64_t>();
  t->first = r.get_column<std::int32_t>();
  t->last = r.get_column<std::int32_t>();
  t->previous = r.get_column<std::int32_t>();
  for (auto* v : {&t->order_off, &t->orders, &t->return_off, &t->return_orders, &t->channel_off, &t->channels,
                  &t->category_off, &t->categories, &t->day_off, &t->series_off}) {
    *v = r.get_column<std::int64_t>();
  }
  t->days = r.get_column<std::int32_t>();
  t->series_period = r.get_column<std::int32_t>();
  t->series_net = get_fixed(r);
  const auto flags = r.get<std::uint8_t>();
  t->has_orders = flags & 1;
  t->has_quantity = flags & 2;
  t->has_channels = flags & 4;
  t->has_categories = flags & 8;
  t->purchase_days = flags & 16;
  t->spend_series = flags & 32;
  const auto period = r.get<std::uint8_t>();
  if (period > static_cast<std::uint8_t>(period_kind::year)) r.fail("the period");
  t->period = static_cast<period_kind>(period);
  t->time_zone = r.get_text();
  t->report = detail::get_report(r);
  if (!r.done()) r.fail("bytes after the table");
  for (std::size_t len : {t->gross.size(), t->returned.size(), t->purchase_lines.size(), t->return_lines.size(),
                          t->first.size(), t->last.size(), t->previous.size()}) {
    if (len != n) r.fail("columns of different lengths");
  }
  if (!t->quantity.empty() && t->quantity.size() != n) r.fail("columns of different lengths");
  check_offsets(r, t->order_off, n, t->orders.size(), t->has_orders);
  check_offsets(r, t->return_off, n, t->return_orders.size(), t->has_orders);
  check_offsets(r, t->channel_off, n, t->channels.size(), t->has_channels);
  check_offsets(r, t->category_off, n, t->categories.size(), t->has_categories);
  check_offsets(r, t->day_off, n, t->days.size(), t->purchase_days);
  check_offsets(r, t->series_off, n, t->series_period.size(), t->spend_series);
  if (t->series_net.size() != t->series_period.size()) r.fail("spend columns of different lengths");
  check_values(r, *t);
  return period_table(std::move(t));
}

}  // namespace detail

}  // namespace tierkit
