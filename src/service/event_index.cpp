#include "service/event_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "detail/cancel_point.hpp"
#include "detail/customer_log.hpp"  // run_on_threads, parallel_blocks, threads_for_rows
#include "detail/decode.hpp"
#include "detail/huge_pages.hpp"
#include "detail/prefetch.hpp"
#include "detail/text.hpp"
#include "detail/validate.hpp"
#include "tierkit/error.hpp"

namespace tierkit::detail {

namespace {

constexpr std::int64_t block_rows = 1 << 14;

// Numbers of a column as doubles, rows [begin, begin + n); null rows give NaN.
void decode_doubles(const column_view& c, std::int64_t begin, std::int64_t n, double* out) {
  switch (c.type) {
    case data_type::float64: {
      const double* v = typed_values<double>(c) + begin;
      std::memcpy(out, v, static_cast<std::size_t>(n) * sizeof(double));
      break;
    }
    case data_type::float32: {
      const float* v = typed_values<float>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = v[i];
      break;
    }
    case data_type::decimal128: {
      const auto* v = static_cast<const std::uint8_t*>(c.values) + 16 * (c.offset + begin);
      for (std::int64_t i = 0; i < n; ++i) {
        fixed128 x;
        std::memcpy(&x, v + 16 * i, 16);
        out[i] = decimal_to_double(x, c.decimal_scale);
      }
      break;
    }
    case data_type::boolean: {
      const auto* bits = static_cast<const std::uint8_t*>(c.values);
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t b = c.offset + begin + i;
        out[i] = (bits[b >> 3] >> (b & 7)) & 1 ? 1.0 : 0.0;
      }
      break;
    }
    default:
      for_each_int(c, begin, n, [&](std::int64_t i, std::int64_t v) { out[i] = static_cast<double>(v); });
  }
  if (c.may_have_nulls()) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (!c.is_valid(begin + i)) out[i] = std::numeric_limits<double>::quiet_NaN();
    }
  }
}

bool readable_number(data_type t) {
  return is_integer(t) || is_floating(t) || t == data_type::decimal128 || t == data_type::boolean;
}

struct thread_counts {
  std::vector<std::uint32_t> per_customer;
  std::int64_t null_customer = 0, null_time = 0, out_of_range = 0, unknown = 0, after = 0,
               rejected = 0, used = 0;
};

}  // namespace

key_dictionary dictionary_of(const customer_keys& k, std::int64_t* repeated) {
  key_dictionary d;
  const std::size_t n = k.size();
  if (!k.is_string && n) {
    // Keys lo, lo + 1, ..., in order (customer numbers; tierkit's results come ordered by
    // key): the index is key - lo, found without any table.
    bool consecutive = true;
    for (std::size_t i = 1; i < n && consecutive; ++i) {
      consecutive = static_cast<std::uint64_t>(k.ints[i]) - static_cast<std::uint64_t>(k.ints[i - 1]) == 1;
    }
    if (consecutive && k.ints[0] <= k.ints[n - 1]) {
      d.number_by_key(k.ints[0], k.ints[n - 1]);
      if (d.by_key()) {
        if (repeated) *repeated = 0;
        return d;
      }
    }
    const auto [lo, hi] = std::minmax_element(k.ints.begin(), k.ints.end());
    d.expect_int_range(*lo, *hi, std::max<std::uint64_t>(std::uint64_t{1} << 16, 4 * static_cast<std::uint64_t>(n)));
  }
  if (!d.direct()) d.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (k.is_string) d.insert(k.string_at(i));
    else d.insert(k.ints[i]);
  }
  if (repeated) *repeated = static_cast<std::int64_t>(n) - static_cast<std::int64_t>(d.size());
  return d;
}

