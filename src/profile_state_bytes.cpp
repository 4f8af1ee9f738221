#include "profile_state_impl.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/byte_io.hpp"
#include "detail/customer_log.hpp"
#include "detail/fixed_point.hpp"
#include "detail/int128.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/report_bytes.hpp"
#include "detail/text_values.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit {

// --- persistence ---------------------------------------------------------------------------
// The payload: settings, shape, report, the customers' keys and aggregates (customers
// without lines, the holes of keys numbered by value, are left out and the indices
// compacted), then every log's records as they are. Loading inserts the keys in order, so
// indices, caches and records line up again.

namespace detail {

namespace {
// Layout 2 adds valid_dates after on_invalid; layout 1 (tierkit before valid_dates) still
// loads, with the default valid_dates: like on_invalid, the range only decides what later
// updates accept, and a state made now gets the default too.
constexpr std::uint32_t state_layout = 2;
constexpr const char* state_fn = "tierkit.profile_state.from_bytes";

void put_keys(byte_writer& w, const key_dictionary& d, const std::vector<std::uint32_t>& order) {
  w.put<std::uint8_t>(static_cast<std::uint8_t>(d.key_kind()));
  if (d.key_kind() == key_dictionary::kind::string) {
    std::vector<std::int64_t> offsets{0};
    std::string chars;
    for (std::uint32_t j : order) {
      chars.append(d.string_at(j));
      offsets.push_back(static_cast<std::int64_t>(chars.size()));
    }
    w.put_column(offsets);
    w.put_text(chars);
  } else {
    std::vector<std::int64_t> ints;
    ints.reserve(order.size());
    for (std::uint32_t j : order) ints.push_back(d.int_at(j));
    w.put_column(ints);
  }
}

// Inserts the saved keys in order; their indices must come out 0, 1, 2, ...
std::size_t get_keys(byte_reader& r, key_dictionary& d, const char* role) {
  const auto kind = r.get<std::uint8_t>();
  if (kind > static_cast<std::uint8_t>(key_dictionary::kind::string)) r.fail("a key kind");
  const auto k = static_cast<key_dictionary::kind>(kind);
  std::size_t n = 0;
  if (k == key_dictionary::kind::string) {
    const std::vector<std::int64_t> offsets = r.get_column<std::int64_t>();
    const std::string chars = r.get_text();
    if (offsets.empty() || offsets.front() != 0 || static_cast<std::size_t>(offsets.back()) != chars.size() ||
        !std::is_sorted(offsets.begin(), offsets.end())) {
      r.fail("key offsets");
    }
    d.require_kind(k, role);
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
      const std::string_view key(chars.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i]));
      if (d.insert(key) != i) r.fail("repeated keys");
    }
    n = offsets.size() - 1;
  } else {
    const std::vector<std::int64_t> ints = r.get_column<std::int64_t>();
    if (k == key_dictionary::kind::integer) d.require_kind(k, role);
    else if (!ints.empty()) r.fail("keys without a kind");
    for (std::size_t i = 0; i < ints.size(); ++i) {
      if (d.insert(ints[i]) != i) r.fail("repeated keys");
    }
    n = ints.size();
  }
  return n;
}

template <class Record, class Remap>
void put_log(byte_writer& w, const customer_log<Record>& log, Remap remap) {
  std::vector<Record> all;
  all.reserve(log.size());
  for (std::size_t b = 0; b < log.blocks(); ++b) {
    for (const auto& seg : log.block(b)) {
      for (const Record& rec : seg) {
        Record x = rec;
        if (remap(x)) all.push_back(x);
      }
    }
  }
  w.put_column(all);
}

// `ok` checks a record (and may translate it in place) before it joins the log.
template <class Record, class Check>
void get_log(byte_reader& r, customer_log<Record>& log, Check ok) {
  for (Record rec : r.get_column<Record>()) {
    if (!ok(rec)) r.fail("a record of an unknown customer or value");
    log.push(rec);
  }
}

// The text values of an optional column, in flat_order (no values: an empty list of
// integer kind, as integer values need none).
void put_values(byte_writer& w, const text_value_dictionary& d) {
  if (d.size() == 0) {
    w.put<std::uint8_t>(static_cast<std::uint8_t>(key_dictionary::kind::unset));
    w.put_column(std::vector<std::int64_t>{});
    return;
  }
  w.put<std::uint8_t>(static_cast<std::uint8_t>(key_dictionary::kind::string));
  std::vector<std::int64_t> offsets{0};
  std::string chars;
  for (const std::int64_t code : d.flat_order()) {
    chars.append(d.text_of(code));
    offsets.push_back(static_cast<std::int64_t>(chars.size()));
  }
  w.put_column(offsets);
  w.put_text(chars);
}

