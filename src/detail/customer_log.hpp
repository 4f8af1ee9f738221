#pragma once
// Append-only per-customer logs for exact distinct counts and per-period sums.
//
// Hash sets of (customer, value) pairs cost a cache miss per row and are as expensive to
// merge as to build. Instead, the kernel appends records (sequential writes; a per-customer
// "last value" cache in the customer's own aggregate skips most repeats), and a log is
// deduplicated by grouping on customer: a radix pass into blocks of customers, then, per
// block and in cache, a counting sort on the customer and a sort of each customer's few
// records. Merging two states appends one log to the other. Logs compact themselves when
// they grow, so memory stays proportional to the distinct pairs.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#include "detail/fixed_point.hpp"

namespace tierkit::detail {

// Customers are processed in blocks of 2^block_shift consecutive indices: a block's
// aggregates (128 bytes each) fill half of a 1 MiB L2 cache.
inline constexpr unsigned customer_block_shift = 12;

inline std::size_t customer_blocks(std::size_t customers) noexcept {
  return (customers >> customer_block_shift) + 1;
}

// Runs body(t) for t in [0, threads) on as many threads (the caller's among them when
// threads == 1) and rethrows the first exception once all have finished.
template <class Body>
void run_on_threads(unsigned threads, Body body) {
  if (threads <= 1) {
    body(0u);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        body(t);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (std::thread& th : pool) th.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

inline unsigned threads_for(std::size_t blocks, unsigned threads) noexcept {
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, blocks)));
}

// Runs f(block, thread) for every block in [0, blocks) on `threads` threads; blocks are
// handed out one at a time, so uneven blocks balance. Rethrows the first exception.
template <class F>
void parallel_blocks(std::size_t blocks, unsigned threads, F f) {
  std::atomic<std::size_t> next{0};
  run_on_threads(threads_for(blocks, threads), [&](unsigned t) {
    for (std::size_t b = next++; b < blocks; b = next++) f(b, t);
  });
}

// Runs f(block, thread) for every block in [0, blocks) on `threads` threads, thread t
// taking blocks t, t + threads, ...: a block always goes to the same thread, so the records
// a thread logs for a customer over many chunks form one run, in input order (sorted
// already when the input is in time order). Rethrows the first exception.
template <class F>
void parallel_strided(std::size_t blocks, unsigned threads, F f) {
  const unsigned n = threads_for(blocks, threads);
  run_on_threads(n, [&](unsigned t) {
    for (std::size_t b = t; b < blocks; b += n) f(b, t);
  });
}

// (customer, flag, value): a distinct-count record. flag separates kinds counted apart
// (purchase orders from return orders).
struct value_record {
  std::uint32_t customer;
  std::uint32_t flag;
  std::int64_t value;

  bool operator<(const value_record& o) const noexcept {
    return flag != o.flag ? flag < o.flag : value < o.value;
  }
  bool same(const value_record& o) const noexcept { return flag == o.flag && value == o.value; }
  void absorb(const value_record&) noexcept {}
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
        (static_cast<unsigned __int128>(static_cast<std::uint64_t>(hi)) << 64) | lo);
  }
  bool operator<(const amount_record& o) const noexcept { return period < o.period; }
  bool same(const amount_record& o) const noexcept { return period == o.period; }
  void absorb(const amount_record& o) noexcept { *this = make(customer, period, amount() + o.amount()); }
};

// Records grouped by customer: customer c's distinct (merged) records are
// records[begin[c], end[c]), sorted. Groups are laid out in customer order with gaps.
template <class Record>
struct grouped_records {
  std::vector<Record> records;
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> end;
};

