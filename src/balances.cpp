#include "tierkit/balances.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "detail/cancel_point.hpp"
#include "detail/decode.hpp"
#include "detail/enum_names.hpp"
#include "detail/fixed_point.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/key_numbering.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "detail/validate.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr const char* fn = "tierkit.average_daily_balances";
using detail::fixed128;
using detail::key_dictionary;

void check_column(const column_view& c, std::int64_t rows, const char* role, bool key,
                  const char* function) {
  const data_type t = c.type == data_type::dictionary && c.dictionary ? c.dictionary->type : c.type;
  const bool ok = key ? ((is_integer(t) && t != data_type::uint64) || is_string_like(t))
                      : (is_integer(c.type) || is_floating(c.type) || c.type == data_type::decimal128);
  if (!ok) {
    throw schema_error(std::string(function) + ": the " + role + " " + c.describe() +
                       " has an unsupported type; expected " +
                       (key ? "integer or string keys" : "numbers"));
  }
  if (c.length != rows) {
    throw schema_error(std::string(function) + ": the " + role + " " + c.describe() + " has " +
                       detail::rows_text(c.length) + " but the account column has " +
                       detail::format_count(rows));
  }
}

// Dense indices of a key column's rows (every row must be valid).
std::vector<std::uint32_t> encode_all(const column_view& c, key_dictionary& dict, const char* role,
                                      const std::vector<std::uint8_t>& skip) {
  std::vector<std::uint32_t> out(static_cast<std::size_t>(c.length), key_dictionary::no_index);
  detail::key_encoder enc(c, dict, role);
  const std::vector<std::uint8_t> none(static_cast<std::size_t>(c.length), 0);
  enc.encode(0, c.length, skip.empty() ? none.data() : skip.data(), out.data());
  return out;
}

customer_keys keys_in_order(const key_dictionary& dict, const std::vector<std::uint32_t>& order) {
  customer_keys k;
  k.is_string = dict.key_kind() == key_dictionary::kind::string;
  if (k.is_string) {
    k.offsets.push_back(0);
    for (std::uint32_t j : order) {
      k.chars.append(dict.string_at(j));
      k.offsets.push_back(static_cast<std::int64_t>(k.chars.size()));
    }
  } else {
    for (std::uint32_t j : order) k.ints.push_back(dict.int_at(j));
  }
  return k;
}

}  // namespace

namespace {
constexpr detail::enum_table<balance_input, 3> balance_inputs{{{balance_input::daily, "daily"},
                                                               {balance_input::after_movement, "after_movement"},
                                                               {balance_input::movements, "movements"}}};
}  // namespace

const char* balance_input_name(balance_input b) noexcept { return balance_inputs.name(b); }

balance_input parse_balance_input(const std::string& name) {
  return balance_inputs.parse(name, std::string(fn) + ": input");
}

