#pragma once
// Append-only per-customer logs for exact distinct counts and per-period sums.
//
// Hash sets of (customer, value) pairs cost a cache miss per row and are as expensive to
// merge as to build. Instead, the kernel appends records (sequential writes; a per-customer
// "last value" cache in the customer's own aggregate skips most repeats) to the log of the
// customer's block of 4096 customers, and a log is deduplicated by grouping on customer,
// block by block in cache: a counting sort on the customer, and a sort of a customer's few
// records when they did not arrive in order. Merging two states appends one log to the
// other. Logs compact themselves when they grow, so memory stays proportional to the
// distinct pairs.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/fixed_point.hpp"
#include "detail/hash.hpp"
#include "detail/worker_pool.hpp"

namespace tierkit::detail {

// Customers are processed in blocks of 2^block_shift consecutive indices: a block's
// aggregates (128 bytes each) fill half of a 1 MiB L2 cache.
inline constexpr unsigned customer_block_shift = 12;

inline std::size_t customer_blocks(std::size_t customers) noexcept {
  return (customers >> customer_block_shift) + 1;
}

// Runs body(t) for t in [0, threads) on the calling thread and pooled workers (see
// detail/worker_pool.hpp; the caller runs body(0) first: its caches hold what it just made)
// and, once all have finished, rethrows the exception of the lowest throwing t. Every t
// runs once, whatever happens: indices no worker takes (none could be started, or all are
// busy) the caller runs itself.
template <class Body>
void run_on_threads(unsigned threads, Body body) {
  if (threads <= 1) {
    body(0u);
    return;
  }
  run_pooled(threads, std::function<void(unsigned)>(std::ref(body)));
}

inline unsigned threads_for(std::size_t blocks, unsigned threads) noexcept {
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, blocks)));
}

// Below this many rows (or customers) per thread, a second thread costs more than it gives:
// a region of two threads is cheap while the pooled worker still spins from the last one,
// but waking a worker that has gone to sleep costs the caller far more than a small share
// of rows saves.
inline constexpr std::size_t min_rows_per_thread = std::size_t{1} << 16;

// Threads for a job over `rows` rows: at most `threads` (0: all cores), at most one per
// min_rows_per_thread rows, at least one.
inline unsigned threads_for_rows(std::size_t rows, unsigned threads = 0) noexcept {
  const unsigned most = threads ? threads : usable_cpus();
  return threads_for(rows / min_rows_per_thread, most);
}

// Runs f(block, thread) for every block in [0, blocks) on `threads` threads; blocks are
// handed out one at a time, in order, so uneven blocks balance. On failure it rethrows the
// error of the lowest failing block, as a single thread would, whatever the timing: blocks
// are handed out in order, so every block below a failure has been started, and blocks
// above the lowest failure so far are skipped.
template <class F>
void parallel_blocks(std::size_t blocks, unsigned threads, F f) {
  const unsigned n = threads_for(blocks, threads);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> lowest_failure{blocks};
  std::vector<std::pair<std::size_t, std::exception_ptr>> failure(n, {blocks, nullptr});
  run_on_threads(n, [&](unsigned t) {
    for (std::size_t b = next++; b < blocks && b < lowest_failure; b = next++) {
      try {
        f(b, t);
      } catch (...) {
        failure[t] = {b, std::current_exception()};
        std::size_t seen = lowest_failure;
        while (b < seen && !lowest_failure.compare_exchange_weak(seen, b)) {
        }
        return;
      }
    }
  });
  const auto first = std::min_element(failure.begin(), failure.end(),
                                      [](const auto& a, const auto& b) { return a.first < b.first; });
  if (first != failure.end() && first->second) std::rethrow_exception(first->second);
}

// Runs independent tasks on `threads` threads (one task at a time each); rethrows the
// error of the first failing task in list order.
inline void run_tasks(const std::vector<std::function<void()>>& tasks, unsigned threads) {
  parallel_blocks(tasks.size(), threads, [&](std::size_t k, unsigned) { tasks[k](); });
}

// (customer, value): a distinct-count record (orders, channels, categories; kinds counted
// apart live in logs of their own). 12 bytes, 4-byte aligned: the order logs are the
// largest memory of a profile after the aggregates (one record per order and customer).
#pragma pack(push, 4)
struct value_record {
  std::uint32_t customer;
  std::int64_t value;