// Groups the records of `segments` by customer (indices below `customers`) and calls
// on_group(customer, first, last) once per customer with its records sorted and merged
// (value_record keeps one of equal records, amount_record sums them); customers without
// records get first == last. Two radix levels: records go to their block of customers (few,
// sequential output streams), then each block is counting-sorted on its customers in
// cache. Blocks run on `threads` threads; on_group must only touch its customer's data.
template <class Record, class OnGroup>
void for_each_customer_group(const std::vector<const std::vector<Record>*>& segments,
                             std::size_t customers, unsigned threads, OnGroup on_group) {
  const std::size_t blocks = customer_blocks(customers);
  // Level 1, on `threads` threads: thread t takes a contiguous share of the records (in
  // segment order), counts them per block, then copies them to its place in the block, so
  // a block holds its records in log order, as one thread would have put them.
  std::vector<std::size_t> seg_start(segments.size() + 1, 0);
  for (std::size_t i = 0; i < segments.size(); ++i) seg_start[i + 1] = seg_start[i] + segments[i]->size();
  const std::size_t total = seg_start.back();
  const unsigned parts = threads_for(total / (std::size_t{1} << 16) + 1, threads);
  // Calls f(record) for the records at positions [from, to) of the concatenated segments.
  auto for_range = [&](std::size_t from, std::size_t to, auto f) {
    std::size_t i = static_cast<std::size_t>(
        std::upper_bound(seg_start.begin(), seg_start.end(), from) - seg_start.begin() - 1);
    for (; i < segments.size() && seg_start[i] < to; ++i) {
      const Record* data = segments[i]->data();
      const std::size_t a = std::max(from, seg_start[i]) - seg_start[i];
      const std::size_t b = std::min(to, seg_start[i + 1]) - seg_start[i];
      for (std::size_t k = a; k < b; ++k) f(data[k]);
    }
  };
  std::vector<std::vector<std::int64_t>> fill(parts, std::vector<std::int64_t>(blocks, 0));
  run_on_threads(parts, [&](unsigned t) {
    std::vector<std::int64_t>& count = fill[t];
    for_range(total * t / parts, total * (t + 1) / parts,
              [&](const Record& r) { ++count[r.customer >> customer_block_shift]; });
  });
  std::vector<std::int64_t> block_start(blocks + 1, 0);
  for (std::size_t b = 0; b < blocks; ++b) {
    std::int64_t at = block_start[b];
    for (unsigned t = 0; t < parts; ++t) {
      const std::int64_t here = fill[t][b];
      fill[t][b] = at;  // where thread t's records of block b begin
      at += here;
    }
    block_start[b + 1] = at;
  }
  // Left uninitialized: every slot is written below, and its pages are first touched there,
  // by the threads that fill them.
  std::unique_ptr<Record[]> by_block(new Record[total]);
  run_on_threads(parts, [&](unsigned t) {
    std::vector<std::int64_t>& at = fill[t];
    for_range(total * t / parts, total * (t + 1) / parts, [&](const Record& r) {
      by_block[static_cast<std::size_t>(at[r.customer >> customer_block_shift]++)] = r;
    });
  });
  constexpr std::size_t block_size = std::size_t{1} << customer_block_shift;
  std::vector<std::vector<Record>> scratch(std::max(1u, threads));
  parallel_blocks(blocks, threads, [&](std::size_t b, unsigned t) {
    const std::size_t first_customer = b << customer_block_shift;
    if (first_customer >= customers) return;
    const std::size_t n_cust = std::min(block_size, customers - first_customer);
    const std::int64_t lo = block_start[b], hi = block_start[b + 1];
    std::vector<Record>& out = scratch[t];
    out.resize(static_cast<std::size_t>(hi - lo));
    std::vector<std::int64_t> start(n_cust + 1, 0);
    for (std::int64_t k = lo; k < hi; ++k) {
      ++start[by_block[static_cast<std::size_t>(k)].customer - first_customer + 1];
    }
    for (std::size_t c = 0; c < n_cust; ++c) start[c + 1] += start[c];
    std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
    for (std::int64_t k = lo; k < hi; ++k) {
      const Record& r = by_block[static_cast<std::size_t>(k)];
      out[static_cast<std::size_t>(fill[r.customer - first_customer]++)] = r;
    }
    for (std::size_t c = 0; c < n_cust; ++c) {
      Record* first = out.data() + start[c];
      Record* last = out.data() + start[c + 1];
      if (first != last) {
        // Logs of data in time order arrive sorted (days, increasing order ids): check first.
        if (!std::is_sorted(first, last)) std::sort(first, last);
        Record* kept = first;
        for (Record* it = first + 1; it != last; ++it) {
          if (it->same(*kept)) {
            kept->absorb(*it);
          } else {
            *++kept = *it;
          }
        }
        last = kept + 1;
      }
      on_group(first_customer + c, first, last);
    }
  });
}