account_balances average_daily_balances(const balance_events& ev, const balance_config& cfg,
                                        const start_balances* starts) {
  const std::int64_t n = ev.account.length;
  check_column(ev.account, n, "account", true, fn);
  if (!is_temporal(ev.time.type)) {
    throw schema_error(std::string(fn) + ": the time " + ev.time.describe() +
                       " has an unsupported type; expected a date32, date64 or timestamp column");
  }
  if (ev.time.length != n) {
    throw schema_error(std::string(fn) + ": the time " + ev.time.describe() + " has " +
                       detail::rows_text(ev.time.length) + " but the account column has " +
                       detail::format_count(n));
  }
  check_column(ev.value, n, "value", false, fn);
  if (cfg.from_day && cfg.through_day && *cfg.from_day >= *cfg.through_day) {
    throw invalid_input(std::string(fn) + ": from_day must be before through_day");
  }
  detail::check_valid_days(fn, cfg.valid_dates);

  // Validate once: nulls, NaN, infinities, dates outside valid_dates.
  detail::cancel_point cancel(fn);
  detail::validation_options vo;
  vo.function = fn;
  vo.zone = &cfg.zone;
  vo.valid_days = cfg.valid_dates;
  vo.cancel = &cancel;
  const detail::validation_result check =
      detail::validate_columns(n, {&ev.account}, &ev.time, {&ev.value}, vo);
  if (check.invalid_rows > 0 && cfg.on_invalid == invalid_policy::raise) {
    detail::throw_invalid_rows(fn, check.issues, check.invalid_rows, n);
  }
  account_balances out;
  out.report.rows_read = n;
  out.report.rows_dropped = check.invalid_rows;
  out.report.dropped = check.issues;
  const std::vector<std::uint8_t>& skip = check.invalid;

  if (n - check.invalid_rows == 0) {
    throw invalid_input(std::string(fn) + ": no balance events to average (" +
                        detail::rows_text(n) + " read, " + detail::format_count(check.invalid_rows) +
                        " invalid)");
  }
  cancel.check();
  const unsigned threads = detail::threads_for_rows(static_cast<std::size_t>(n), cfg.threads);
  // Account numbers in a compact range are numbered by their value (no hashing); indices
  // no valid event came for (holes) are skipped below.
  key_dictionary accounts;
  const bool holes = detail::choose_key_numbering(accounts, {&ev.account}, n, threads);
  const std::vector<std::uint32_t> acc = encode_all(ev.account, accounts, "account", skip);
  std::vector<std::int64_t> day(static_cast<std::size_t>(n));
  std::vector<fixed128> value(static_cast<std::size_t>(n));
  if (n > 0) {
    detail::decode_days(ev.time, 0, n, cfg.zone, day.data());
    detail::decode_fixed(ev.value, 0, n, value.data());
  }
  const std::size_t na = accounts.size();
  std::int64_t first_day = std::numeric_limits<std::int64_t>::max(), last_day = std::numeric_limits<std::int64_t>::min();
  for (std::int64_t i = 0; i < n; ++i) {
    if (!skip.empty() && skip[static_cast<std::size_t>(i)]) continue;
    first_day = std::min(first_day, day[static_cast<std::size_t>(i)]);
    last_day = std::max(last_day, day[static_cast<std::size_t>(i)]);
  }
  out.from_day = cfg.from_day ? *cfg.from_day : period_start(cfg.period, static_cast<std::int32_t>(first_day));
  out.through_day = cfg.through_day ? *cfg.through_day : static_cast<std::int32_t>(last_day + 1);
  out.report.rows_used = n - check.invalid_rows;

  // Start balances (movements form).
  std::vector<fixed128> start(na, 0);
  if (starts) {
    const std::int64_t m = starts->account.length;
    check_column(starts->account, m, "start-balance account", true, fn);
    check_column(starts->balance, m, "start balance", false, fn);
    const detail::validation_result sc =
        detail::validate_columns(m, {&starts->account}, nullptr, {&starts->balance}, vo);
    if (sc.invalid_rows > 0) detail::throw_invalid_rows(fn, sc.issues, sc.invalid_rows, m);
    const detail::key_lookup lookup(starts->account, accounts, "account");
    std::vector<std::uint32_t> idx(static_cast<std::size_t>(m));
    const std::vector<std::uint8_t> none(static_cast<std::size_t>(m), 0);
    if (m > 0) lookup.find(0, m, none.data(), idx.data());
    std::vector<fixed128> sb(static_cast<std::size_t>(m));
    if (m > 0) detail::decode_fixed(starts->balance, 0, m, sb.data());
    for (std::int64_t i = 0; i < m; ++i) {
      if (idx[static_cast<std::size_t>(i)] != key_dictionary::no_index) start[idx[static_cast<std::size_t>(i)]] = sb[static_cast<std::size_t>(i)];
    }
  }

  // Group events by account (stable: input order kept within an account), then by day.
  cancel.check();
  std::vector<std::int64_t> offsets(na + 1, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    if (skip.empty() || !skip[static_cast<std::size_t>(i)]) ++offsets[acc[static_cast<std::size_t>(i)] + 1];
  }
  for (std::size_t a = 0; a < na; ++a) offsets[a + 1] += offsets[a];
  std::vector<std::int64_t> rows(static_cast<std::size_t>(offsets[na]));
  {
    std::vector<std::int64_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::int64_t i = 0; i < n; ++i) {
      if (!skip.empty() && skip[static_cast<std::size_t>(i)]) continue;
      rows[static_cast<std::size_t>(fill[acc[static_cast<std::size_t>(i)]]++)] = i;
    }
  }

  // The period grid shared by every account.
  std::vector<std::int32_t> grid;
  for (std::int32_t p = period_start(cfg.period, out.from_day); p < out.through_day;
       p = next_period_start(cfg.period, p)) {
    grid.push_back(p);
  }
  const std::size_t np = grid.size();
  // Each period's end, computed once: civil-date arithmetic per account and period took a
  // quarter of the job (10^7 events, perf).
  std::vector<std::int32_t> grid_end(np), grid_days(np);
  for (std::size_t k = 0; k < np; ++k) {
    grid_end[k] = next_period_start(cfg.period, grid[k]);
    const std::int32_t lo = std::max(grid[k], out.from_day);
    const std::int32_t hi = std::min(grid_end[k], out.through_day);
    grid_days[k] = hi - lo;
  }

  std::vector<std::uint32_t> order = accounts.sorted_order();
  if (holes) {
    order.erase(std::remove_if(order.begin(), order.end(),
                               [&](std::uint32_t a) { return offsets[a + 1] == offsets[a]; }),
                order.end());
  }
  const std::size_t accounts_out = order.size();
  out.accounts = keys_in_order(accounts, order);
  out.offsets.resize(accounts_out + 1);
  out.period.resize(accounts_out * np);
  out.average.resize(accounts_out * np);
  out.days.resize(accounts_out * np);
  for (std::size_t r = 0; r <= accounts_out; ++r) out.offsets[r] = static_cast<std::int64_t>(r * np);
  // Accounts are independent: blocks of them on all threads, each block with its own sums.
  const auto earlier_day = [&](std::int64_t x, std::int64_t y) {
    return day[static_cast<std::size_t>(x)] < day[static_cast<std::size_t>(y)];
  };
  cancel.check();
  detail::for_row_blocks(accounts_out, threads, [&](std::size_t block_begin, std::size_t block_end) {
    cancel.check();
    std::vector<fixed128> sum(np);
    for (std::size_t r = block_begin; r < block_end; ++r) {
      const std::uint32_t a = order[r];
      auto first = rows.begin() + offsets[a], last = rows.begin() + offsets[a + 1];
      // Events of data in time order arrive sorted: checked before sorting.
      if (!std::is_sorted(first, last, earlier_day)) std::stable_sort(first, last, earlier_day);
      // Walk the days: `balance` holds from day `since` on, until the next event day.
      std::fill(sum.begin(), sum.end(), fixed128{0});
      // Movements start from the start balance; the other forms hold nothing before their
      // first event.
      fixed128 running = start[a];
      fixed128 balance = cfg.input == balance_input::movements ? running : 0;
      std::int64_t since = out.from_day;
      auto add_span = [&](std::int64_t from, std::int64_t to, fixed128 b) {
        // Adds b for each day of [from, to) inside the averaging range, per period.
        from = std::max<std::int64_t>(from, out.from_day);
        to = std::min<std::int64_t>(to, out.through_day);
        if (from >= to || b == 0) return;
        std::size_t k = static_cast<std::size_t>(
            std::upper_bound(grid.begin(), grid.end(), static_cast<std::int32_t>(from)) - grid.begin() - 1);
        while (from < to) {
          const std::int64_t end = std::min<std::int64_t>(to, grid_end[k]);
          sum[k] += b * static_cast<fixed128>(end - from);
          from = end;
          ++k;
        }
      };
      for (auto it = first; it != last;) {
        const std::int64_t d = day[static_cast<std::size_t>(*it)];
        add_span(since, d, balance);
        // Close the day: the events of day d, in input order.
        for (; it != last && day[static_cast<std::size_t>(*it)] == d; ++it) {
          const fixed128 v = value[static_cast<std::size_t>(*it)];
          if (cfg.input == balance_input::movements) {
            running += v;
            balance = running;
          } else {
            balance = v;
          }
        }
        since = d;
      }
      add_span(since, out.through_day, balance);
      for (std::size_t k = 0; k < np; ++k) {
        const std::size_t at = r * np + k;
        out.period[at] = grid[k];
        out.days[at] = grid_days[k];
        out.average[at] = grid_days[k] > 0 ? detail::fixed_to_double(sum[k]) / grid_days[k]
                                           : std::numeric_limits<double>::quiet_NaN();
      }
    }
  });
  return out;
}