// Inserts the saved values in order; returns each one's code (empty without text values).
std::vector<std::int64_t> get_values(byte_reader& r, text_value_dictionary& d) {
  key_dictionary saved;
  get_keys(r, saved, "value");
  if (saved.key_kind() == key_dictionary::kind::integer && saved.size() > 0) r.fail("integer values in a value list");
  std::vector<std::int64_t> codes(saved.size());
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = d.insert(saved.string_at(static_cast<std::uint32_t>(i)));
  return codes;
}

void put_fixed(std::vector<std::uint64_t>& lo, std::vector<std::int64_t>& hi, fixed128 v) {
  lo.push_back(static_cast<std::uint64_t>(v));
  hi.push_back(static_cast<std::int64_t>(v >> 64));
}
fixed128 get_fixed(std::uint64_t lo, std::int64_t hi) {
  return static_cast<fixed128>((static_cast<detail::uint128>(static_cast<std::uint64_t>(hi)) << 64) | lo);
}
}  // namespace

std::string profile_state_payload(const profile_state& st) {
  const profile_state::impl& s = *st.impl_;
  s.check_usable();
  byte_writer w;
  w.put<std::uint32_t>(state_layout);
  w.put<std::uint8_t>(host_is_little_endian() ? 1 : 0);
  const profile_config& c = s.config;
  w.put<std::uint8_t>(c.as_of.has_value());
  w.put<std::int32_t>(c.as_of.value_or(0));
  w.put<std::uint8_t>(c.window_start.has_value());
  w.put<std::int32_t>(c.window_start.value_or(0));
  w.put_text(c.zone.name());
  w.put<std::int32_t>(c.zone.initial_offset());
  w.put_column(c.zone.transitions());
  w.put_column(c.zone.offsets());
  w.put<std::uint8_t>(static_cast<std::uint8_t>(c.period));
  w.put<std::uint8_t>(c.spend_series);
  w.put<std::uint8_t>(c.purchase_days);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(c.on_invalid));
  w.put<std::int32_t>(c.valid_dates.first);
  w.put<std::int32_t>(c.valid_dates.last);
  w.put<std::uint8_t>(s.shape_fixed);
  w.put<std::uint8_t>(s.has_orders);
  w.put<std::uint8_t>(s.has_quantity);
  w.put<std::uint8_t>(s.has_channels);
  w.put<std::uint8_t>(s.has_categories);
  w.put<std::int32_t>(s.max_day);
  detail::put_report(w, s.report);
  // Customers with lines, compacted.
  const std::size_t indices = s.customers.size();
  std::vector<std::uint32_t> order, cmap(indices, key_dictionary::no_index);
  for (std::size_t j = 0; j < indices; ++j) {
    if (!s.holes || s.aggs[j].lines() > 0) {
      cmap[j] = static_cast<std::uint32_t>(order.size());
      order.push_back(static_cast<std::uint32_t>(j));
    }
  }
  put_keys(w, s.customers, order);
  // Text values are saved as their positions in the saved list of values (flat_order).
  auto flat_codes = [](const distinct_log& d) {
    return [&d, starts = d.strings.flat_starts()](std::int64_t code, bool valid) {
      return valid && d.strings.size() > 0 ? detail::text_value_dictionary::flat_index(starts, code) : code;
    };
  };
  const auto flat_order = flat_codes(s.orders);
  const auto flat_channel = flat_codes(s.channels);
  const auto flat_category = flat_codes(s.categories);
  std::vector<std::uint64_t> glo, rlo, qlo, olo;
  std::vector<std::int64_t> ghi, rhi, qhi, ohi, plines, rlines, last_order, last_return, last_channel, last_category;
  std::vector<std::int32_t> first, last, open_period;
  std::vector<std::uint8_t> flags;
  for (std::uint32_t j : order) {
    const customer_agg& g = s.aggs[j];
    put_fixed(glo, ghi, g.gross);
    put_fixed(rlo, rhi, g.returned);
    put_fixed(qlo, qhi, g.quantity);
    put_fixed(olo, ohi, g.open_net);
    plines.push_back(g.purchase_lines);
    rlines.push_back(g.return_lines);
    last_order.push_back(flat_order(g.last_order, g.purchase_lines > 0));
    last_return.push_back(flat_order(g.last_return_order, g.return_lines > 0));
    last_channel.push_back(flat_channel(g.last_channel, g.has_last_channel));
    last_category.push_back(flat_category(g.last_category, g.has_last_category));
    first.push_back(g.first_purchase);
    last.push_back(g.last_purchase);
    open_period.push_back(g.open_period);
    flags.push_back(static_cast<std::uint8_t>(g.has_last_channel | (g.has_last_category << 1)));
  }
  for (const auto* col : {&glo, &rlo, &qlo, &olo}) w.put_column(*col);
  for (const auto* col : {&ghi, &rhi, &qhi, &ohi, &plines, &rlines, &last_order, &last_return, &last_channel,
                          &last_category}) {
    w.put_column(*col);
  }
  for (const auto* col : {&first, &last, &open_period}) w.put_column(*col);
  w.put_column(flags);
  auto remap = [&](auto& rec) {
    rec.customer = cmap[rec.customer];
    return rec.customer != key_dictionary::no_index;
  };
  put_log(w, s.days, remap);
  for (const distinct_log* d : {&s.orders, &s.channels, &s.categories}) {
    put_values(w, d->strings);
    const auto flat = flat_codes(*d);
    auto remap_value = [&](value_record& rec) {
      rec.value = flat(rec.value, true);
      return remap(rec);
    };
    put_log(w, d->log, remap_value);
    put_log(w, d->return_log, remap_value);
  }
  put_log(w, s.series, remap);
  return std::move(w.bytes());
}

