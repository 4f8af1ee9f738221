#include "tierkit/profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <thread>

#include "detail/byte_io.hpp"
#include "detail/cancel_point.hpp"
#include "detail/chunk_rows.hpp"
#include "detail/customer_log.hpp"
#include "detail/decode.hpp"
#include "detail/fixed_point.hpp"
#include "detail/huge_pages.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/key_numbering.hpp"
#include "detail/prefetch.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "detail/text_values.hpp"
#include "detail/validate.hpp"
#include "over_time/period_table_impl.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

using detail::amount_record;
using detail::customer_log;
using detail::fixed128;
using detail::key_dictionary;
using detail::day_record;
using detail::value_record;

namespace {

constexpr const char* fn = "tierkit.profile";
constexpr std::int64_t block_rows = 1024;
unsigned thread_count(const profile_config& c, std::size_t work) {
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

// The median of the gaps between k >= 2 ascending distinct days (days lie within
// the supported days of calendar.hpp, so gaps fit 32 bits). The gaps go to the stack (up to 48; longer histories
// to a reused buffer); up to 8 are sorted by insertion, more are selected (nth_element:
// about 2m comparisons where insertion takes m^2/4; finish() measured faster than with
// insertion up to 48 gaps).
double median_gap(const detail::day_record* first, std::ptrdiff_t k) {
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

bool same_zone(const time_zone& a, const time_zone& b) {
  return a.name() == b.name() && a.initial_offset() == b.initial_offset() &&
         a.transitions() == b.transitions() && a.offsets() == b.offsets();
}

}  // namespace

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

profile_state::profile_state(profile_config config)
    : impl_(std::make_unique<impl>(std::move(config))) {
  if (impl_->config.as_of && impl_->config.window_start &&
      *impl_->config.window_start >= *impl_->config.as_of) {
    throw invalid_input(std::string(fn) + ": window_start " +
                        format_day(*impl_->config.window_start) + " must be before as_of " +
                        format_day(*impl_->config.as_of));
  }
  for (auto d : {impl_->config.as_of, impl_->config.window_start}) {
    if (d && !is_supported_day(*d)) {
      throw invalid_input(std::string(fn) + ": as_of and window_start must lie within the "
                          "supported dates 0001-01-01 to 9999-12-31; got day " +
                          std::to_string(*d) + " (" + format_day(*d) + ")");
    }
  }
  detail::check_valid_days(fn, impl_->config.valid_dates);
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
std::size_t profile_state::customers() const noexcept {
  const impl& s = *impl_;
  if (!s.holes) return s.customers.size();
  std::size_t n = 0;
  for (std::size_t c = 0; c < s.customers.size(); ++c) n += s.aggs[c].lines() > 0;
  return n;
}

void profile_state::update(const transactions& batch) {
  update(std::vector<transactions>{batch});
}

void profile_state::update(const std::vector<transactions>& batches) {
  impl& s = *impl_;
  s.check_usable();
  if (batches.empty()) return;
  detail::cancel_point cancel(fn);
  // 1. Shape: every batch, before anything changes.
  for (const transactions& b : batches) b.check_schema(fn);
  s.check_shape(batches);
  s.fix_shape(batches.front());
  // 2. Rows: validate every batch; raise before aggregating anything.
  detail::validation_options vo;
  vo.function = fn;
  vo.zone = &s.config.zone;
  vo.valid_days = s.config.valid_dates;
  vo.threads = s.config.threads;
  vo.cancel = &cancel;
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
  // 3. Aggregate, in chunks of rows (bounding the transient buffers), on several threads
  //    when the input is large enough. Cancellation is looked for before each chunk; once a
  //    chunk has been added, any exception leaves the state interrupted (see impl).
  cancel.check();
  bool adding = false;
  try {
    const unsigned threads = thread_count(s.config, static_cast<std::size_t>(total));
    std::vector<const std::uint8_t*> masks;
    for (const auto& c : checks) masks.push_back(c.invalid.empty() ? nullptr : c.invalid.data());
    std::vector<impl::piece> chunk;
    std::int64_t chunk_size = 0;
    s.compact_logs();
    std::vector<const column_view*> keys;
    for (const transactions& b : batches) keys.push_back(&b.customer);
    if (detail::choose_key_numbering(s.customers, keys, total, threads)) {
      s.holes = true;
      s.aggs.resize(s.customers.size(), threads);
    }
    const std::int64_t chunk_rows = detail::chunk_rows_for(total, s.customers);
    for (std::size_t i = 0; i < batches.size(); ++i) {
      for (std::int64_t r = 0; r < batches[i].rows();) {
        const std::int64_t take = std::min(batches[i].rows() - r, chunk_rows - chunk_size);
        chunk.push_back(impl::piece{i, r, r + take});
        chunk_size += take;
        r += take;
        if (chunk_size == chunk_rows) {
          cancel.check();
          adding = true;
          s.aggregate_chunk(batches, chunk, masks, threads);
          chunk.clear();
          chunk_size = 0;
        }
      }
    }
    if (!chunk.empty()) {
      cancel.check();
      adding = true;
      s.aggregate_chunk(batches, chunk, masks, threads);
    }
    s.end_update();
  } catch (...) {
    if (adding) s.interrupted = true;
    throw;
  }
  batch_report.rows_used = 0;  // counted by aggregate_chunk()
  s.report.merge(batch_report);
}

void profile_state::merge(const profile_state& other) {
  if (this == &other) {
    throw invalid_input(std::string(fn) + ": cannot merge a profile state with itself");
  }
  impl_->check_usable();
  other.impl_->check_usable();
  impl_->merge(*other.impl_);
}

void profile_state::merge_window(const profile_state& other) {
  if (this == &other) {
    throw invalid_input(std::string(fn) + ": cannot merge a profile state with itself");
  }
  impl_->check_usable();
  other.impl_->check_usable();
  profile_config& a = impl_->config;
  const profile_config& b = other.impl_->config;
  if (!a.as_of || !a.window_start || !b.as_of || !b.window_start) {
    throw invalid_input(std::string(fn) + ": merge_window needs states with explicit windows "
                        "(as_of and window_start); use merge() for partial states of one window");
  }
  if (*b.window_start < *a.as_of && *a.window_start < *b.as_of) {
    throw invalid_input(std::string(fn) + ": cannot merge the windows [" + format_day(*a.window_start) +
                        ", " + format_day(*a.as_of) + ") and [" + format_day(*b.window_start) + ", " +
                        format_day(*b.as_of) + "): they overlap");
  }
  impl_->merge(*other.impl_, true);
  a.window_start = std::min(*a.window_start, *b.window_start);
  a.as_of = std::max(*a.as_of, *b.as_of);
}

std::int64_t profile_state::rows_used() const noexcept { return impl_->report.rows_used; }

profile profile_state::finish() const { return finish(false); }

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
  const validation_report& rep = s.report;
  w.put<std::int64_t>(rep.rows_read);
  w.put<std::int64_t>(rep.rows_used);
  w.put<std::int64_t>(rep.rows_dropped);
  w.put<std::int64_t>(rep.rows_outside_window);
  w.put<std::uint64_t>(rep.dropped.size());
  for (const row_issue& i : rep.dropped) {
    w.put_text(i.column);
    w.put_text(i.problem);
    w.put<std::int64_t>(i.rows);
  }
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
  validation_report& rep = s.report;
  rep.rows_read = r.get<std::int64_t>();
  rep.rows_used = r.get<std::int64_t>();
  rep.rows_dropped = r.get<std::int64_t>();
  rep.rows_outside_window = r.get<std::int64_t>();
  const auto issues = r.get<std::uint64_t>();
  if (issues > 1000) r.fail("too many row issues");
  for (std::uint64_t i = 0; i < issues; ++i) {
    row_issue x;
    x.column = r.get_text();
    x.problem = r.get_text();
    x.rows = r.get<std::int64_t>();
    rep.dropped.push_back(std::move(x));
  }
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
    if (!day_ok(g.first_purchase) || !day_ok(g.last_purchase) || !day_ok(g.open_period)) {
      r.fail("a customer's days");
    }
  }
  if (s.max_day != std::numeric_limits<std::int32_t>::min() && !is_supported_day(s.max_day)) {
    r.fail("the last day");
  }
  if (rep.rows_read < 0 || rep.rows_used < 0 || rep.rows_dropped < 0 || rep.rows_outside_window < 0) {
    r.fail("the row counts");
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
