#pragma once
// The inside of a profile state, shared by the three files that work on it: profile.cpp
// (updates and merges), profile_finish.cpp (profiles and period tables) and
// profile_state_bytes.cpp (saving and loading): the per-customer aggregates, the logs of
// distinct values, and profile_state::impl with the two passes of an update.
#include "tierkit/profile.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "detail/customer_log.hpp"
#include "detail/decode.hpp"
#include "detail/fixed_point.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/prefetch.hpp"
#include "detail/text_values.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/error.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit {

// Internal to the profile state.
namespace profile_parts {

using detail::amount_record;
using detail::customer_log;
using detail::fixed128;
using detail::key_dictionary;
using detail::day_record;
using detail::value_record;


inline constexpr const char* fn = "tierkit.profile";
inline constexpr std::int64_t block_rows = 1024;
inline unsigned thread_count(const profile_config& c, std::size_t work) {
  return detail::threads_for_rows(work, c.threads);
}

// Per-customer running aggregates, one interleaved record of two cache lines per customer:
// the first holds all that a purchase or return line touches (sums, counts, first and last
// purchase day, the last purchase order), the second what optional columns and the spend
// series need. Caches skip logging repeats (the lines of one order, a customer's purchases
// of one day): a purchase day equal to last_purchase was logged when it became the last;
// last_order / last_return_order name the order most recently logged, valid once the
// customer has a purchase / return line. open_period and open_net hold the customer's
// current spend-series bucket until another period comes.
struct alignas(64) customer_agg {
  fixed128 gross = 0;
  fixed128 returned = 0;
  std::int64_t purchase_lines = 0;
  std::int64_t return_lines = 0;
  std::int64_t last_order = 0;
  std::int32_t first_purchase = std::numeric_limits<std::int32_t>::max();
  std::int32_t last_purchase = std::numeric_limits<std::int32_t>::min();
  // second cache line
  fixed128 quantity = 0;
  fixed128 open_net = 0;
  std::int64_t last_return_order = 0;
  std::int64_t last_channel = 0;
  std::int64_t last_category = 0;
  std::int32_t open_period = no_day;
  bool has_last_channel = false;
  bool has_last_category = false;

  std::int64_t lines() const noexcept { return purchase_lines + return_lines; }

  // Adds another state's totals. A cache stays this state's when it is valid here (what it
  // names is in this state's log); otherwise it takes the other's (in the other's log, which
  // joins this one).
  void add(const customer_agg& o) noexcept {
    if (purchase_lines == 0) last_order = o.last_order;
    if (return_lines == 0) last_return_order = o.last_return_order;
    gross += o.gross;
    returned += o.returned;
    quantity += o.quantity;
    purchase_lines += o.purchase_lines;
    return_lines += o.return_lines;
    first_purchase = std::min(first_purchase, o.first_purchase);
    last_purchase = std::max(last_purchase, o.last_purchase);
  }
};
static_assert(sizeof(customer_agg) == 128, "two cache lines per customer");

// The customers' aggregates in blocks of 4096 (one customer block each, see
// detail/customer_log.hpp): growing adds blocks and never moves the ones there, so a run
// over millions of new customers neither copies the aggregates nor touches their memory twice.
class customer_aggs {
 public:
  std::size_t size() const noexcept { return size_; }
  // New blocks are built (their memory first touched) on `threads` threads.
  void resize(std::size_t n, unsigned threads = 1) {
    const std::size_t have = blocks_.size();
    std::size_t want = have;
    while (want << detail::customer_block_shift < n) ++want;
    blocks_.resize(want);
    detail::parallel_blocks(want - have, threads, [&](std::size_t k, unsigned) {
      blocks_[have + k] = std::vector<customer_agg>(block_size);
    });
    size_ = std::max(size_, n);
  }
  customer_agg& operator[](std::size_t c) noexcept {
    return blocks_[c >> detail::customer_block_shift][c & (block_size - 1)];
  }
  const customer_agg& operator[](std::size_t c) const noexcept {
    return blocks_[c >> detail::customer_block_shift][c & (block_size - 1)];
  }