profile_state profile_state_from_payload(std::string_view bytes) {
  byte_reader r(bytes, state_fn);
  const auto layout = r.get<std::uint32_t>();
  if (layout < 1 || layout > state_layout) r.fail("a state layout this tierkit does not know");
  if (r.get<std::uint8_t>() != (host_is_little_endian() ? 1 : 0)) r.fail("written with another byte order");
  profile_config c;
  if (r.get<std::uint8_t>()) c.as_of = r.get<std::int32_t>(); else r.get<std::int32_t>();
  if (r.get<std::uint8_t>()) c.window_start = r.get<std::int32_t>(); else r.get<std::int32_t>();
  std::string zone = r.get_text();
  const auto initial = r.get<std::int32_t>();
  std::vector<std::int64_t> transitions = r.get_column<std::int64_t>();
  std::vector<std::int32_t> offsets = r.get_column<std::int32_t>();
  try {
    c.zone = transitions.empty() && initial == 0 ? time_zone()
             : transitions.empty() ? time_zone::fixed(zone, initial)
                                   : time_zone::from_transitions(zone, initial, transitions, offsets);
  } catch (const std::exception& e) {
    r.fail(std::string("the time zone: ") + e.what());
  }
  const auto period = r.get<std::uint8_t>();
  if (period > static_cast<std::uint8_t>(period_kind::year)) r.fail("the period");
  c.period = static_cast<period_kind>(period);
  c.spend_series = r.get<std::uint8_t>() != 0;
  c.purchase_days = r.get<std::uint8_t>() != 0;
  const auto invalid = r.get<std::uint8_t>();
  if (invalid > static_cast<std::uint8_t>(invalid_policy::drop)) r.fail("the invalid-row policy");
  c.on_invalid = static_cast<invalid_policy>(invalid);
  if (layout >= 2) {
    c.valid_dates.first = r.get<std::int32_t>();
    c.valid_dates.last = r.get<std::int32_t>();  // checked by profile_state's constructor
  }
  std::unique_ptr<profile_state> made;
  try {
    made = std::make_unique<profile_state>(c);
  } catch (const invalid_input& e) {
    r.fail(e.what());
  }
  profile_state out = std::move(*made);
  profile_state::impl& s = *out.impl_;
  s.shape_fixed = r.get<std::uint8_t>() != 0;
  s.has_orders = r.get<std::uint8_t>() != 0;
  s.has_quantity = r.get<std::uint8_t>() != 0;
  s.has_channels = r.get<std::uint8_t>() != 0;
  s.has_categories = r.get<std::uint8_t>() != 0;
  s.max_day = r.get<std::int32_t>();
  s.report = detail::get_report(r);
  const std::size_t n = get_keys(r, s.customers, "customer");
  auto lo_cols = std::vector<std::vector<std::uint64_t>>(4);
  for (auto& col : lo_cols) col = r.get_column<std::uint64_t>();
  auto i64 = std::vector<std::vector<std::int64_t>>(10);
  for (auto& col : i64) col = r.get_column<std::int64_t>();
  auto i32 = std::vector<std::vector<std::int32_t>>(3);
  for (auto& col : i32) col = r.get_column<std::int32_t>();
  const std::vector<std::uint8_t> flags = r.get_column<std::uint8_t>();
  for (const auto& col : lo_cols) if (col.size() != n) r.fail("aggregate columns of different lengths");
  for (const auto& col : i64) if (col.size() != n) r.fail("aggregate columns of different lengths");
  for (const auto& col : i32) if (col.size() != n) r.fail("aggregate columns of different lengths");
  if (flags.size() != n) r.fail("aggregate columns of different lengths");
  s.aggs.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    customer_agg& g = s.aggs[j];
    g.gross = get_fixed(lo_cols[0][j], i64[0][j]);
    g.returned = get_fixed(lo_cols[1][j], i64[1][j]);
    g.quantity = get_fixed(lo_cols[2][j], i64[2][j]);
    g.open_net = get_fixed(lo_cols[3][j], i64[3][j]);
    g.purchase_lines = i64[4][j];
    g.return_lines = i64[5][j];
    g.last_order = i64[6][j];
    g.last_return_order = i64[7][j];
    g.last_channel = i64[8][j];
    g.last_category = i64[9][j];
    g.first_purchase = i32[0][j];
    g.last_purchase = i32[1][j];
    g.open_period = i32[2][j];
    g.has_last_channel = (flags[j] & 1) != 0;
    g.has_last_category = (flags[j] & 2) != 0;
  }
  // Values a real state can hold, so that a damaged or crafted state cannot make finishing,
  // merging or a later update overflow: per customer at most 2^36 lines (a merge of two
  // such states stays within the 2^37 lines whose sums fixed_point.hpp bounds), sums no
  // larger than that many lines of the largest amount, days within the supported dates.
  const fixed128 largest = static_cast<fixed128>(std::int64_t{1} << 60) * detail::fixed_scale;
  auto day_ok = [](std::int32_t d) {
    return d == no_day || d == std::numeric_limits<std::int32_t>::max() || is_supported_day(d);
  };
  auto within = [](fixed128 v, fixed128 bound) { return v <= bound && v >= -bound; };
  std::vector<fixed128> bound(n);
  for (std::size_t j = 0; j < n; ++j) {
    const customer_agg& g = s.aggs[j];
    if (g.purchase_lines < 0 || g.return_lines < 0 || g.lines() > (std::int64_t{1} << 36)) {
      r.fail("a customer's line counts");
    }
    bound[j] = largest * g.lines();
    if (!within(g.gross, largest * g.purchase_lines) || !within(g.returned, largest * g.return_lines) ||
        !within(g.quantity, bound[j]) || !within(g.open_net, bound[j])) {
      r.fail("a customer's sums");
    }
    // A customer with purchase lines has real first and last purchase days (finishing
    // subtracts them from as_of).
    const bool bought_ok = g.purchase_lines == 0 || (is_supported_day(g.first_purchase) &&
                                                     is_supported_day(g.last_purchase) &&
                                                     g.first_purchase <= g.last_purchase);
    if (!day_ok(g.first_purchase) || !day_ok(g.last_purchase) || !day_ok(g.open_period) || !bought_ok) {
      r.fail("a customer's days");
    }
  }
  if (s.max_day != std::numeric_limits<std::int32_t>::min() && !is_supported_day(s.max_day)) {
    r.fail("the last day");
  }
  get_log(r, s.days, [&](const day_record& rec) { return rec.customer < n && is_supported_day(rec.day); });
  std::array<std::vector<std::int64_t>, 3> value_codes;  // saved position -> code
  const std::array<distinct_log*, 3> value_logs{&s.orders, &s.channels, &s.categories};
  for (std::size_t j = 0; j < 3; ++j) {
    const std::vector<std::int64_t>& codes = value_codes[j] = get_values(r, value_logs[j]->strings);
    auto ok = [&](value_record& rec) {
      if (rec.customer >= n) return false;
      if (codes.empty()) return true;
      if (rec.value < 0 || static_cast<std::size_t>(rec.value) >= codes.size()) return false;
      rec.value = codes[static_cast<std::size_t>(rec.value)];
      return true;
    };
    get_log(r, value_logs[j]->log, ok);
    get_log(r, value_logs[j]->return_log, ok);
  }
  // The caches of text values were saved as positions too (valid ones only).
  auto code_of = [&](std::size_t j, std::int64_t& v, bool valid) {
    const std::vector<std::int64_t>& codes = value_codes[j];
    if (!valid || codes.empty()) return;
    if (v < 0 || static_cast<std::size_t>(v) >= codes.size()) r.fail("a customer's last value");
    v = codes[static_cast<std::size_t>(v)];
  };
  for (std::size_t j = 0; j < n; ++j) {
    customer_agg& g = s.aggs[j];
    code_of(0, g.last_order, g.purchase_lines > 0);
    code_of(0, g.last_return_order, g.return_lines > 0);
    code_of(1, g.last_channel, g.has_last_channel);
    code_of(2, g.last_category, g.has_last_category);
  }
  // A customer's series entries add up to no more than its bound (they split its net).
  std::vector<fixed128> left = bound;
  get_log(r, s.series, [&](const amount_record& rec) {
    if (rec.customer >= n || !is_supported_day(rec.period)) return false;
    const fixed128 v = rec.amount();
    fixed128& room = left[rec.customer];
    if (!within(v, room)) return false;
    room -= v < 0 ? -v : v;
    return true;
  });
  if (!r.done()) r.fail("bytes after the state");
  return out;
}

}  // namespace detail

}  // namespace tierkit
