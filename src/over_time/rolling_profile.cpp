#include "tierkit/over_time/rolling_profile.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <iterator>
#include <limits>
#include <string_view>

#include "detail/key_dictionary.hpp"
#include "detail/prefetch.hpp"
#include "detail/row_blocks.hpp"
#include "over_time/period_table_impl.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr const char* fn = "tierkit.rolling_profile";
using detail::fixed128;
using detail::key_dictionary;

// How many held periods hold each (customer, value) pair: open addressing, linear probing.
// A pair whose count falls to 0 keeps its slot (it often comes back with a later period);
// growing rebuilds the table without them.
class pair_counts {
 public:
  // Makes room for `more` new pairs (so that slots stay put while a batch is prefetched).
  void reserve_more(std::size_t more) {
    while ((used_ + more) * 10 > slots_.size() * 7) grow(used_ + more);
  }
  // Starts loading the slot of a pair (lookups of a batch then overlap their misses).
  void prefetch(std::uint32_t gid, std::int64_t value) const noexcept {
    if (!slots_.empty()) detail::prefetch(&slots_[hash(gid, value) & mask_]);
  }
  // Adds delta to the pair's count; returns the new count.
  std::uint32_t add(std::uint32_t gid, std::int64_t value, int delta) {
    if (delta > 0 && (used_ + 1) * 10 > slots_.size() * 7) grow(used_ + 1);
    std::size_t i = hash(gid, value) & mask_;
    while (true) {
      slot& s = slots_[i];
      if (s.gid == empty) {
        if (delta < 0) return 0;  // not held (cannot happen for pairs once added)
        s.gid = gid;
        s.value = value;
        s.count = static_cast<std::uint32_t>(delta);
        ++used_;
        return s.count;
      }
      if (s.gid == gid && s.value == value) {
        s.count = static_cast<std::uint32_t>(static_cast<std::int64_t>(s.count) + delta);
        return s.count;
      }
      i = (i + 1) & mask_;
    }
  }

 private:
#pragma pack(push, 4)
  struct slot {
    std::uint32_t gid = empty;
    std::uint32_t count = 0;
    std::int64_t value = 0;
  };
#pragma pack(pop)
  static constexpr std::uint32_t empty = ~std::uint32_t{0};
  static std::size_t hash(std::uint32_t gid, std::int64_t value) noexcept {
    std::uint64_t x = static_cast<std::uint64_t>(value) ^ (static_cast<std::uint64_t>(gid) * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 32;
    return static_cast<std::size_t>(x);
  }
  void grow(std::size_t want) {
    std::vector<slot> old;
    old.swap(slots_);
    std::size_t live = 0;
    for (const slot& s : old) live += s.gid != empty && s.count > 0;
    std::size_t cap = 1024;
    while (cap * 7 < (std::max(live + 1, want)) * 10 * 2) cap *= 2;  // at most 35% full after growing
    slots_.assign(cap, slot{});
    mask_ = cap - 1;
    used_ = 0;
    for (const slot& s : old) {
      if (s.gid == empty || s.count == 0) continue;
      std::size_t i = hash(s.gid, s.value) & mask_;
      while (slots_[i].gid != empty) i = (i + 1) & mask_;
      slots_[i] = s;
      ++used_;
    }
  }
  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

struct held_period {
  period_table table;
  std::vector<std::uint32_t> gid;  // per row of the table
};

}  // namespace

struct rolling_profile::impl {
  bool settled = false;  // settings fixed by the first period with rows
  const period_table::impl* like = nullptr;
  period_table like_table;
  std::int32_t last_end = std::numeric_limits<std::int32_t>::min();
  // Customers: keys by id (order of first appearance) and ids in key order.
  key_dictionary dict;
  customer_keys keys;
  std::vector<std::uint32_t> key_order;
  // Per customer id.
  std::vector<fixed128> gross, returned, quantity;
  std::vector<std::int64_t> plines, rlines;
  std::vector<std::int32_t> first, last;
  std::vector<std::int64_t> orders, returns, channels, categories;  // distinct, over held periods
  pair_counts order_pairs, return_pairs, channel_pairs, category_pairs;
  std::deque<held_period> held;
  validation_report report;

