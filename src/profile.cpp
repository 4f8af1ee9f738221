#include "tierkit/profile.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include "detail/decode.hpp"
#include "detail/fixed_point.hpp"
#include "detail/flat_map.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/text.hpp"
#include "detail/validate.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

using detail::fixed128;
using detail::flat_map_u64;
using detail::key_dictionary;
using detail::pair_high;
using detail::pair_key;
using detail::pair_low;

namespace {

constexpr const char* fn = "tierkit.profile";
constexpr std::int64_t block_rows = 1024;
// Below this many rows per thread, threads cost more than they give.
constexpr std::int64_t min_rows_per_thread = 1 << 16;

// Per-customer running aggregates (one interleaved record per customer).
struct customer_agg {
  fixed128 gross = 0;
  fixed128 returned = 0;
  fixed128 quantity = 0;
  std::int64_t purchase_lines = 0;
  std::int64_t return_lines = 0;
  std::int32_t first_purchase = std::numeric_limits<std::int32_t>::max();
  std::int32_t last_purchase = std::numeric_limits<std::int32_t>::min();

  void add(const customer_agg& o) noexcept {
    gross += o.gross;
    returned += o.returned;
    quantity += o.quantity;
    purchase_lines += o.purchase_lines;
    return_lines += o.return_lines;
    first_purchase = std::min(first_purchase, o.first_purchase);
    last_purchase = std::max(last_purchase, o.last_purchase);
  }
};

// Net value and purchase flag of one customer on one day.
struct day_entry {
  fixed128 net = 0;
  bool purchase = false;
};

// Day numbers lie within +-10^7, so day + 2^31 is a valid unsigned 32-bit code.
inline std::uint32_t day_code(std::int32_t day) noexcept {
  return static_cast<std::uint32_t>(static_cast<std::int64_t>(day) + 0x80000000LL);
}
inline std::int32_t day_from_code(std::uint32_t code) noexcept {
  return static_cast<std::int32_t>(static_cast<std::int64_t>(code) - 0x80000000LL);
}

// Distinct values of one optional column per customer: a dictionary of the values and the
// set of (customer, value) pairs.
struct distinct_pairs {
  key_dictionary values;
  flat_map_u64<std::uint8_t> pairs;
};

// Which optional columns a batch carries. Every batch of a state must carry the same
// ones: frequency means distinct orders with an order column and lines without.
struct column_shape {
  bool orders, quantity, channels, categories;

  static column_shape of(const transactions& b) {
    return {b.order.has_value(), b.quantity.has_value(), b.channel.has_value(),
            b.category.has_value()};
  }
  void check(const column_shape& got) const {
    auto one = [](bool want, bool has, const char* role) {
      if (want != has) {
        throw schema_error(std::string(fn) + ": a batch " + (has ? "has" : "has no") + " " +
                           role + " column but " + (want ? "others have" : "others have none") +
                           "; every batch of a profile must give the same optional columns");
      }
    };
    one(orders, got.orders, "order");
    one(quantity, got.quantity, "quantity");
    one(channels, got.channels, "channel");
    one(categories, got.categories, "category");
  }
};

key_dictionary::kind kind_of(const column_view& c) {
  const data_type t = c.type == data_type::dictionary && c.dictionary ? c.dictionary->type : c.type;
  return is_string_like(t) ? key_dictionary::kind::string : key_dictionary::kind::integer;
}

// A dictionary that already holds keys of one kind rejects a column of the other kind.
void check_kind(const key_dictionary& d, const column_view& c, const char* role) {
  if (d.key_kind() == key_dictionary::kind::unset) return;
  key_dictionary probe;
  probe.require_kind(d.key_kind(), role);
  probe.require_kind(kind_of(c), role);
}
void check_kind(key_dictionary::kind k, const column_view& c, const char* role) {
  key_dictionary probe;
  probe.require_kind(k, role);
  probe.require_kind(kind_of(c), role);
}
key_dictionary::kind first_kind(const std::vector<transactions>& batches,
                                column_view transactions::*member) {
  return kind_of(batches.front().*member);
}

bool same_zone(const time_zone& a, const time_zone& b) {
  return a.name() == b.name() && a.initial_offset() == b.initial_offset() &&
         a.transitions() == b.transitions() && a.offsets() == b.offsets();
}

}  // namespace