// The grouped records themselves: customer c's merged records are
// records[begin[c], end[c]), in customer order.
template <class Record>
grouped_records<Record> group_by_customer(const std::vector<const std::vector<Record>*>& segments,
                                          std::size_t customers, unsigned threads) {
  grouped_records<Record> g;
  g.begin.assign(customers, 0);
  g.end.assign(customers, 0);
  std::size_t total = 0;
  for (const auto* seg : segments) total += seg->size();
  g.records.resize(total);
  // Customers' raw record counts bound their merged counts: lay groups out at the raw
  // offsets (gaps where records merged).
  std::vector<std::int64_t> raw(customers + 1, 0);
  for (const auto* seg : segments) {
    for (const Record& r : *seg) ++raw[r.customer + 1];
  }
  for (std::size_t c = 0; c < customers; ++c) raw[c + 1] += raw[c];
  for_each_customer_group<Record>(segments, customers, threads,
                                  [&](std::size_t c, const Record* first, const Record* last) {
    const std::int64_t at = raw[c];
    std::copy(first, last, g.records.begin() + at);
    g.begin[c] = at;
    g.end[c] = at + (last - first);
  });
  return g;
}

// A log of records in segments (a thread's records move in whole, without a copy). It
// compacts itself (groups by customer and merges) once it has grown to twice its last
// compacted size, and at least to `min_compact` records.
template <class Record>
class customer_log {
 public:
  // Compacting costs a pass over the log; below this size it is not worth it.
  static constexpr std::size_t default_min_compact = std::size_t{1} << 24;

  explicit customer_log(std::size_t min_compact = default_min_compact)
      : min_compact_(min_compact), next_compact_(min_compact) {}

  // The segments, as the list group_by_customer reads.
  std::vector<const std::vector<Record>*> segments() const {
    std::vector<const std::vector<Record>*> out;
    for (const auto& s : segments_) out.push_back(&s);
    return out;
  }
  std::size_t size() const noexcept { return size_; }

  void push(const Record& r) {
    if (segments_.empty()) segments_.emplace_back();
    segments_.back().push_back(r);
    ++size_;
  }
  // Takes `more` as a new segment (leaving it empty).
  void append(std::vector<Record>&& more) {
    if (more.empty()) return;
    size_ += more.size();
    segments_.push_back(std::move(more));
    more = std::vector<Record>();
  }

  // Compacts when due; `customers` bounds the customer indices.
  void maybe_compact(std::size_t customers, unsigned threads) {
    if (size_ >= next_compact_) compact(customers, threads);
  }
  void compact(std::size_t customers, unsigned threads) {
    grouped_records<Record> g = group_by_customer(segments(), customers, threads);
    std::vector<Record> packed;
    std::size_t kept = 0;
    for (std::size_t c = 0; c < customers; ++c) kept += static_cast<std::size_t>(g.end[c] - g.begin[c]);
    packed.reserve(kept);
    for (std::size_t c = 0; c < customers; ++c) {
      packed.insert(packed.end(), g.records.begin() + g.begin[c], g.records.begin() + g.end[c]);
    }
    segments_.clear();
    size_ = 0;
    append(std::move(packed));
    next_compact_ = std::max(min_compact_, 2 * size_);
  }

  // Appends `other`'s records with customers (and, for value records, values) remapped.
  template <class Remap>
  void append(const customer_log& other, Remap remap) {
    std::vector<Record> seg;
    seg.reserve(other.size_);
    for (const auto& s : other.segments_) {
      for (Record r : s) seg.push_back(remap(r));
    }
    append(std::move(seg));
  }

 private:
  std::vector<std::vector<Record>> segments_;
  std::size_t size_ = 0;
  std::size_t min_compact_;
  std::size_t next_compact_;
};

// Where one thread appends records during an update: fixed segments of 2^20 records that
// are never reallocated (a full one is set aside and a new one begun), so a large update
// neither copies its records nor reserves memory it does not use. The segments then join a
// customer_log in order.
template <class Record>
class log_writer {
 public:
  static constexpr std::size_t segment_records = std::size_t{1} << 20;

  void push_back(const Record& r) {
    if (current_.size() == current_.capacity()) roll();
    current_.push_back(r);
  }
  void move_into(customer_log<Record>& log) {
    for (std::vector<Record>& s : full_) log.append(std::move(s));
    log.append(std::move(current_));
    full_.clear();
  }

 private:
  void roll() {
    if (!current_.empty()) full_.push_back(std::move(current_));
    current_ = std::vector<Record>();
    current_.reserve(segment_records);
  }

  std::vector<Record> current_;
  std::vector<std::vector<Record>> full_;
};

}  // namespace tierkit::detail