namespace {
// Index of `key` among ascending keys, or -1.
std::int64_t find_sorted(const customer_keys& keys, const column_view& c, std::int64_t row) {
  if (keys.is_string) {
    const std::string_view k = detail::string_value(c.type == data_type::dictionary ? *c.dictionary : c,
                                                    c.type == data_type::dictionary
                                                        ? detail::int_value(detail::dictionary_indices(c), row)
                                                        : row);
    std::size_t lo = 0, hi = keys.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (keys.string_at(mid) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo < keys.size() && keys.string_at(lo) == k ? static_cast<std::int64_t>(lo) : -1;
  }
  const std::int64_t k = c.type == data_type::dictionary
                             ? detail::int_value(*c.dictionary, detail::int_value(detail::dictionary_indices(c), row))
                             : detail::int_value(c, row);
  auto it = std::lower_bound(keys.ints.begin(), keys.ints.end(), k);
  return it != keys.ints.end() && *it == k ? it - keys.ints.begin() : -1;
}

std::string key_text(const column_view& c, std::int64_t row) {
  const column_view& v = c.type == data_type::dictionary ? *c.dictionary : c;
  const std::int64_t r = c.type == data_type::dictionary ? detail::int_value(detail::dictionary_indices(c), row) : row;
  return is_string_like(v.type) ? std::string(detail::string_value(v, r)) : std::to_string(detail::int_value(v, r));
}
}  // namespace

customer_balances balances_by_customer(const account_balances& b, const account_owners& owners,
                                       const std::map<std::string, double>& weights) {
  const char* fn2 = "tierkit.balances_by_customer";
  const std::int64_t m = owners.account.length;
  check_column(owners.account, m, "account", true, fn2);
  check_column(owners.customer, m, "customer", true, fn2);
  if (owners.asset_type) check_column(*owners.asset_type, m, "asset type", true, fn2);
  detail::validation_options vo;
  vo.function = fn2;
  std::vector<const column_view*> keys = {&owners.account, &owners.customer};
  if (owners.asset_type) keys.push_back(&*owners.asset_type);
  const detail::validation_result check = detail::validate_columns(m, keys, nullptr, {}, vo);
  if (check.invalid_rows > 0) detail::throw_invalid_rows(fn2, check.issues, check.invalid_rows, m);
  if ((owners.account.type == data_type::dictionary ? is_string_like(owners.account.dictionary->type)
                                                    : is_string_like(owners.account.type)) != b.accounts.is_string) {
    throw schema_error(std::string(fn2) + ": the mapping's account keys and the balances' account "
                       "keys are of different kinds (integer and string)");
  }
  const std::size_t na = b.accounts.size();
  const std::size_t np = na ? static_cast<std::size_t>(b.offsets[1] - b.offsets[0]) : 0;
  std::vector<std::int64_t> owner_of(na, -1);
  key_dictionary customers;
  const std::vector<std::uint32_t> cust = encode_all(owners.customer, customers, "customer", {});
  std::int64_t repeated = 0, without_events = 0;
  std::string first_repeat;
  std::vector<double> weight(na, 1.0);
  for (std::int64_t i = 0; i < m; ++i) {
    const std::int64_t a = find_sorted(b.accounts, owners.account, i);
    if (a < 0) {
      ++without_events;
      continue;
    }
    if (owner_of[static_cast<std::size_t>(a)] >= 0) {
      if (first_repeat.empty()) first_repeat = "row " + std::to_string(i + 1);
      ++repeated;
      continue;
    }
    owner_of[static_cast<std::size_t>(a)] = cust[static_cast<std::size_t>(i)];
    if (owners.asset_type && !weights.empty()) {
      const std::string type = key_text(*owners.asset_type, i);
      auto it = weights.find(type);
      if (it == weights.end()) {
        throw invalid_input(std::string(fn2) + ": asset type '" + type + "' (first at row " +
                            std::to_string(i + 1) + " of the mapping) has no weight");
      }
      weight[static_cast<std::size_t>(a)] = it->second;
    }
  }
  if (repeated > 0) {
    throw invalid_input(std::string(fn2) + ": " + detail::rows_text(repeated) +
                        " of the mapping repeat an account (first: " + first_repeat +
                        "); give each account one customer (e.g. only its owner)");
  }
  std::int64_t orphans = 0;
  for (std::int64_t o : owner_of) orphans += o < 0 ? 1 : 0;
  if (orphans > 0) {
    throw invalid_input(std::string(fn2) + ": " + detail::format_count(orphans) +
                        " accounts with balances have no customer in the mapping");
  }
  const std::size_t nc = customers.size();
  std::vector<long double> sum(nc * np, 0);
  for (std::size_t a = 0; a < na; ++a) {
    const auto c = static_cast<std::size_t>(owner_of[a]);
    for (std::size_t k = 0; k < np; ++k) sum[c * np + k] += weight[a] * b.average[a * np + k];
  }
  const std::vector<std::uint32_t> order = customers.sorted_order();
  customer_balances out;
  out.customers = keys_in_order(customers, order);
  out.accounts_without_events = without_events;
  out.offsets.resize(nc + 1);
  out.period.resize(nc * np);
  out.average.resize(nc * np);
  for (std::size_t r = 0; r <= nc; ++r) out.offsets[r] = static_cast<std::int64_t>(r * np);
  for (std::size_t r = 0; r < nc; ++r) {
    for (std::size_t k = 0; k < np; ++k) {
      out.period[r * np + k] = na ? b.period[k] : 0;
      out.average[r * np + k] = static_cast<double>(sum[order[r] * np + k]);
    }
  }
  return out;
}

}  // namespace tierkit