struct profile_state::impl {
  profile_config config;
  key_dictionary customers;
  std::vector<customer_agg> aggs;
  flat_map_u64<day_entry> days;  // (customer, day code) -> day entry
  key_dictionary orders;
  flat_map_u64<std::uint8_t> purchase_orders;  // (customer, order)
  flat_map_u64<std::uint8_t> return_orders;    // (customer, order)
  distinct_pairs channels;
  distinct_pairs categories;
  bool shape_fixed = false;  // which optional columns are present, fixed by the first update
  bool has_orders = false;
  bool has_quantity = false;
  bool has_channels = false;
  bool has_categories = false;
  std::int32_t max_day = std::numeric_limits<std::int32_t>::min();
  validation_report report;

  explicit impl(profile_config c) : config(std::move(c)) {}

  impl fresh_like() const {
    impl s(config);
    s.shape_fixed = shape_fixed;
    s.has_orders = has_orders;
    s.has_quantity = has_quantity;
    s.has_channels = has_channels;
    s.has_categories = has_categories;
    s.customers.require_kind(customers.key_kind(), "customer");
    return s;
  }

  // Fixes which optional columns batches carry (on the first update) and checks every
  // batch against it and against the key kinds seen so far, before anything changes.
  void check_shape(const std::vector<transactions>& batches) const {
    const transactions& first = batches.front();
    column_shape want = shape_fixed ? column_shape{has_orders, has_quantity, has_channels,
                                                   has_categories}
                                    : column_shape::of(first);
    for (const transactions& b : batches) {
      const column_shape got = column_shape::of(b);
      want.check(got);
      check_kind(customers, b.customer, "customer");
      if (b.order) check_kind(orders, *b.order, "order");
      if (b.channel) check_kind(channels.values, *b.channel, "channel");
      if (b.category) check_kind(categories.values, *b.category, "category");
      check_kind(first_kind(batches, &transactions::customer), b.customer, "customer");
    }
  }

  void fix_shape(const transactions& b) {
    if (shape_fixed) return;
    const column_shape c = column_shape::of(b);
    shape_fixed = true;
    has_orders = c.orders;
    has_quantity = c.quantity;
    has_channels = c.channels;
    has_categories = c.categories;
  }

  // Aggregates rows [begin, end) of a validated batch. `invalid` marks rows to leave out
  // (nullptr: none). Returns nothing; counts go to report.rows_used / rows_outside_window.
  void aggregate(const transactions& b, std::int64_t begin, std::int64_t end,
                 const std::uint8_t* invalid) {
    const bool window = config.window_start.has_value();
    const std::int64_t lo = window ? *config.window_start : 0;
    const std::int64_t hi = (window && config.as_of) ? *config.as_of
                                                    : std::numeric_limits<std::int64_t>::max();
    const std::size_t B = static_cast<std::size_t>(block_rows);
    std::vector<std::uint8_t> skip(B);
    std::vector<std::int64_t> day(B);
    std::vector<std::uint32_t> cust(B), ord(B), chan(B), cat(B);
    std::vector<fixed128> amt(B), qty(B);

    detail::key_encoder cust_enc(b.customer, customers, "customer");
    std::optional<detail::key_encoder> ord_enc, chan_enc, cat_enc;
    if (has_orders) ord_enc.emplace(*b.order, orders, "order");
    if (has_channels) chan_enc.emplace(*b.channel, channels.values, "channel");
    if (has_categories) cat_enc.emplace(*b.category, categories.values, "category");

    std::int64_t used = 0, outside = 0;
    for (std::int64_t start = begin; start < end; start += block_rows) {
      const std::int64_t n = std::min(block_rows, end - start);
      detail::decode_days(b.time, start, n, config.zone, day.data());
      for (std::int64_t i = 0; i < n; ++i) {
        std::uint8_t s = invalid ? invalid[start + i] : 0;
        if (!s && window && (day[i] < lo || day[i] >= hi)) {
          s = 1;
          ++outside;
        }
        skip[i] = s;
      }
      cust_enc.encode(start, n, skip.data(), cust.data());
      if (aggs.size() < customers.size()) aggs.resize(customers.size());
      detail::decode_fixed(b.amount, start, n, amt.data());
      if (ord_enc) ord_enc->encode(start, n, skip.data(), ord.data());
      if (chan_enc) chan_enc->encode(start, n, skip.data(), chan.data());
      if (cat_enc) cat_enc->encode(start, n, skip.data(), cat.data());
      if (has_quantity) detail::decode_fixed(*b.quantity, start, n, qty.data());

      for (std::int64_t i = 0; i < n; ++i) {
        if (skip[i]) continue;
        ++used;
        const std::uint32_t c = cust[i];
        const auto d = static_cast<std::int32_t>(day[i]);
        const fixed128 a = amt[i];
        const bool purchase = a >= 0;
        customer_agg& g = aggs[c];
        if (purchase) {
          g.gross += a;
          ++g.purchase_lines;
          g.first_purchase = std::min(g.first_purchase, d);
          g.last_purchase = std::max(g.last_purchase, d);
        } else {
          g.returned -= a;
          ++g.return_lines;
        }
        if (has_quantity) g.quantity += qty[i];
        max_day = std::max(max_day, d);
        day_entry& e = days[pair_key(c, day_code(d))];
        e.net += a;
        e.purchase = e.purchase || purchase;
        if (has_orders) (purchase ? purchase_orders : return_orders)[pair_key(c, ord[i])] = 1;
        if (purchase && has_channels) channels.pairs[pair_key(c, chan[i])] = 1;
        if (purchase && has_categories) categories.pairs[pair_key(c, cat[i])] = 1;
      }
    }
    report.rows_used += used;
    report.rows_outside_window += outside;
  }

