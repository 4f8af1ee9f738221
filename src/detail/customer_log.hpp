#pragma once
// Append-only per-customer logs for exact distinct counts and per-period sums.
//
// Hash sets of (customer, value) pairs cost a cache miss per row and are as expensive to
// merge as to build. Instead, the kernel appends records (sequential writes; a per-customer
// "last value" cache in the customer's own aggregate skips most repeats), and a log is
// deduplicated by grouping on customer with a counting sort, then sorting each customer's
// few records. Merging two states appends one log to the other. Logs compact themselves
// when they grow, so memory stays proportional to the distinct pairs.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "detail/fixed_point.hpp"

namespace tierkit::detail {

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
    return static_cast<fixed128>((static_cast<unsigned __int128>(static_cast<std::uint64_t>(hi)) << 64) | lo);
  }
  bool operator<(const amount_record& o) const noexcept { return period < o.period; }
  bool same(const amount_record& o) const noexcept { return period == o.period; }
  void add(const amount_record& o) noexcept { *this = make(customer, period, amount() + o.amount()); }
};

// Groups `in` by customer into `out` (counting sort on `slot_of(customer)`, slots in
// [0, slots)), then sorts each group and merges equal records (value_record: keeps one;
// amount_record: sums). Returns the group offsets: group g owns [offsets[g], offsets[g+1])
// of `out`. `out` is reused: its old contents are dropped, its capacity kept.
template <class Record, class SlotOf>
std::vector<std::int64_t> group_and_merge(const std::vector<Record>& in, std::vector<Record>& out,
                                          std::size_t slots, SlotOf slot_of) {
  std::vector<std::int64_t> start(slots + 1, 0);
  for (const Record& r : in) ++start[slot_of(r.customer) + 1];
  for (std::size_t g = 0; g < slots; ++g) start[g + 1] += start[g];
  out.resize(in.size());
  {
    std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
    for (const Record& r : in) out[static_cast<std::size_t>(fill[slot_of(r.customer)]++)] = r;
  }
  // Sort and merge each group, compacting towards the front.
  std::vector<std::int64_t> offsets(slots + 1, 0);
  std::size_t kept = 0;
  for (std::size_t g = 0; g < slots; ++g) {
    auto first = out.begin() + start[g], last = out.begin() + start[g + 1];
    offsets[g] = static_cast<std::int64_t>(kept);
    if (first == last) continue;
    std::sort(first, last);
    out[kept] = *first;
    for (auto it = first + 1; it != last; ++it) {
      if (it->same(out[kept])) {
        if constexpr (std::is_same_v<Record, amount_record>) out[kept].add(*it);
      } else {
        out[++kept] = *it;
      }
    }
    ++kept;
  }
  offsets[slots] = static_cast<std::int64_t>(kept);
  out.resize(kept);
  return offsets;
}

// A log that compacts itself (groups by customer index and merges) once it has grown to
// twice its last compacted size, and at least to `min_compact` records.
template <class Record>
class customer_log {
 public:
  // Compacting costs a pass over the log; below this size it is not worth it.
  static constexpr std::size_t min_compact = std::size_t{1} << 24;

  std::vector<Record>& records() noexcept { return records_; }
  const std::vector<Record>& records() const noexcept { return records_; }
  std::size_t size() const noexcept { return records_.size(); }

  void push(const Record& r) { records_.push_back(r); }

  // Compacts when due; `customers` bounds the customer indices.
  void maybe_compact(std::size_t customers) {
    if (records_.size() >= next_compact_) compact(customers);
  }
  void compact(std::size_t customers) {
    std::vector<Record> out;
    group_and_merge(records_, out, customers, [](std::uint32_t c) { return c; });
    records_.swap(out);
    next_compact_ = std::max(min_compact, 2 * records_.size());
  }

  // Appends `other`'s records with customers (and, for value records, values) remapped.
  template <class Remap>
  void append(const customer_log& other, Remap remap) {
    records_.reserve(records_.size() + other.records_.size());
    for (Record r : other.records_) records_.push_back(remap(r));
  }

 private:
  std::vector<Record> records_;
  std::size_t next_compact_ = min_compact;
};

}  // namespace tierkit::detail