  std::size_t n() const noexcept { return gross.size(); }

  void grow_to(std::size_t size) {
    gross.resize(size, 0);
    returned.resize(size, 0);
    quantity.resize(size, 0);
    plines.resize(size, 0);
    rlines.resize(size, 0);
    first.resize(size, no_day);
    last.resize(size, no_day);
    orders.resize(size, 0);
    returns.resize(size, 0);
    channels.resize(size, 0);
    categories.resize(size, 0);
  }

  // Adds (sign +1) or removes (-1) a period's values. The sums and each kind of distinct
  // value (orders, return orders, channels, categories) touch arrays of their own, so they
  // are independent tasks, spread over `threads` threads (0: all cores).
  void apply(const held_period& h, int sign, unsigned threads) {
    const period_table::impl& t = h.table.data();
    const std::size_t rows = t.customer.size();
    auto sums = [&] {
      for (std::size_t r = 0; r < rows; ++r) {
        const std::uint32_t g = h.gid[r];
        if (sign > 0) {
          gross[g] += t.gross[r];
          returned[g] += t.returned[r];
          if (t.has_quantity) quantity[g] += t.quantity[r];
          plines[g] += t.purchase_lines[r];
          rlines[g] += t.return_lines[r];
        } else {
          gross[g] -= t.gross[r];
          returned[g] -= t.returned[r];
          if (t.has_quantity) quantity[g] -= t.quantity[r];
          plines[g] -= t.purchase_lines[r];
          rlines[g] -= t.return_lines[r];
        }
      }
    };
    auto count = [&](const std::vector<std::int64_t>& off, const std::vector<std::int64_t>& values,
                     pair_counts& pairs, std::vector<std::int64_t>& distinct) {
      if (off.empty()) return;
      const auto total = static_cast<std::size_t>(off[rows]);
      if (sign > 0) pairs.reserve_more(total);
      // Pairs in value order of the table (customer by customer); each slot is prefetched
      // `ahead` pairs before its count changes.
      constexpr std::size_t ahead = 16;
      std::size_t r = 0;
      std::size_t pr = 0;  // customer row of the pair being prefetched
      for (std::size_t k = 0; k < total; ++k) {
        const std::size_t f = k + ahead;
        if (f < total) {
          while (static_cast<std::size_t>(off[pr + 1]) <= f) ++pr;
          pairs.prefetch(h.gid[pr], values[f]);
        }
        while (static_cast<std::size_t>(off[r + 1]) <= k) ++r;
        const std::uint32_t g = h.gid[r];
        const std::uint32_t c = pairs.add(g, values[k], sign);
        if (sign > 0 && c == 1) ++distinct[g];
        if (sign < 0 && c == 0) --distinct[g];
      }
    };
    // The largest tasks first (handed out in this order).
    const std::function<void()> tasks[] = {
        [&] { count(t.order_off, t.orders, order_pairs, orders); },
        sums,
        [&] { count(t.return_off, t.return_orders, return_pairs, returns); },
        [&] { count(t.channel_off, t.channels, channel_pairs, channels); },
        [&] { count(t.category_off, t.categories, category_pairs, categories); },
    };
    const std::size_t work = rows + (t.order_off.empty() ? 0 : static_cast<std::size_t>(t.order_off[rows]));
    detail::parallel_blocks(std::size(tasks), detail::threads_for_rows(work, threads),
                            [&](std::size_t k, unsigned) { tasks[k](); });
  }