  void check_compatible(const impl& o) const {
    auto differ = [](const char* what) {
      throw invalid_input(std::string(fn) + ": cannot merge profile states whose " + what +
                          " differ; build every partial state with the same configuration");
    };
    if (config.as_of != o.config.as_of) differ("as_of dates");
    if (config.window_start != o.config.window_start) differ("window starts");
    if (!same_zone(config.zone, o.config.zone)) differ("time zones");
    if (config.period != o.config.period || config.spend_series != o.config.spend_series) {
      differ("spend series settings");
    }
    if (shape_fixed && o.shape_fixed &&
        (has_orders != o.has_orders || has_quantity != o.has_quantity ||
         has_channels != o.has_channels || has_categories != o.has_categories)) {
      differ("optional columns (order, quantity, channel, category)");
    }
  }

  static void merge_pairs(flat_map_u64<std::uint8_t>& dst, const flat_map_u64<std::uint8_t>& src,
                          const std::vector<std::uint32_t>& cmap,
                          const std::vector<std::uint32_t>& vmap) {
    dst.reserve(dst.size() + src.size());
    src.for_each([&](std::uint64_t k, std::uint8_t) {
      dst[pair_key(cmap[pair_high(k)], vmap[pair_low(k)])] = 1;
    });
  }

  void merge(const impl& o) {
    check_compatible(o);
    if (!shape_fixed && o.shape_fixed) {
      shape_fixed = true;
      has_orders = o.has_orders;
      has_quantity = o.has_quantity;
      has_channels = o.has_channels;
      has_categories = o.has_categories;
    }
    const std::vector<std::uint32_t> cmap = customers.absorb(o.customers);
    aggs.resize(customers.size());
    for (std::size_t j = 0; j < cmap.size(); ++j) aggs[cmap[j]].add(o.aggs[j]);
    days.reserve(days.size() + o.days.size());
    o.days.for_each([&](std::uint64_t k, const day_entry& e) {
      day_entry& d = days[pair_key(cmap[pair_high(k)], pair_low(k))];
      d.net += e.net;
      d.purchase = d.purchase || e.purchase;
    });
    if (o.orders.size() > 0) {
      const std::vector<std::uint32_t> omap = orders.absorb(o.orders);
      merge_pairs(purchase_orders, o.purchase_orders, cmap, omap);
      merge_pairs(return_orders, o.return_orders, cmap, omap);
    }
    for (auto [dst, src] : {std::pair<distinct_pairs*, const distinct_pairs*>{&channels, &o.channels},
                            {&categories, &o.categories}}) {
      if (src->values.size() == 0) continue;
      merge_pairs(dst->pairs, src->pairs, cmap, dst->values.absorb(src->values));
    }
    max_day = std::max(max_day, o.max_day);
    report.merge(o.report);
  }
};