  bool operator<(const value_record& o) const noexcept { return value < o.value; }
  bool same(const value_record& o) const noexcept { return value == o.value; }
  void absorb(const value_record&) noexcept {}
  // Only distinct records count (orders, channels, categories): their order does not matter,
  // so repeats are dropped by hashing instead of sorting.
  static constexpr bool ordered = false;
  std::uint64_t hash(const hash_key& key) const noexcept { return hash_int(static_cast<std::uint64_t>(value), key); }
};
#pragma pack(pop)
static_assert(sizeof(value_record) == 12, "value records pack into 12 bytes");

// (customer, day): a distinct purchase day; 8 bytes, as days are a large log.
struct day_record {
  std::uint32_t customer;
  std::int32_t day;

  bool operator<(const day_record& o) const noexcept { return day < o.day; }
  bool same(const day_record& o) const noexcept { return day == o.day; }
  void absorb(const day_record&) noexcept {}
  static constexpr bool ordered = true;  // gaps between consecutive days
};

// (customer, period, amount): a per-period sum record. The amount is a fixed128 split in
// two words so that the record packs into 24 bytes.
struct amount_record {
  std::uint32_t customer;
  std::int32_t period;
  std::uint64_t lo;
  std::int64_t hi;

  static amount_record make(std::uint32_t c, std::int32_t p, fixed128 v) noexcept {
    amount_record r{c, p, 0, 0};
    r.lo = static_cast<std::uint64_t>(v);
    r.hi = static_cast<std::int64_t>(v >> 64);
    return r;
  }
  fixed128 amount() const noexcept {
    return static_cast<fixed128>(
        (static_cast<detail::uint128>(static_cast<std::uint64_t>(hi)) << 64) | lo);
  }
  bool operator<(const amount_record& o) const noexcept { return period < o.period; }
  bool same(const amount_record& o) const noexcept { return period == o.period; }
  static constexpr bool ordered = true;  // the series runs by period
  void absorb(const amount_record& o) noexcept { *this = make(customer, period, amount() + o.amount()); }
};

// Records grouped by customer: customer c's distinct (merged) records are
// records[begin[c], end[c]), in customer order; sorted for ordered records (days, periods).
template <class Record>
struct grouped_records {
  std::vector<Record> records;
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> end;
};

// A log of records filed by block of customers as they arrive: block b holds the records
// of customers [b * 4096, (b + 1) * 4096), in arrival order, in segments that grow from
// 256 to 8,192 records and are never reallocated. Grouping a block then needs no pass over
// the other blocks' records, and memory is only what the records take. Different blocks
// may be written from different threads at once (after reserve_customers); one block from
// one thread at a time. Logs compact themselves when they grow (merging repeats), so
// memory stays proportional to the distinct records.
template <class Record>
class customer_log {
 public:
  using segments = std::vector<std::vector<Record>>;
  using record_type = Record;
  // Compacting costs a pass over the log; below this size it is not worth it.
  static constexpr std::size_t default_min_compact = std::size_t{1} << 24;
  static constexpr std::size_t first_segment = 256, max_segment = std::size_t{1} << 13;

  explicit customer_log(std::size_t min_compact = default_min_compact)
      : min_compact_(min_compact), next_compact_(min_compact) {}