  int compare(std::uint32_t a, std::uint32_t b) const {
    if (keys.is_string) {
      const int c = keys.string_at(a).compare(keys.string_at(b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    return keys.ints[a] < keys.ints[b] ? -1 : (keys.ints[a] > keys.ints[b] ? 1 : 0);
  }
};

rolling_profile::rolling_profile() : impl_(std::make_unique<impl>()) {}
rolling_profile::~rolling_profile() = default;
rolling_profile::rolling_profile(rolling_profile&&) noexcept = default;
rolling_profile& rolling_profile::operator=(rolling_profile&&) noexcept = default;

std::size_t rolling_profile::customers() const noexcept { return impl_->n(); }
std::size_t rolling_profile::periods_held() const noexcept { return impl_->held.size(); }

void rolling_profile::push(const period_table& table, unsigned threads) {
  impl& s = *impl_;
  const period_table::impl& t = table.data();
  if (t.start < s.last_end) {
    throw invalid_input(std::string(fn) + ": the period [" + format_day(t.start) + ", " + format_day(t.end) +
                        ") begins before the last one pushed ends (" + format_day(s.last_end) +
                        "); push periods in time order");
  }
  if (t.customer.size() > 0) {
    if (s.settled) {
      const period_table::impl& a = *s.like;
      if (t.has_orders != a.has_orders || t.has_quantity != a.has_quantity || t.has_channels != a.has_channels ||
          t.has_categories != a.has_categories || t.purchase_days != a.purchase_days ||
          t.spend_series != a.spend_series || t.period != a.period || t.time_zone != a.time_zone) {
        throw invalid_input(std::string(fn) + ": a period table of other settings or columns than the others");
      }
      if (t.customer.is_string != s.keys.is_string) {
        throw invalid_input(std::string(fn) + ": customer keys are text in one period and integers in another");
      }
    } else {
      if (s.keys.size() > 0 && t.customer.is_string != s.keys.is_string) {
        throw invalid_input(std::string(fn) + ": customer keys are text in one period and integers in another");
      }
      s.settled = true;
      s.like_table = table;
      s.like = &s.like_table.data();
      if (s.keys.size() == 0) {  // no customer remembered either
        s.keys.is_string = t.customer.is_string;
        s.keys.offsets.clear();
        if (s.keys.is_string) s.keys.offsets.assign(1, 0);
      }
      s.dict.require_kind(t.customer.is_string ? key_dictionary::kind::string : key_dictionary::kind::integer,
                          "customer");
    }
  }
  s.last_end = t.end;
  held_period h{table, std::vector<std::uint32_t>(t.customer.size())};
  const std::size_t before = s.n();
  for (std::size_t r = 0; r < t.customer.size(); ++r) {
    const std::uint32_t g = t.customer.is_string ? s.dict.insert(t.customer.string_at(r)) : s.dict.insert(t.customer.ints[r]);
    if (g == s.keys.size()) {
      if (s.keys.is_string) {
        s.keys.chars.append(t.customer.string_at(r));
        s.keys.offsets.push_back(static_cast<std::int64_t>(s.keys.chars.size()));
      } else {
        s.keys.ints.push_back(t.customer.ints[r]);
      }
    }
    h.gid[r] = g;
  }
  const std::size_t now = s.keys.size();
  s.grow_to(now);
  if (now > before) {
    // New customers came in key order (a table's rows ascend by key): merge them into the
    // ids in key order.
    std::vector<std::uint32_t> fresh(now - before);
    for (std::size_t i = 0; i < fresh.size(); ++i) fresh[i] = static_cast<std::uint32_t>(before + i);
    std::vector<std::uint32_t> merged;
    merged.reserve(now);
    std::merge(s.key_order.begin(), s.key_order.end(), fresh.begin(), fresh.end(), std::back_inserter(merged),
               [&](std::uint32_t a, std::uint32_t b) { return s.compare(a, b) < 0; });
    s.key_order.swap(merged);
  }
  for (std::size_t r = 0; r < t.customer.size(); ++r) {  // all history: first and last purchase
    const std::uint32_t g = h.gid[r];
    if (t.first[r] != no_day) {
      if (s.first[g] == no_day) s.first[g] = t.first[r];
      s.last[g] = t.last[r];
    }
  }
  s.apply(h, +1, threads);
  s.report.merge(t.report);
  s.held.push_back(std::move(h));
}

void rolling_profile::remember(const customer_history& h) {
  impl& s = *impl_;
  if (h.size() == 0) return;
  if (s.keys.size() > 0 && h.customer.is_string != s.keys.is_string) {
    throw invalid_input(std::string(fn) + ": customer keys are text in the history and integers here, or the "
                        "reverse");
  }
  if (s.keys.size() == 0 && !s.settled) {
    s.keys.is_string = h.customer.is_string;
    if (s.keys.is_string && s.keys.offsets.empty()) s.keys.offsets.assign(1, 0);
    s.dict.require_kind(h.customer.is_string ? key_dictionary::kind::string : key_dictionary::kind::integer,
                        "customer");
  }
  const std::size_t before = s.n();
  std::vector<std::uint32_t> gid(h.size());
  for (std::size_t r = 0; r < h.size(); ++r) {
    const std::uint32_t g = h.customer.is_string ? s.dict.insert(h.customer.string_at(r)) : s.dict.insert(h.customer.ints[r]);
    if (g == s.keys.size()) {
      if (s.keys.is_string) {
        s.keys.chars.append(h.customer.string_at(r));
        s.keys.offsets.push_back(static_cast<std::int64_t>(s.keys.chars.size()));
      } else {
        s.keys.ints.push_back(h.customer.ints[r]);
      }
    }
    gid[r] = g;
  }
  s.grow_to(s.keys.size());
  std::vector<std::uint32_t> fresh;
  for (std::size_t i = before; i < s.keys.size(); ++i) fresh.push_back(static_cast<std::uint32_t>(i));
  std::vector<std::uint32_t> merged;
  std::merge(s.key_order.begin(), s.key_order.end(), fresh.begin(), fresh.end(), std::back_inserter(merged),
             [&](std::uint32_t a, std::uint32_t b) { return s.compare(a, b) < 0; });
  s.key_order.swap(merged);
  for (std::size_t r = 0; r < h.size(); ++r) {
    const std::uint32_t g = gid[r];
    const std::int32_t f = h.first_purchase[r], l = h.last_purchase[r];
    if (f != no_day && (s.first[g] == no_day || f < s.first[g])) s.first[g] = f;
    if (l != no_day && (s.last[g] == no_day || l > s.last[g])) s.last[g] = l;
  }
}

void rolling_profile::drop_before(std::int32_t day, unsigned threads) {
  impl& s = *impl_;
  while (!s.held.empty() && s.held.front().table.data().end <= day) {
    s.apply(s.held.front(), -1, threads);
    s.held.pop_front();
  }
}

profile rolling_profile::current(std::int32_t as_of, std::optional<std::int32_t> window_start, unsigned threads) const {
  const impl& s = *impl_;
  if (as_of < s.last_end) {
    throw invalid_input(std::string(fn) + ": as_of " + format_day(as_of) + " is before the end of the last "
                        "period pushed (" + format_day(s.last_end) + ")");
  }
  profile p;
  p.as_of = as_of;
  p.window_start = window_start;
  p.report = s.report;
  if (s.like) {
    p.time_zone = s.like->time_zone;
    p.period = s.like->period;
    p.has_orders = s.like->has_orders;
    p.has_quantity = s.like->has_quantity;
    p.has_channels = s.like->has_channels;
    p.has_categories = s.like->has_categories;
    p.has_purchase_days = s.like->purchase_days;
  }
  const std::size_t n = s.key_order.size();
  p.customer.is_string = s.keys.is_string;
  if (s.keys.is_string) {
    p.customer.offsets.reserve(n + 1);
    p.customer.offsets.push_back(0);
    for (std::uint32_t g : s.key_order) {
      p.customer.chars.append(s.keys.string_at(g));
      p.customer.offsets.push_back(static_cast<std::int64_t>(p.customer.chars.size()));
    }
  } else {
    p.customer.ints.resize(n);
  }
  for (auto* v : {&p.first_purchase, &p.last_purchase, &p.recency, &p.tenure}) v->resize(n);
  for (auto* v : {&p.frequency, &p.transactions, &p.returns}) v->resize(n);
  for (auto* v : {&p.monetary, &p.gross_sales, &p.returns_value, &p.average_order_value}) v->resize(n);
  if (p.has_quantity) p.quantity.resize(n);
  if (p.has_channels) p.channels.resize(n);
  if (p.has_categories) p.categories.resize(n);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  detail::for_row_blocks(n, detail::threads_for_rows(n * 4, threads), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const std::uint32_t g = s.key_order[r];
      if (!s.keys.is_string) p.customer.ints[r] = s.keys.ints[g];
      p.first_purchase[r] = s.first[g];
      p.last_purchase[r] = s.last[g];
      p.recency[r] = s.last[g] == no_day ? no_day : as_of - s.last[g];
      p.tenure[r] = s.first[g] == no_day ? no_day : as_of - s.first[g];
      p.transactions[r] = s.plines[g] + s.rlines[g];
      const double monetary = detail::fixed_to_double(s.gross[g] - s.returned[g]);
      p.monetary[r] = monetary;
      p.gross_sales[r] = detail::fixed_to_double(s.gross[g]);
      p.returns_value[r] = detail::fixed_to_double(s.returned[g]);
      if (p.has_quantity) p.quantity[r] = detail::fixed_to_double(s.quantity[g]);
      const std::int64_t f = p.has_orders ? s.orders[g] : s.plines[g];
      p.frequency[r] = f;
      p.returns[r] = p.has_orders ? s.returns[g] : s.rlines[g];
      p.average_order_value[r] = f > 0 ? monetary / static_cast<double>(f) : nan;
      if (p.has_channels) p.channels[r] = s.channels[g];
      if (p.has_categories) p.categories[r] = s.categories[g];
    }
  });
  // Columns of the days themselves and the spend series: from the held periods' profile,
  // whose customers are a subset of these, in the same key order.
  const bool series = s.like && s.like->spend_series;
  if (p.has_purchase_days || series) {
    p.purchase_days.assign(p.has_purchase_days ? n : 0, 0);
    p.previous_purchase.assign(p.has_purchase_days ? n : 0, no_day);
    p.median_gap.assign(p.has_purchase_days ? n : 0, nan);
    if (series) p.series_offsets.assign(1, 0);
    profile w;
    if (!s.held.empty()) {
      std::vector<const period_table*> parts;
      for (const held_period& h : s.held) parts.push_back(&h.table);
      w = window_profile(parts, threads);
    }
    std::size_t j = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const bool here = j < w.size() && (s.keys.is_string ? w.customer.string_at(j) == p.customer.string_at(r)
                                                         : w.customer.ints[j] == p.customer.ints[r]);
      if (here) {
        if (p.has_purchase_days) {
          p.purchase_days[r] = w.purchase_days[j];
          p.previous_purchase[r] = w.previous_purchase[j];
          p.median_gap[r] = w.median_gap[j];
        }
        if (series) {
          for (auto k = w.series_offsets[j]; k < w.series_offsets[j + 1]; ++k) {
            p.series_period.push_back(w.series_period[static_cast<std::size_t>(k)]);
            p.series_net.push_back(w.series_net[static_cast<std::size_t>(k)]);
          }
        }
        ++j;
      }
      if (series) p.series_offsets.push_back(static_cast<std::int64_t>(p.series_net.size()));
    }
  }
  return p;
}

}  // namespace tierkit