profile_state::profile_state(profile_config config)
    : impl_(std::make_unique<impl>(std::move(config))) {
  if (impl_->config.as_of && impl_->config.window_start &&
      *impl_->config.window_start >= *impl_->config.as_of) {
    throw invalid_input(std::string(fn) + ": window_start " +
                        format_day(*impl_->config.window_start) + " must be before as_of " +
                        format_day(*impl_->config.as_of));
  }
  for (auto d : {impl_->config.as_of, impl_->config.window_start}) {
    if (d && (*d > detail::max_abs_day || *d < -detail::max_abs_day)) {
      throw invalid_input(std::string(fn) + ": as_of and window_start must lie within "
                          "10,000,000 days of 1970-01-01");
    }
  }
}
profile_state::~profile_state() = default;
profile_state::profile_state(profile_state&&) noexcept = default;
profile_state& profile_state::operator=(profile_state&&) noexcept = default;
profile_state::profile_state(const profile_state& o) : impl_(std::make_unique<impl>(*o.impl_)) {}
profile_state& profile_state::operator=(const profile_state& o) {
  if (this != &o) impl_ = std::make_unique<impl>(*o.impl_);
  return *this;
}

const profile_config& profile_state::config() const noexcept { return impl_->config; }
std::int64_t profile_state::rows_read() const noexcept { return impl_->report.rows_read; }
std::size_t profile_state::customers() const noexcept { return impl_->customers.size(); }

void profile_state::update(const transactions& batch) {
  update(std::vector<transactions>{batch});
}

void profile_state::update(const std::vector<transactions>& batches) {
  impl& s = *impl_;
  if (batches.empty()) return;
  // 1. Shape: every batch, before anything changes.
  for (const transactions& b : batches) b.check_schema(fn);
  s.check_shape(batches);
  s.fix_shape(batches.front());
  // 2. Rows: validate every batch; raise before aggregating anything.
  detail::validation_options vo;
  vo.function = fn;
  vo.zone = &s.config.zone;
  if (!s.config.window_start) vo.as_of = s.config.as_of;
  std::vector<detail::validation_result> checks;
  checks.reserve(batches.size());
  validation_report batch_report;
  std::int64_t total = 0;
  for (const transactions& b : batches) {
    checks.push_back(detail::validate_transactions(b, vo));
    total += b.rows();
    batch_report.rows_read += b.rows();
    batch_report.rows_dropped += checks.back().invalid_rows;
    validation_report r;
    r.dropped = checks.back().issues;
    batch_report.merge(r);
  }
  if (s.config.on_invalid == invalid_policy::raise && batch_report.rows_dropped > 0) {
    detail::throw_invalid_rows(fn, batch_report.dropped, batch_report.rows_dropped, total);
  }
  // 3. Aggregate, on several threads when the input is large enough.
  unsigned threads = s.config.threads ? s.config.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, threads);
  const auto by_size = static_cast<unsigned>(std::max<std::int64_t>(1, total / min_rows_per_thread));
  threads = std::min(threads, by_size);

  auto mask = [&](std::size_t i) {
    return checks[i].invalid.empty() ? nullptr : checks[i].invalid.data();
  };
  if (threads <= 1) {
    for (std::size_t i = 0; i < batches.size(); ++i) {
      s.aggregate(batches[i], 0, batches[i].rows(), mask(i));
    }
  } else {
    // Thread t takes global rows [t*total/T, (t+1)*total/T), across batch boundaries.
    std::vector<impl> locals;
    locals.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) locals.push_back(s.fresh_like());
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          const std::int64_t from = total * t / threads, to = total * (t + 1) / threads;
          std::int64_t base = 0;
          for (std::size_t i = 0; i < batches.size(); ++i) {
            const std::int64_t rows = batches[i].rows();
            const std::int64_t b0 = std::max(from, base), b1 = std::min(to, base + rows);
            if (b0 < b1) locals[t].aggregate(batches[i], b0 - base, b1 - base, mask(i));
            base += rows;
          }
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (std::thread& th : pool) th.join();
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    for (impl& l : locals) s.merge(l);
  }
  batch_report.rows_used = 0;  // counted by aggregate()
  s.report.merge(batch_report);
}

void profile_state::merge(const profile_state& other) {
  if (this == &other) {
    throw invalid_input(std::string(fn) + ": cannot merge a profile state with itself");
  }
  impl_->merge(*other.impl_);
}