 private:
  static constexpr std::size_t block_size = std::size_t{1} << detail::customer_block_shift;
  std::vector<std::vector<customer_agg>> blocks_;
  std::size_t size_ = 0;
};

// Distinct values of an optional column per customer: the dictionary of its string values
// (unused for integer values) and the logs of (customer, value) records, values on purchase
// lines and (orders only) on return lines apart, so that each log of data in time order
// with increasing order ids arrives sorted.
struct distinct_log {
  detail::text_value_dictionary strings;
  customer_log<value_record> log;         // values on purchase lines
  customer_log<value_record> return_log;  // values on return lines

  // Takes in another state's records (customers through cmap); returns the map from the
  // other's text value codes to these (empty for integer values).
  detail::text_value_dictionary::code_map append(const distinct_log& o,
                                                 const std::vector<std::uint32_t>& cmap,
                                                 unsigned threads) {
    detail::text_value_dictionary::code_map vmap = strings.absorb(o.strings, threads);
    auto remap = [&](value_record r) {
      r.customer = cmap[r.customer];
      if (!vmap.empty()) r.value = vmap(r.value);
      return r;
    };
    log.append(o.log, remap);
    return_log.append(o.return_log, remap);
    return vmap;
  }
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

inline key_dictionary::kind kind_of(const column_view& c) {
  const data_type t = c.type == data_type::dictionary && c.dictionary ? c.dictionary->type : c.type;
  return is_string_like(t) ? key_dictionary::kind::string : key_dictionary::kind::integer;
}

// A dictionary that already holds keys of one kind rejects a column of the other kind.
inline void check_kind(const key_dictionary& d, const column_view& c, const char* role) {
  if (d.key_kind() == key_dictionary::kind::unset) return;
  key_dictionary probe;
  probe.require_kind(d.key_kind(), role);
  probe.require_kind(kind_of(c), role);
}
inline void check_kind(key_dictionary::kind k, const column_view& c, const char* role) {
  key_dictionary probe;
  probe.require_kind(k, role);
  probe.require_kind(kind_of(c), role);
}
inline key_dictionary::kind first_kind(const std::vector<transactions>& batches,
                                column_view transactions::*member) {
  return kind_of(batches.front().*member);
}

// The median of the gaps between k >= 2 ascending distinct days (days lie within
// the supported days of calendar.hpp, so gaps fit 32 bits). The gaps go to the stack (up to 48; longer histories
// to a reused buffer); up to 8 are sorted by insertion, more are selected (nth_element:
// about 2m comparisons where insertion takes m^2/4; finish() measured faster than with
// insertion up to 48 gaps).
inline double median_gap(const detail::day_record* first, std::ptrdiff_t k) {
  const auto m = static_cast<std::size_t>(k - 1);
  constexpr std::size_t small = 48;
  std::int32_t local[small];
  thread_local std::vector<std::int32_t> scratch;  // reused: no allocation per customer
  std::int32_t* gaps = local;
  if (m > small) {
    scratch.resize(m);
    gaps = scratch.data();
  }
  for (std::size_t i = 0; i < m; ++i) gaps[i] = first[i + 1].day - first[i].day;
  const std::size_t mid = m / 2;
  if (m <= 8) {  // a few gaps: insertion sort
    for (std::size_t i = 1; i < m; ++i) {
      const std::int32_t x = gaps[i];
      std::size_t j = i;
      for (; j > 0 && gaps[j - 1] > x; --j) gaps[j] = gaps[j - 1];
      gaps[j] = x;
    }
    return m % 2 == 1 ? gaps[mid] : (static_cast<double>(gaps[mid - 1]) + gaps[mid]) / 2.0;
  }
  std::nth_element(gaps, gaps + mid, gaps + m);
  double med = gaps[mid];
  if (m % 2 == 0) med = (med + static_cast<double>(*std::max_element(gaps, gaps + mid))) / 2.0;
  return med;
}

// Appends to a staging bucket and asks for its next lines (for writing) a few records
// ahead: they were written last chunk and have left the caches since, and loading them
// early lets the appends overlap their misses. (The address is formed in integers: it may
// lie past the buffer.)
template <class T>
void push_ahead(std::vector<T>& bucket, const T& x) {
  bucket.push_back(x);
  detail::prefetch(reinterpret_cast<const void*>(
      reinterpret_cast<std::uintptr_t>(bucket.data() + bucket.size()) + 8 * sizeof(T)));
}

inline bool same_zone(const time_zone& a, const time_zone& b) {
  return a.name() == b.name() && a.initial_offset() == b.initial_offset() &&
         a.transitions() == b.transitions() && a.offsets() == b.offsets();
}


}  // namespace profile_parts

using namespace profile_parts;  // only the profile state's own files include this header

struct profile_state::impl {
  profile_config config;
  key_dictionary customers;
  // Customer indices without a used row (keys numbered by value, see
  // detail::choose_key_numbering): finish() and customers() count only indices with lines;
  // merge() does not absorb another state's holes.
  bool holes = false;
  customer_aggs aggs;
  customer_log<day_record> days;  // distinct purchase days
  distinct_log orders;      // purchase orders in log, return orders in return_log
  distinct_log channels;    // purchase lines: (customer, channel)
  distinct_log categories;  // purchase lines: (customer, category)
  customer_log<amount_record> series;  // closed (customer, period, net) buckets
  bool shape_fixed = false;  // which optional columns are present, fixed by the first update
  bool has_orders = false;
  bool has_quantity = false;
  bool has_channels = false;
  bool has_categories = false;
  std::int32_t max_day = std::numeric_limits<std::int32_t>::min();
  validation_report report;
  // An update stopped (cancelled, or failed) after it began adding rows: the state holds
  // part of that update, so it refuses further use rather than give a wrong profile.
  bool interrupted = false;