  std::size_t blocks() const noexcept { return blocks_.size(); }
  // Block b's segments (empty when the log has no such block).
  const segments& block(std::size_t b) const noexcept {
    static const segments none;
    return b < blocks_.size() ? blocks_[b] : none;
  }
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const segments& b : blocks_) {
      for (const auto& s : b) n += s.size();
    }
    return n;
  }

  // Makes room for customers below `customers`: then push_reserved may run on threads.
  void reserve_customers(std::size_t customers) {
    if (blocks_.size() < customer_blocks(customers)) blocks_.resize(customer_blocks(customers));
  }
  void push(const Record& r) {
    reserve_customers(std::size_t{r.customer} + 1);
    push_reserved(r);
  }
  void push_reserved(const Record& r) { appender(r.customer >> customer_block_shift).push(r); }

  // Appends records of block b (after reserve_customers), keeping the block's open segment
  // at hand: a run of one block's records (the profile aggregates block by block) skips
  // finding it again per record. One appender per block at a time.
  class block_appender {
   public:
    explicit block_appender(segments& b) : block_(b), open_(b.empty() ? nullptr : &b.back()) {}
    void push(const Record& r) {
      if (open_ == nullptr || open_->size() == open_->capacity()) open_segment();
      open_->push_back(r);
    }

   private:
    void open_segment() {
      const std::size_t cap = open_ == nullptr ? first_segment : std::min(max_segment, 2 * open_->capacity());
      block_.emplace_back();  // may move the other segments' handles, never their records
      open_ = &block_.back();
      open_->reserve(cap);
    }
    segments& block_;
    std::vector<Record>* open_;
  };
  block_appender appender(std::size_t b) { return block_appender(blocks_[b]); }

  // Appends `other`'s records with customers (and, for value records, values) remapped.
  template <class Remap>
  void append(const customer_log& other, Remap remap) {
    for (const segments& b : other.blocks_) {
      for (const auto& s : b) {
        for (const Record& r : s) push(remap(r));
      }
    }
  }

  // Compacts when due; `customers` bounds the customer indices.
  void maybe_compact(std::size_t customers, unsigned threads) {
    if (size() >= next_compact_) compact(customers, threads);
  }
  // Every block becomes one segment of its customers' merged records, in customer order.
  void compact(std::size_t customers, unsigned threads);

 private:
  std::vector<segments> blocks_;
  std::size_t min_compact_;
  std::size_t next_compact_;
};

// A thread's working memory for grouping blocks, reused from block to block.
template <class Record>
struct group_scratch {
  std::vector<Record> records;
  std::vector<std::int64_t> start;
  std::vector<std::uint32_t> table;
};

// Keeps the first of each set of equal records of [lo, hi), in their order; returns the new
// end. A few records are checked against those kept; more go through an open-addressing
// table of positions.
template <class Record>
Record* distinct_in_order(Record* lo, Record* hi, std::vector<std::uint32_t>& table) {
  constexpr std::uint32_t empty = ~std::uint32_t{0};
  const auto n = static_cast<std::size_t>(hi - lo);
  if (n <= 16) {
    Record* kept = lo + 1;
    for (Record* it = lo + 1; it != hi; ++it) {
      if (std::none_of(lo, kept, [&](const Record& k) { return k.same(*it); })) *kept++ = *it;
    }
    return kept;
  }
  std::size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  table.assign(cap, empty);
  const hash_key& key = process_hash_key();  // order ids are data: keyed, as key_dictionary's
  std::uint32_t kept = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Record r = lo[i];
    std::size_t h = r.hash(key) & (cap - 1);
    bool seen = false;
    for (; table[h] != empty; h = (h + 1) & (cap - 1)) {
      if (lo[table[h]].same(r)) {
        seen = true;
        break;
      }
    }
    if (seen) continue;
    table[h] = kept;
    lo[kept++] = r;
  }
  return lo + kept;
}

// Groups block b of `logs` (its customers [first, first + count)) and calls
// on_group(customer, first, last) for each of them in customer order, with the customer's
// records merged (value_record keeps one of equal records, amount_record sums them) and, for
// ordered records (days, periods), sorted; customers without records get first == last. A
// counting sort on the customer in cache; a customer's records are sorted only when they did
// not arrive in order (logs of data in time order arrive sorted), and unordered records
// (orders, channels, categories) that did not arrive sorted are deduplicated by hashing.
template <class Record, class OnGroup>
void group_block(const std::vector<const customer_log<Record>*>& logs, std::size_t b,
                 std::size_t first, std::size_t count, group_scratch<Record>& scratch,
                 OnGroup&& on_group) {
  std::vector<std::int64_t>& start = scratch.start;
  start.assign(count + 1, 0);
  std::size_t total = 0;
  for (const auto* log : logs) {
    for (const auto& seg : log->block(b)) {
      total += seg.size();
      for (const Record& r : seg) ++start[r.customer - first + 1];
    }
  }
  for (std::size_t c = 0; c < count; ++c) start[c + 1] += start[c];
  std::vector<Record>& recs = scratch.records;
  recs.resize(total);
  std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
  for (const auto* log : logs) {
    for (const auto& seg : log->block(b)) {
      for (const Record& r : seg) recs[static_cast<std::size_t>(fill[r.customer - first]++)] = r;
    }
  }
  for (std::size_t c = 0; c < count; ++c) {
    Record* lo = recs.data() + start[c];
    Record* hi = recs.data() + start[c + 1];
    if (lo != hi) {
      bool sorted = std::is_sorted(lo, hi);
      if (!sorted) {
        if constexpr (Record::ordered) {
          std::sort(lo, hi);
          sorted = true;
        } else {
          hi = distinct_in_order(lo, hi, scratch.table);
        }
      }
      if (sorted) {
        Record* kept = lo;
        for (Record* it = lo + 1; it != hi; ++it) {
          if (it->same(*kept)) {
            kept->absorb(*it);
          } else {
            *++kept = *it;
          }
        }
        hi = kept + 1;
      }
    }
    on_group(first + c, static_cast<const Record*>(lo), static_cast<const Record*>(hi));
  }
}