profile profile_state::finish() const {
  const impl& s = *impl_;
  const validation_report& rep = s.report;
  if (rep.rows_used == 0) {
    throw invalid_input(std::string(fn) + ": no transactions to profile: " +
                        detail::rows_text(rep.rows_read) + " read, " +
                        detail::format_count(rep.rows_dropped) + " dropped as invalid, " +
                        detail::format_count(rep.rows_outside_window) +
                        " outside the window");
  }
  profile p;
  p.as_of = s.config.as_of ? *s.config.as_of : s.max_day + 1;
  p.window_start = s.config.window_start;
  p.time_zone = s.config.zone.name();
  p.period = s.config.period;
  p.has_orders = s.has_orders;
  p.has_quantity = s.has_quantity;
  p.has_channels = s.has_channels;
  p.has_categories = s.has_categories;
  p.report = rep;

  const std::vector<std::uint32_t> order = s.customers.sorted_order();
  const std::size_t n = order.size();
  std::vector<std::uint32_t> rank(n);
  for (std::size_t r = 0; r < n; ++r) rank[order[r]] = static_cast<std::uint32_t>(r);

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
    for (std::size_t r = 0; r < n; ++r) p.customer.ints[r] = s.customers.int_at(order[r]);
  }

  p.first_purchase.resize(n);
  p.last_purchase.resize(n);
  p.recency.resize(n);
  p.tenure.resize(n);
  p.frequency.assign(n, 0);
  p.purchase_days.assign(n, 0);
  p.transactions.resize(n);
  p.returns.assign(n, 0);
  p.monetary.resize(n);
  p.gross_sales.resize(n);
  p.returns_value.resize(n);
  p.average_order_value.resize(n);
  if (s.has_quantity) p.quantity.resize(n);
  for (std::size_t r = 0; r < n; ++r) {
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
  auto count_pairs = [&](const flat_map_u64<std::uint8_t>& pairs, std::vector<std::int64_t>& out) {
    out.assign(n, 0);
    pairs.for_each([&](std::uint64_t k, std::uint8_t) { ++out[rank[pair_high(k)]]; });
  };
  if (s.has_orders) {
    count_pairs(s.purchase_orders, p.frequency);
    count_pairs(s.return_orders, p.returns);
  }
  if (s.has_channels) count_pairs(s.channels.pairs, p.channels);
  if (s.has_categories) count_pairs(s.categories.pairs, p.categories);
  for (std::size_t r = 0; r < n; ++r) {
    p.average_order_value[r] = p.frequency[r] > 0
                                   ? p.monetary[r] / static_cast<double>(p.frequency[r])
                                   : std::numeric_limits<double>::quiet_NaN();
  }

  // Distinct purchase days, and the day entries grouped by customer (counting sort).
  std::vector<std::int64_t> start(n + 1, 0);
  s.days.for_each([&](std::uint64_t k, const day_entry& e) {
    const std::uint32_t r = rank[pair_high(k)];
    ++start[r + 1];
    if (e.purchase) ++p.purchase_days[r];
  });
  if (s.config.spend_series) {
    for (std::size_t r = 0; r < n; ++r) start[r + 1] += start[r];
    std::vector<std::pair<std::int32_t, fixed128>> entries(static_cast<std::size_t>(start[n]));
    std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
    s.days.for_each([&](std::uint64_t k, const day_entry& e) {
      const std::uint32_t r = rank[pair_high(k)];
      entries[static_cast<std::size_t>(fill[r]++)] = {day_from_code(pair_low(k)), e.net};
    });
    p.series_offsets.reserve(n + 1);
    p.series_offsets.push_back(0);
    for (std::size_t r = 0; r < n; ++r) {
      auto first = entries.begin() + start[r], last = entries.begin() + start[r + 1];
      std::sort(first, last, [](const auto& a, const auto& b) { return a.first < b.first; });
      std::int32_t current = 0;
      fixed128 sum = 0;
      bool open = false;
      for (auto it = first; it != last; ++it) {
        const std::int32_t ps = period_start(s.config.period, it->first);
        if (open && ps != current) {
          p.series_period.push_back(current);
          p.series_net.push_back(detail::fixed_to_double(sum));
          sum = 0;
        }
        current = ps;
        open = true;
        sum += it->second;
      }
      if (open) {
        p.series_period.push_back(current);
        p.series_net.push_back(detail::fixed_to_double(sum));
      }
      p.series_offsets.push_back(static_cast<std::int64_t>(p.series_period.size()));
    }
  }
  return p;
}

profile make_profile(const transactions& batch, const profile_config& config) {
  profile_state state(config);
  state.update(batch);
  return state.finish();
}

profile make_profile(const std::vector<transactions>& batches, const profile_config& config) {
  profile_state state(config);
  state.update(batches);
  return state.finish();
}

std::string customer_keys::to_string(std::size_t i) const {
  return is_string ? std::string(string_at(i)) : std::to_string(ints[i]);
}

}  // namespace tierkit