  explicit impl(profile_config c) : config(std::move(c)) {}

  void check_usable() const {
    if (interrupted) {
      throw invalid_input(std::string(fn) + ": this profile state was interrupted (cancelled "
                          "or failed) while adding an update's rows, so it holds part of them; "
                          "start a new state (a new ProfileBuilder in Python) and add the rows "
                          "again");
    }
  }

  // Fixes which optional columns batches carry (on the first update) and checks every
  // batch against it and against the key kinds seen so far, before anything changes.
  void check_shape(const std::vector<transactions>& batches) const {
    const transactions& first = batches.front();
    column_shape want = shape_fixed ? column_shape{has_orders, has_quantity, has_channels,
                                                   has_categories}
                                    : column_shape::of(first);
    for (const transactions& b : batches) {
      want.check(column_shape::of(b));
      check_kind(customers, b.customer, "customer");
      check_kind(first_kind(batches, &transactions::customer), b.customer, "customer");
      if (b.order) check_values(orders, *b.order, first.order, "order");
      if (b.channel) check_values(channels, *b.channel, first.channel, "channel");
      if (b.category) check_values(categories, *b.category, first.category, "category");
    }
  }

  // Integer and string values of an optional column cannot mix across batches.
  static void check_values(const distinct_log& d, const column_view& c,
                           const std::optional<column_view>& first, const char* role) {
    const bool strings = detail::holds_strings(c);
    const bool had_strings = d.strings.size() > 0 || (first && detail::holds_strings(*first));
    const bool had_ints = (d.log.size() > 0 && d.strings.size() == 0) ||
                          (first && !detail::holds_strings(*first));
    if ((strings && had_ints) || (!strings && had_strings)) {
      throw schema_error(std::string(fn) + ": " + role + " values are " +
                         (strings ? "strings" : "integers") + " in this batch but " +
                         (strings ? "integers" : "strings") +
                         " in others; every batch must use the same kind");
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

  // One row of a chunk after decoding, filed under its block of customers.
  struct row_record {
    fixed128 amount;
    std::int64_t order;
    std::uint32_t customer;
    std::int32_t day;
  };
  struct row_extra {  // only when quantity, channel or category columns are given
    fixed128 quantity;
    std::int64_t channel;
    std::int64_t category;
  };
  struct piece {  // rows [begin, end) of batch `batch`
    std::size_t batch;
    std::int64_t begin, end;
  };

  // What one thread of pass 1 produces: its rows filed by customer block, and the rows
  // whose customer key was new, with the key's index in the thread's own dictionary of new
  // keys (filed once the new keys have joined the shared dictionary).
  struct pending_row {
    row_record rec;  // rec.customer: index in `new_keys`
    row_extra extra;
  };
  struct stage {
    std::vector<std::vector<row_record>> buckets;  // per customer block; reused between chunks
    std::vector<std::vector<row_extra>> extras;
    std::vector<pending_row> pending;
    key_dictionary new_keys;
    // Text values of orders, channels and categories: codes found, new ones set aside.
    std::array<detail::text_value_stage, 3> texts;
    std::int64_t used = 0, outside = 0;
    std::int32_t min_day = std::numeric_limits<std::int32_t>::max();
    std::int32_t max_day = std::numeric_limits<std::int32_t>::min();

    void reset(std::size_t blocks) {
      if (buckets.size() < blocks) {
        buckets.resize(blocks);
        extras.resize(blocks);
      }
      for (auto& v : buckets) v.clear();
      for (auto& v : extras) v.clear();
      pending.clear();
      new_keys.clear();
      for (auto& t : texts) t.reset();
      used = outside = 0;
      min_day = std::numeric_limits<std::int32_t>::max();
      max_day = std::numeric_limits<std::int32_t>::min();
    }
  };
  std::vector<stage> stages;      // per thread; reused between chunks

  // After the update: the staging buffers go.
  void end_update() { stages.clear(); }

  // Pass 1 for rows [from, to) of the chunk (global positions over `pieces`): decode every
  // column, look customer keys up without inserting, file known rows under their block of
  // 4096 customers and set rows with new keys aside.
  void decode_rows(const std::vector<transactions>& batches, const std::vector<piece>& pieces,
                   const std::vector<const std::uint8_t*>& masks,
                   std::vector<std::optional<detail::key_lookup>>& lookups, std::int64_t from,
                   std::int64_t to, stage& st) {
    const bool window = config.window_start.has_value();
    const std::int64_t lo = window ? *config.window_start : 0;
    const std::int64_t hi = (window && config.as_of) ? *config.as_of
                                                    : std::numeric_limits<std::int64_t>::max();
    const bool with_extra = has_quantity || has_channels || has_categories;
    const auto B = static_cast<std::size_t>(block_rows);
    std::vector<std::uint8_t> skip(B);
    std::vector<std::int64_t> day(B), ord(B, 0), chan(B, 0), cat(B, 0);
    std::vector<std::uint32_t> cust(B), local(B);  // index in customers / in st.new_keys
    std::vector<fixed128> amt(B), qty(B, 0);
    std::int64_t base = 0;
    for (std::size_t p = 0; p < pieces.size(); ++p) {
      const piece& pc = pieces[p];
      const std::int64_t len = pc.end - pc.begin;
      const std::int64_t b0 = std::max(from, base), b1 = std::min(to, base + len);
      base += len;
      if (b0 >= b1) continue;
      const transactions& b = batches[pc.batch];
      const std::uint8_t* invalid = masks[pc.batch];
      const detail::key_lookup& lookup = *lookups[pc.batch];
      // Optional key-like values: integers pass through; text values get their codes (or
      // placeholders for values new in this chunk, see detail/text_values.hpp).
      const std::array<const std::optional<column_view>*, 3> value_columns{&b.order, &b.channel, &b.category};
      const std::array<distinct_log*, 3> value_logs{&orders, &channels, &categories};
      const std::array<std::int64_t*, 3> value_out{ord.data(), chan.data(), cat.data()};
      std::array<std::optional<detail::value_encoder>, 3> int_values;
      for (std::size_t j = 0; j < 3; ++j) {
        const std::optional<column_view>& c = *value_columns[j];
        if (!c) continue;
        if (detail::holds_strings(*c)) {
          st.texts[j].forget_column();
        } else {
          int_values[j].emplace(*c);
        }
      }
      const std::int64_t first_row = pc.begin + (b0 - (base - len));
      const std::int64_t last_row = pc.begin + (b1 - (base - len));
      for (std::int64_t start = first_row; start < last_row; start += block_rows) {
        const std::int64_t n = std::min(block_rows, last_row - start);
        detail::decode_days(b.time, start, n, config.zone, day.data());
        for (std::int64_t i = 0; i < n; ++i) {
          std::uint8_t sk = invalid ? invalid[start + i] : 0;
          if (!sk && window && (day[i] < lo || day[i] >= hi)) {
            sk = 1;
            ++st.outside;
          }
          skip[i] = sk;
        }
        lookup.find(start, n, skip.data(), cust.data());
        lookup.insert_missing(start, n, skip.data(), cust.data(), local.data(), st.new_keys);
        detail::decode_fixed(b.amount, start, n, amt.data());
        for (std::size_t j = 0; j < 3; ++j) {
          if (int_values[j]) {
            int_values[j]->encode(start, n, skip.data(), value_out[j]);
          } else if (*value_columns[j]) {
            st.texts[j].encode(value_logs[j]->strings, **value_columns[j], start, n,
                               base - len + (start - pc.begin), skip.data(), value_out[j]);
          }
        }
        if (has_quantity) detail::decode_fixed(*b.quantity, start, n, qty.data());
        for (std::int64_t i = 0; i < n; ++i) {
          if (skip[i]) continue;
          ++st.used;
          const auto d = static_cast<std::int32_t>(day[i]);
          st.min_day = std::min(st.min_day, d);
          st.max_day = std::max(st.max_day, d);
          if (cust[i] == key_dictionary::no_index) {
            st.pending.push_back(
                pending_row{row_record{amt[i], ord[i], local[i], d}, row_extra{qty[i], chan[i], cat[i]}});
            continue;
          }
          const row_record rec{amt[i], ord[i], cust[i], d};
          const std::size_t blk = cust[i] >> detail::customer_block_shift;
          push_ahead(st.buckets[blk], rec);
          if (with_extra) push_ahead(st.extras[blk], row_extra{qty[i], chan[i], cat[i]});
        }
      }
    }
  }

  // Aggregates the rows of `pieces` (validated; `masks[batch]` marks rows to leave out) in
  // two passes. Pass 1 decodes every column, maps keys to customer indices and files each
  // row under its block of 4096 customers, on several threads (each takes a contiguous
  // share of the rows; keys met for the first time are inserted afterwards, in row order).
  // Pass 2 aggregates block by block, on several threads: a block's customer records stay
  // in cache, and blocks never share a customer.
  void aggregate_chunk(const std::vector<transactions>& batches, const std::vector<piece>& pieces,
                       const std::vector<const std::uint8_t*>& masks, unsigned threads) {
    const bool with_extra = has_quantity || has_channels || has_categories;
    std::int64_t rows = 0;
    for (const piece& pc : pieces) rows += pc.end - pc.begin;
    // Which of orders, channels and categories hold text (every batch alike, see
    // check_values).
    std::array<bool, 3> text_values{false, false, false};
    const std::array<std::optional<column_view> transactions::*, 3> value_members{
        &transactions::order, &transactions::channel, &transactions::category};
    std::vector<std::optional<detail::key_lookup>> lookups(batches.size());
    for (const piece& pc : pieces) {
      const transactions& b = batches[pc.batch];
      if (!lookups[pc.batch]) {
        customers.require_kind(kind_of(b.customer), "customer");
        lookups[pc.batch].emplace(b.customer, customers, "customer");
      }
      for (std::size_t j = 0; j < 3; ++j) {
        const std::optional<column_view>& c = b.*value_members[j];
        if (c && detail::holds_strings(*c)) text_values[j] = true;
      }
    }
    const unsigned decode_threads = detail::threads_for_rows(static_cast<std::size_t>(rows), threads);
    if (stages.size() < decode_threads) stages.resize(decode_threads);
    const std::size_t blocks = detail::customer_blocks(customers.size());
    for (unsigned t = 0; t < decode_threads; ++t) stages[t].reset(blocks);
    detail::parallel_blocks(decode_threads, decode_threads, [&](std::size_t t, unsigned) {
      const std::int64_t from = rows * static_cast<std::int64_t>(t) / decode_threads;
      const std::int64_t to = rows * static_cast<std::int64_t>(t + 1) / decode_threads;
      decode_rows(batches, pieces, masks, lookups, from, to, stages[t]);
    });

    // Text values new in this chunk join their dictionaries, shard by shard on all threads
    // (in row order within each shard, so their codes do not depend on the thread count).
    const std::array<distinct_log*, 3> value_logs{&orders, &channels, &categories};
    if (text_values[0] || text_values[1] || text_values[2]) {
      std::vector<std::int64_t> piece_start(pieces.size() + 1, 0);
      for (std::size_t p = 0; p < pieces.size(); ++p) {
        piece_start[p + 1] = piece_start[p] + (pieces[p].end - pieces[p].begin);
      }
      for (std::size_t j = 0; j < 3; ++j) {
        if (!text_values[j]) continue;
        std::vector<column_view> indices(pieces.size());  // of dictionary columns
        for (std::size_t p = 0; p < pieces.size(); ++p) {
          const column_view& c = *(batches[pieces[p].batch].*value_members[j]);
          if (c.type == data_type::dictionary) indices[p] = detail::dictionary_indices(c);
        }
        std::vector<detail::text_value_stage*> texts;
        for (unsigned t = 0; t < decode_threads; ++t) texts.push_back(&stages[t].texts[j]);
        detail::insert_new_values(value_logs[j]->strings, texts, threads, [&](std::uint32_t position) {
          const auto p = static_cast<std::size_t>(
              std::upper_bound(piece_start.begin(), piece_start.end(), position) - piece_start.begin() - 1);
          const column_view& c = *(batches[pieces[p].batch].*value_members[j]);
          const std::int64_t row = pieces[p].begin + (position - piece_start[p]);
          if (c.type != data_type::dictionary) return detail::string_value(c, row);
          return detail::string_value(*c.dictionary, detail::int_value(indices[p], row));
        });
      }
    }

    // New customers join the shared dictionary thread by thread (thread 0's rows come
    // first, so keys are numbered in row order); then every thread files its set-aside
    // rows under their blocks.
    std::int64_t used = 0, outside = 0;
    std::int32_t min_day = std::numeric_limits<std::int32_t>::max();
    std::int32_t top_day = std::numeric_limits<std::int32_t>::min();
    std::vector<std::vector<std::uint32_t>> local_to_global(decode_threads);
    for (unsigned t = 0; t < decode_threads; ++t) {
      stage& st = stages[t];
      used += st.used;
      outside += st.outside;
      min_day = std::min(min_day, st.min_day);
      top_day = std::max(top_day, st.max_day);
      local_to_global[t] = customers.absorb(st.new_keys);
    }
    const std::size_t blocks_now = detail::customer_blocks(customers.size());
    detail::parallel_blocks(decode_threads, decode_threads, [&](std::size_t t, unsigned) {
      stage& st = stages[t];
      resolve_text_values(st, text_values);
      if (st.buckets.size() < blocks_now) {
        st.buckets.resize(blocks_now);
        st.extras.resize(blocks_now);
      }
      for (pending_row& p : st.pending) {
        p.rec.customer = local_to_global[t][p.rec.customer];
        const std::size_t blk = p.rec.customer >> detail::customer_block_shift;
        st.buckets[blk].push_back(p.rec);
        if (with_extra) st.extras[blk].push_back(p.extra);
      }
    });
    if (aggs.size() < customers.size()) aggs.resize(customers.size(), threads);
    report.rows_outside_window += outside;
    if (used == 0) return;
    max_day = std::max(max_day, top_day);

    // Period of every day of the chunk, looked up instead of computed per row.
    std::vector<std::int32_t> period_of;
    if (config.spend_series && static_cast<std::int64_t>(top_day) - min_day < (1 << 22)) {
      period_of.resize(static_cast<std::size_t>(top_day - min_day) + 1);
      for (std::int32_t d = min_day; d <= top_day; ++d) {
        period_of[static_cast<std::size_t>(d - min_day)] = period_start(config.period, d);
      }
    }

    // Blocks are aggregated on all threads; a block's records go to its own part of each
    // log, so threads never share one.
    days.reserve_customers(customers.size());  // its appenders are made (and left unused) either way
    for (auto* log : {&orders.log, &orders.return_log, &channels.log, &categories.log}) {
      log->reserve_customers(customers.size());
    }
    series.reserve_customers(customers.size());
    std::size_t all_blocks = 0;
    for (unsigned t = 0; t < decode_threads; ++t) all_blocks = std::max(all_blocks, stages[t].buckets.size());
    detail::parallel_blocks(all_blocks, threads, [&](std::size_t blk, unsigned) {
      for (unsigned s = 0; s < decode_threads; ++s) {
        if (blk >= stages[s].buckets.size()) continue;
        aggregate_block(stages[s].buckets[blk], with_extra ? &stages[s].extras[blk] : nullptr,
                        period_of, min_day);
      }
    });
    report.rows_used += used;
  }

  // Gives a thread's rows with text values new in their chunk the values' codes (after
  // insert_new_values).
  static void resolve_text_values(stage& st, const std::array<bool, 3>& text_values) {
    if (!(text_values[0] || text_values[1] || text_values[2])) return;
    auto resolve = [&](std::size_t j, std::int64_t& v) {
      if (detail::text_value_stage::is_placeholder(v)) v = st.texts[j].resolve(v);
    };
    auto resolve_extra = [&](row_extra& e) {
      if (text_values[1]) resolve(1, e.channel);
      if (text_values[2]) resolve(2, e.category);
    };
    for (auto& bucket : st.buckets) {
      if (text_values[0]) {
        for (row_record& r : bucket) resolve(0, r.order);
      }
    }
    if (text_values[1] || text_values[2]) {
      for (auto& extras : st.extras) {
        for (row_extra& e : extras) resolve_extra(e);
      }
    }
    for (pending_row& p : st.pending) {
      if (text_values[0]) resolve(0, p.rec.order);
      resolve_extra(p.extra);
    }
  }

  void aggregate_block(const std::vector<row_record>& rows, const std::vector<row_extra>* extra,
                       const std::vector<std::int32_t>& period_of,
                       std::int32_t min_day) {
    if (rows.empty()) return;
    const bool series_on = config.spend_series;
    const bool days_on = config.purchase_days;
    // All rows are of one block of customers: its logs' open segments are kept at hand.
    const std::size_t blk = rows.front().customer >> detail::customer_block_shift;
    auto day_log = days.appender(blk);
    auto order_log = orders.log.appender(blk);
    auto return_order_log = orders.return_log.appender(blk);
    auto channel_log = channels.log.appender(blk);
    auto category_log = categories.log.appender(blk);
    auto series_log = series.appender(blk);
    constexpr std::size_t ahead = 16;  // prefetch distance: overlaps the records' cache misses
    for (std::size_t k = 0; k < std::min(ahead, rows.size()); ++k) {
      detail::prefetch(&aggs[rows[k].customer]);
    }
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (k + ahead < rows.size()) detail::prefetch(&aggs[rows[k + ahead].customer]);
      const row_record& r = rows[k];
      const std::uint32_t c = r.customer;
      const std::int32_t d = r.day;
      const fixed128 a = r.amount;
      const bool purchase = a >= 0;
      customer_agg& g = aggs[c];
      // The order caches are read before the line counts say whether they are valid.
      const bool log_order =
          has_orders && (purchase ? (g.purchase_lines == 0 || r.order != g.last_order)
                                  : (g.return_lines == 0 || r.order != g.last_return_order));
      if (purchase) {
        if (d != g.last_purchase) {  // equal: logged when it became the last purchase day
          if (days_on) day_log.push(day_record{c, d});
          g.last_purchase = std::max(g.last_purchase, d);
        }
        g.gross += a;
        ++g.purchase_lines;
        g.first_purchase = std::min(g.first_purchase, d);
      } else {
        g.returned -= a;
        ++g.return_lines;
      }
      if (series_on) {
        const std::int32_t p = period_of.empty()
                                   ? period_start(config.period, d)
                                   : period_of[static_cast<std::size_t>(d - min_day)];
        if (p != g.open_period) {
          if (g.open_period != no_day) {
            series_log.push(amount_record::make(c, g.open_period, g.open_net));
          }
          g.open_period = p;
          g.open_net = 0;
        }
        g.open_net += a;
      }
      if (log_order) {
        (purchase ? g.last_order : g.last_return_order) = r.order;
        (purchase ? order_log : return_order_log).push(value_record{c, r.order});
      }
      if (extra) {
        const row_extra& x = (*extra)[k];
        if (has_quantity) g.quantity += x.quantity;
        if (purchase && has_channels && (!g.has_last_channel || x.channel != g.last_channel)) {
          g.last_channel = x.channel;
          g.has_last_channel = true;
          channel_log.push(value_record{c, x.channel});
        }
        if (purchase && has_categories &&
            (!g.has_last_category || x.category != g.last_category)) {
          g.last_category = x.category;
          g.has_last_category = true;
          category_log.push(value_record{c, x.category});
        }
      }
    }
  }

  // Threads for grouping a log: its work is a pass over its records and a step per customer
  // index (every block's customers are walked, with records or not), so both count: a few
  // thousand customers may have millions of records, and 10^7 customers few returns.
  template <class Record>
  unsigned threads_for_log(const detail::customer_log<Record>& log, std::size_t customer_indices) const {
    return thread_count(config, log.size() + customer_indices);
  }

  // Compaction bounds the logs of a long stream of updates and merges; it runs before more
  // records arrive, not after, so that a one-shot profile (update, finish) groups its logs
  // once, in finish().
  void compact_logs() {
    const std::size_t n = customers.size();
    auto compact = [&](auto& log) { log.maybe_compact(n, threads_for_log(log, n)); };
    compact(days);
    compact(orders.log);
    compact(orders.return_log);
    compact(channels.log);
    compact(channels.return_log);
    compact(categories.log);
    compact(categories.return_log);
    compact(series);
  }

  void check_compatible(const impl& o, bool windows_checked = false) const {
    auto differ = [](const char* what) {
      throw invalid_input(std::string(fn) + ": cannot merge profile states whose " + what +
                          " differ; build every partial state with the same configuration");
    };
    if (!windows_checked && config.as_of != o.config.as_of) differ("as_of dates");
    if (!windows_checked && config.window_start != o.config.window_start) differ("window starts");
    if (!same_zone(config.zone, o.config.zone)) differ("time zones");
    if (config.period != o.config.period || config.spend_series != o.config.spend_series) {
      differ("spend series settings");
    }
    if (config.purchase_days != o.config.purchase_days) differ("purchase days settings");
    if (shape_fixed && o.shape_fixed &&
        (has_orders != o.has_orders || has_quantity != o.has_quantity ||
         has_channels != o.has_channels || has_categories != o.has_categories)) {
      differ("optional columns (order, quantity, channel, category)");
    }
  }

  void merge(const impl& o, bool windows_checked = false) {
    check_compatible(o, windows_checked);
    if (!shape_fixed && o.shape_fixed) {
      shape_fixed = true;
      has_orders = o.has_orders;
      has_quantity = o.has_quantity;
      has_channels = o.has_channels;
      has_categories = o.has_categories;
    }
    compact_logs();
    // The other state's holes (indices no row came for) are not customers: not absorbed
    // (they map to no_index and have no records in any log).
    std::vector<std::uint8_t> present;
    if (o.holes) {
      present.resize(o.customers.size());
      for (std::size_t j = 0; j < present.size(); ++j) present[j] = o.aggs[j].lines() > 0;
    }
    const std::vector<std::uint32_t> cmap = customers.absorb(o.customers, o.holes ? &present : nullptr);
    aggs.resize(customers.size(), thread_count(config, customers.size()));
    const unsigned value_threads = thread_count(config, o.orders.strings.size());
    const auto order_codes = orders.append(o.orders, cmap, value_threads);
    channels.append(o.channels, cmap, value_threads);
    categories.append(o.categories, cmap, value_threads);
    for (std::size_t j = 0; j < cmap.size(); ++j) {
      if (cmap[j] == key_dictionary::no_index) continue;
      customer_agg g = o.aggs[j];
      // The order caches name text orders by the other state's codes (valid once the
      // customer has lines of that kind there).
      if (!order_codes.empty()) {
        if (g.purchase_lines > 0) g.last_order = order_codes(g.last_order);
        if (g.return_lines > 0) g.last_return_order = order_codes(g.last_return_order);
      }
      aggs[cmap[j]].add(g);
    }
    days.append(o.days, [&](day_record r) {
      r.customer = cmap[r.customer];
      return r;
    });
    series.append(o.series, [&](amount_record r) {
      r.customer = cmap[r.customer];
      return r;
    });
    // The other state's open buckets become closed records here.
    for (std::size_t j = 0; j < cmap.size(); ++j) {
      if (cmap[j] != key_dictionary::no_index && o.aggs[j].open_period != no_day) {
        series.push(amount_record::make(cmap[j], o.aggs[j].open_period, o.aggs[j].open_net));
      }
    }
    max_day = std::max(max_day, o.max_day);
    report.merge(o.report);
  }
};

}  // namespace tierkit