// Groups the records of `logs` by customer (indices below `customers`) and calls
// on_group(customer, first, last) once per customer, as group_block does. Blocks run on
// `threads` threads (a block's customers in order on one thread); on_group must only touch
// its customer's data.
template <class Record, class OnGroup>
void for_each_customer_group(const std::vector<const customer_log<Record>*>& logs,
                             std::size_t customers, unsigned threads, OnGroup on_group) {
  const std::size_t blocks = customer_blocks(customers);
  constexpr std::size_t block_size = std::size_t{1} << customer_block_shift;
  const unsigned n = threads_for(blocks, threads);
  std::vector<group_scratch<Record>> scratch(n);
  parallel_blocks(blocks, n, [&](std::size_t b, unsigned t) {
    const std::size_t first = b << customer_block_shift;
    if (first >= customers) return;
    group_block(logs, b, first, std::min(block_size, customers - first), scratch[t], on_group);
  });
}

// The grouped records themselves, in customer order.
template <class Record>
grouped_records<Record> group_by_customer(const std::vector<const customer_log<Record>*>& logs,
                                          std::size_t customers, unsigned threads) {
  grouped_records<Record> g;
  g.begin.assign(customers, 0);
  g.end.assign(customers, 0);
  // Block b's merged records start where its raw records would (gaps where records merged);
  // within a block, customers come in order on one thread, so a cursor per block places them.
  const std::size_t blocks = customer_blocks(customers);
  std::vector<std::int64_t> cursor(blocks + 1, 0);
  for (std::size_t b = 0; b < blocks; ++b) {
    std::size_t raw = 0;
    for (const auto* log : logs) {
      for (const auto& seg : log->block(b)) raw += seg.size();
    }
    cursor[b + 1] = cursor[b] + static_cast<std::int64_t>(raw);
  }
  g.records.resize(static_cast<std::size_t>(cursor[blocks]));
  for_each_customer_group<Record>(logs, customers, threads,
                                  [&](std::size_t c, const Record* first, const Record* last) {
    std::int64_t& at = cursor[c >> customer_block_shift];
    std::copy(first, last, g.records.begin() + at);
    g.begin[c] = at;
    g.end[c] = at + (last - first);
    at = g.end[c];
  });
  return g;
}

template <class Record>
void customer_log<Record>::compact(std::size_t customers, unsigned threads) {
  const std::size_t blocks = std::min(blocks_.size(), customer_blocks(customers));
  constexpr std::size_t block_size = std::size_t{1} << customer_block_shift;
  const unsigned n = threads_for(blocks, threads);
  std::vector<group_scratch<Record>> scratch(n);
  const std::vector<const customer_log*> self{this};
  std::size_t kept = 0;
  std::vector<std::size_t> kept_by_block(blocks, 0);
  parallel_blocks(blocks, n, [&](std::size_t b, unsigned t) {
    const std::size_t first = b << customer_block_shift;
    if (first >= customers || blocks_[b].empty()) return;
    std::vector<Record> packed;
    group_block(self, b, first, std::min(block_size, customers - first), scratch[t],
                [&](std::size_t, const Record* lo, const Record* hi) { packed.insert(packed.end(), lo, hi); });
    kept_by_block[b] = packed.size();
    segments one;
    one.push_back(std::move(packed));
    blocks_[b] = std::move(one);
  });
  for (std::size_t k : kept_by_block) kept += k;
  next_compact_ = std::max(min_compact_, 2 * kept);
}

}  // namespace tierkit::detail