indexed_events index_events(const key_dictionary& customers, std::size_t n_customers,
                            const event_source& src, const event_tagger& tagger) {
  const std::string fn(src.function);
  const column_view& key = *src.customer;
  const column_view& time = *src.time;
  if (key.length != time.length || (src.value && src.value->length != key.length)) {
    throw schema_error(fn + ": the log's columns differ in length (" + key.describe() + ": " +
                       format_count(key.length) + " rows, " + time.describe() + ": " +
                       format_count(time.length) + " rows" +
                       (src.value ? ", " + src.value->describe() + ": " + format_count(src.value->length) + " rows" : "") +
                       ")");
  }
  if (!is_temporal(time.type)) {
    throw schema_error(fn + ": " + time.describe() + " must hold dates or timestamps");
  }
  {
    const data_type kt = key.type == data_type::dictionary && key.dictionary ? key.dictionary->type : key.type;
    if (!is_integer(kt) && !is_string_like(kt)) {
      throw schema_error(fn + ": " + key.describe() + " must hold integer or text customer keys");
    }
    const auto want = customers.key_kind();
    if (want != key_dictionary::kind::unset && (want == key_dictionary::kind::string) != is_string_like(kt)) {
      throw schema_error(fn + ": " + key.describe() + " holds " + (is_string_like(kt) ? "text" : "integer") +
                         " customer keys, the tiers' keys are " +
                         (want == key_dictionary::kind::string ? "text" : "integers") +
                         "; cast one to the other's type (keys read from CSV files are text)");
    }
  }
  if (src.value && !readable_number(src.value->type)) {
    throw schema_error(fn + ": " + src.value->describe() + " must hold numbers");
  }
  const std::int64_t rows = key.length;
  indexed_events out;
  out.rows_read = rows;
  cancel_point cancel(src.function);
  // Dictionary keys: null values and indices out of range are found by the validator (the
  // lookup reads the dictionary at each index).
  std::vector<std::uint8_t> invalid_dict;
  std::int64_t dict_invalid = 0;
  std::vector<row_issue> dict_issues;
  if (key.type == data_type::dictionary) {
    validation_options vo;
    vo.function = src.function;
    vo.threads = src.threads;
    vo.cancel = &cancel;
    validation_result v = validate_columns(rows, {&key}, nullptr, {}, vo);
    invalid_dict = std::move(v.invalid);
    dict_invalid = v.invalid_rows;
    dict_issues = std::move(v.issues);
  }
  const key_lookup lookup(key, customers, "customer");
  const unsigned threads = threads_for_rows(static_cast<std::size_t>(rows), src.threads);
  std::vector<thread_counts> counts(threads);
  // Row-aligned scratch: advised for huge pages (their first touch is most of their cost).
  std::vector<std::uint32_t> row_customer = new_column<std::uint32_t>(static_cast<std::size_t>(rows));
  std::vector<std::uint32_t> row_packed = new_column<std::uint32_t>(static_cast<std::size_t>(rows));
  std::vector<double> row_value = new_column<double>(src.value ? static_cast<std::size_t>(rows) : 0);
  const bool key_nulls = key.type != data_type::dictionary && key.may_have_nulls();
  const bool time_nulls = time.may_have_nulls();
  const std::int32_t as_of = src.as_of;
  auto share = [&](unsigned t) {
    const std::int64_t lo = rows * t / threads, hi = rows * (t + 1) / threads;
    return std::pair<std::int64_t, std::int64_t>(lo, hi);
  };
  run_on_threads(threads, [&](unsigned t) {
    thread_counts& c = counts[t];
    c.per_customer.assign(n_customers, 0);
    const auto [lo, hi] = share(t);
    std::vector<std::uint8_t> skip(block_rows);
    std::vector<std::int64_t> day(block_rows);
    std::vector<std::uint16_t> tag(block_rows);
    for (std::int64_t b = lo; b < hi; b += block_rows) {
      if (t == 0) cancel.check();
      else if (cancel.requested()) return;
      const std::int64_t m = std::min(block_rows, hi - b);
      for (std::int64_t i = 0; i < m; ++i) {
        std::uint8_t s = 0;
        if (key_nulls && !key.is_valid(b + i)) {
          s = 1;
          ++c.null_customer;
        } else if (!invalid_dict.empty() && invalid_dict[static_cast<std::size_t>(b + i)]) {
          s = 1;
        }
        skip[static_cast<std::size_t>(i)] = s;
      }
      std::uint32_t* cust = row_customer.data() + b;
      lookup.find(b, m, skip.data(), cust);
      decode_days(time, b, m, *src.zone, day.data());
      tagger(b, m, tag.data());
      if (src.value) decode_doubles(*src.value, b, m, row_value.data() + b);
      // The count slots are spread over the customers: prefetched `ahead` rows early so
      // that the increments overlap their cache misses.
      std::uint32_t* const count = c.per_customer.data();
      std::uint32_t* const packed = row_packed.data() + b;
      constexpr std::int64_t ahead = 16;
      std::int64_t null_time = 0, out_of_range = 0, unknown = 0, after = 0, rejected = 0, used = 0;
      for (std::int64_t i = 0; i < m; ++i) {
        if (i + ahead < m) prefetch(count + std::min<std::uint32_t>(cust[i + ahead], static_cast<std::uint32_t>(n_customers)));
        const auto ii = static_cast<std::size_t>(i);
        if (skip[ii]) {
          cust[i] = key_dictionary::no_index;
          continue;
        }
        const std::int64_t d = day[ii];
        if (time_nulls && !time.is_valid(b + i)) {
          ++null_time;
          cust[i] = key_dictionary::no_index;
        } else if (!is_supported_day(d)) {
          ++out_of_range;
          cust[i] = key_dictionary::no_index;
        } else if (cust[i] >= n_customers) {  // no_index included
          ++unknown;
          cust[i] = key_dictionary::no_index;
        } else if (d >= as_of) {
          ++after;
          cust[i] = key_dictionary::no_index;
        } else if (tag[ii] == reject_tag) {
          ++rejected;
          cust[i] = key_dictionary::no_index;
        } else {
          ++used;
          ++count[cust[i]];
          packed[i] = pack_event(static_cast<std::int32_t>(d), tag[ii]);
        }
      }
      c.null_time += null_time;
      c.out_of_range += out_of_range;
      c.unknown += unknown;
      c.after += after;
      c.rejected += rejected;
      c.used += used;
    }
  });
  cancel.check();
  // Counts and issues.
  std::int64_t null_customer = 0, null_time = 0, out_of_range = 0;
  for (const thread_counts& c : counts) {
    null_customer += c.null_customer;
    null_time += c.null_time;
    out_of_range += c.out_of_range;
    out.unknown_customers += c.unknown;
    out.after_as_of += c.after;
    out.rejected += c.rejected;
    out.rows_used += c.used;
  }
  for (const row_issue& i : dict_issues) out.dropped.push_back(i);
  if (null_customer) out.dropped.push_back(row_issue{key.name, "null", null_customer});
  if (null_time) out.dropped.push_back(row_issue{time.name, "null", null_time});
  if (out_of_range) {
    out.dropped.push_back(row_issue{time.name, "outside the supported dates 0001-01-01 to 9999-12-31", out_of_range});
  }
  out.rows_dropped = dict_invalid + null_customer + null_time + out_of_range;
  if (src.on_invalid == invalid_policy::raise && (out.rows_dropped || out.unknown_customers)) {
    std::vector<row_issue> issues = out.dropped;
    if (out.unknown_customers) {
      issues.push_back(row_issue{key.name, "customers the tiers do not hold", out.unknown_customers});
    }
    throw_invalid_rows(src.function, issues, out.rows_dropped + out.unknown_customers, rows);
  }
  // Offsets: customer c's rows from thread t start at base[c] + sum of earlier threads' counts.
  out.offsets.assign(n_customers + 1, 0);
  {
    std::int64_t at = 0;
    for (std::size_t c = 0; c < n_customers; ++c) {
      out.offsets[c] = at;
      for (unsigned t = 0; t < threads; ++t) {
        const std::uint32_t k = counts[t].per_customer[c];
        counts[t].per_customer[c] = static_cast<std::uint32_t>(at);  // this thread's next slot
        at += k;
      }
    }
    out.offsets[n_customers] = at;
  }
  // The running positions above fit 32 bits only for fewer than 2^32 kept rows.
  if (out.rows_used >= static_cast<std::int64_t>(UINT32_MAX)) {
    throw invalid_input(fn + ": more than 4,294,967,294 rows are kept; split the log");
  }
  assign_new_column(out.packed, static_cast<std::size_t>(out.rows_used));
  if (src.value) assign_new_column(out.values, static_cast<std::size_t>(out.rows_used));
  run_on_threads(threads, [&](unsigned t) {
    std::uint32_t* next = counts[t].per_customer.data();
    const std::uint32_t* rc = row_customer.data();
    const auto [lo, hi] = share(t);
    // Two-stage prefetch: the customer's next slot 32 rows early, the place it points to
    // 16 rows early (a slot read then may still move on; it is only a prefetch).
    constexpr std::int64_t far = 32, near = 16;
    const auto none = static_cast<std::uint32_t>(n_customers);
    for (std::int64_t r = lo; r < hi; ++r) {
      if (r + far < hi) prefetch(next + std::min(rc[r + far], none));
      if (r + near < hi && rc[r + near] < none) prefetch(out.packed.data() + next[rc[r + near]]);
      const std::uint32_t c = rc[r];
      if (c == key_dictionary::no_index) continue;
      const std::uint32_t at = next[c]++;
      out.packed[at] = row_packed[static_cast<std::size_t>(r)];
      if (src.value) out.values[at] = row_value[static_cast<std::size_t>(r)];
    }
  });
  row_customer = {};
  row_packed = {};
  row_value = {};
  // Each customer's run in (day, tag, value) order.
  const std::size_t blocks = (n_customers >> 14) + 1;
  parallel_blocks(blocks, threads, [&](std::size_t blk, unsigned) {
    const std::size_t c0 = blk << 14, c1 = std::min(n_customers, (blk + 1) << 14);
    std::vector<std::pair<std::uint32_t, double>> tmp;
    for (std::size_t c = c0; c < c1; ++c) {
      const std::int64_t a = out.offsets[c], z = out.offsets[c + 1];
      if (z - a < 2) continue;
      std::uint32_t* p = out.packed.data() + a;
      if (!src.value) {
        if (!std::is_sorted(p, p + (z - a))) std::sort(p, p + (z - a));
        continue;
      }
      double* v = out.values.data() + a;
      // NaN last within a packed value, so that the order is total.
      auto less = [](std::uint32_t pa, double va, std::uint32_t pb, double vb) {
        if (pa != pb) return pa < pb;
        const bool an = std::isnan(va), bn = std::isnan(vb);
        if (an != bn) return bn;
        return !an && va < vb;
      };
      bool sorted = true;
      for (std::int64_t i = 1; i < z - a && sorted; ++i) sorted = !less(p[i], v[i], p[i - 1], v[i - 1]);
      if (sorted) continue;
      tmp.clear();
      for (std::int64_t i = 0; i < z - a; ++i) tmp.emplace_back(p[i], v[i]);
      std::sort(tmp.begin(), tmp.end(),
                [&](const auto& x, const auto& y) { return less(x.first, x.second, y.first, y.second); });
      for (std::int64_t i = 0; i < z - a; ++i) {
        p[i] = tmp[static_cast<std::size_t>(i)].first;
        v[i] = tmp[static_cast<std::size_t>(i)].second;
      }
    }
  });
  return out;
}

}  // namespace tierkit::detail
