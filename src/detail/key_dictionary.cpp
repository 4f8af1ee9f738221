#include "detail/key_dictionary.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "detail/dense_index.hpp"
#include "detail/radix_sort.hpp"
#include "tierkit/error.hpp"

namespace tierkit::detail {

void key_dictionary::require_kind(kind k, const char* what) {
  if (kind_ == kind::unset) {
    kind_ = k;
    return;
  }
  if (kind_ != k) {
    auto name = [](kind x) { return x == kind::string ? "string" : "integer"; };
    throw schema_error(std::string("tierkit: ") + what + " keys are " + name(k) +
                       " in this batch but " + name(kind_) +
                       " in earlier batches; every batch must use the same key kind");
  }
}

std::uint32_t key_dictionary::next_index() { return take_dense_index(size_); }

std::uint32_t key_dictionary::claim(std::size_t i, std::uint64_t h) {
  const std::uint32_t index = next_index();
  slots_[i] = slot{h, index};
  if (2 * size_ > slots_.size()) grow();
  return index;
}

std::uint32_t key_dictionary::claim_string(std::size_t i, std::uint64_t h, std::string_view key) {
  const std::uint32_t index = next_index();
  string_slot& s = string_slots_[i];
  s.hash = h;
  s.index = index;
  s.size = string_slot_size(key);
  std::memcpy(s.head, key.data(), std::min(key.size(), string_slot::head_bytes));
  if (2 * size_ > string_slots_.size()) grow();
  return index;
}

void key_dictionary::expect_int_range(std::int64_t lo, std::int64_t hi, std::uint64_t max_span) {
  if (size_ != 0 || kind_ == kind::string || hi < lo) return;
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
  if (span == 0 || span > max_span) return;
  direct_on_ = true;
  base_ = lo;
  direct_table_.assign(span, no_index);
}

void key_dictionary::number_by_key(std::int64_t lo, std::int64_t hi) {
  if (size_ != 0 || kind_ == kind::string || hi < lo) return;
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
  if (span == 0 || span >= no_index) return;
  kind_ = kind::integer;
  direct_on_ = false;
  direct_table_ = std::vector<std::uint32_t>();
  by_key_ = true;
  base_ = lo;
  size_ = static_cast<std::size_t>(span);
}

void key_dictionary::leave_by_key() {
  by_key_ = false;
  ints_.resize(size_);
  for (std::size_t j = 0; j < size_; ++j) ints_[j] = base_ + static_cast<std::int64_t>(j);
  leave_direct();  // builds the hash slots from ints_
}

void key_dictionary::clear() {
  if (by_key_) {
    const kind k = kind_;
    *this = key_dictionary(key_);
    kind_ = k;
    return;
  }
  if (direct_on_) {
    for (const std::int64_t k : ints_) {
      direct_table_[static_cast<std::uint64_t>(k) - static_cast<std::uint64_t>(base_)] = no_index;
    }
  } else {
    // Small again: a chunk's first new keys probe in cache.
    if (!string_slots_.empty()) {  // string keys in use (their table, whatever kind_ says)
      string_slots_.assign(16, string_slot{});
    } else {
      slots_.assign(16, slot{});
    }
    mask_ = 15;
  }
  ints_.clear();
  chars_.clear();
  offsets_.assign(1, 0);
  size_ = 0;
}

void key_dictionary::leave_direct() {
  direct_on_ = false;
  direct_table_ = std::vector<std::uint32_t>();
  std::size_t cap = 16;
  while (cap < 2 * size_ + 2) cap *= 2;
  slots_.assign(cap, slot{});
  mask_ = cap - 1;
  for (std::uint32_t j = 0; j < size_; ++j) {
    const auto k = static_cast<std::uint64_t>(ints_[j]);
    std::size_t i = hash_int(k, key_) & mask_;
    while (slots_[i].index != no_index) i = (i + 1) & mask_;
    slots_[i] = slot{k, j};
  }
}

namespace {
// Moves every used slot of `table` into a table of `capacity` slots (a power of two);
// `home` gives a slot's first probe position under the new mask.
template <class Slot, class Home>
void rehash(std::vector<Slot>& table, std::size_t capacity, std::size_t& mask, Home home) {
  std::vector<Slot> old(capacity);
  old.swap(table);
  mask = table.size() - 1;
  for (const Slot& s : old) {
    if (s.index == key_dictionary::no_index) continue;
    std::size_t i = home(s) & mask;
    while (table[i].index != key_dictionary::no_index) i = (i + 1) & mask;
    table[i] = s;
  }
}
}  // namespace

void key_dictionary::grow() { rehash_to(2 * (mask_ + 1)); }

void key_dictionary::rehash_to(std::size_t capacity) {
  if (!string_slots_.empty()) {  // the table in use: string keys have one of their own
    rehash(string_slots_, capacity, mask_, [](const string_slot& s) { return s.hash; });
  } else {
    rehash(slots_, capacity, mask_, [this](const slot& s) { return hash_int(s.hash, key_); });
  }
}

void key_dictionary::reserve(std::size_t keys) {
  if (by_key_ || direct_on_) return;
  if (kind_ == kind::string && string_slots_.empty()) string_slots_.resize(mask_ + 1);
  std::size_t cap = mask_ + 1;
  while (2 * keys > cap) cap *= 2;
  if (cap != mask_ + 1) rehash_to(cap);
}

std::vector<std::uint32_t> key_dictionary::absorb(const key_dictionary& other,
                                                  const std::vector<std::uint8_t>* keep) {
  std::vector<std::uint32_t> map(other.size(), no_index);
  if (other.size() == 0) return map;
  require_kind(other.kind_, "merged");
  // Room for the keys there will be at least (the other's may repeat ours: reserving for
  // the sum would overshoot when overlapping states merge); more grow as usual.
  reserve(std::max(size_, other.size()));
  // Keys are hashed and their slots prefetched `ahead` keys before their insert, so that
  // the inserts overlap their cache misses.
  constexpr std::uint32_t ahead = 16;
  const auto n = static_cast<std::uint32_t>(other.size());
  auto kept = [&](std::uint32_t j) { return keep == nullptr || (*keep)[j] != 0; };
  if (other.kind_ == kind::string) {
    std::uint64_t hashes[ahead];
    auto stage = [&](std::uint32_t j) {
      const std::uint64_t h = hash(other.string_at(j));
      hashes[j % ahead] = h;
      prefetch_hash(h);
    };
    for (std::uint32_t j = 0; j < std::min(ahead, n); ++j) stage(j);
    for (std::uint32_t j = 0; j < n; ++j) {
      const std::uint64_t h = hashes[j % ahead];
      if (j + ahead < n) stage(j + ahead);
      if (kept(j)) map[j] = insert(other.string_at(j), h);
    }
  } else {
    for (std::uint32_t j = 0; j < std::min(ahead, n); ++j) prefetch(other.int_at(j));
    for (std::uint32_t j = 0; j < n; ++j) {
      if (j + ahead < n) prefetch(other.int_at(j + ahead));
      if (kept(j)) map[j] = insert(other.int_at(j));
    }
  }
  return map;
}

// Orders indices [first, last) by their strings' bytes (a shorter string first when it is a
// prefix of another). Each round sorts a range whose strings agree on their first `depth`
// bytes on the next 8 bytes, read once into a local (chunk, length class, index) record, so
// comparisons never chase the strings' bytes; runs still tied after 8 more bytes go another
// round. The rounds are kept on a list, not a recursion: keys sharing a long prefix (a
// megabyte) need a round per 8 bytes of it, too many for the stack. A range tied as a whole
// skips at once past the prefix all its strings share (one comparison per string), so a
// long shared prefix costs a pass over its bytes, not a round per 8 bytes; small ranges are
// sorted by comparing their strings' remaining bytes.
void key_dictionary::sort_strings(std::uint32_t* first, std::uint32_t* last) const {
  struct keyed {
    std::uint64_t chunk;  // bytes [depth, depth + 8), big-endian, zero-padded
    std::uint32_t rest;   // bytes left from depth, 9 for "more than 8"
    std::uint32_t index;
  };
  struct range {
    std::uint32_t* first;
    std::uint32_t* last;
    std::size_t depth;  // the strings of [first, last) agree on their first depth bytes
  };
  constexpr std::ptrdiff_t compared = 16;  // ranges up to this size are sorted by comparison
  std::vector<range> todo = {range{first, last, 0}};
  std::vector<keyed> recs;
  while (!todo.empty()) {
    const range r = todo.back();
    todo.pop_back();
    const std::size_t depth = r.depth;
    if (r.last - r.first <= compared) {
      // Keys are distinct, so this order is total.
      std::sort(r.first, r.last, [&](std::uint32_t a, std::uint32_t b) {
        return string_at(a).substr(depth) < string_at(b).substr(depth);
      });
      continue;
    }
    recs.clear();
    recs.reserve(static_cast<std::size_t>(r.last - r.first));
    for (const std::uint32_t* it = r.first; it != r.last; ++it) {
      const std::string_view s = string_at(*it);
      const std::size_t left = s.size() - depth;
      std::uint64_t chunk = 0;
      for (std::size_t k = 0; k < 8; ++k) {
        chunk = (chunk << 8) | (k < left ? static_cast<unsigned char>(s[depth + k]) : 0u);
      }
      recs.push_back(keyed{chunk, static_cast<std::uint32_t>(std::min<std::size_t>(left, 9)), *it});
    }
    // By chunk, then length class: stable radix passes, the minor key first.
    radix_sort_by(recs, [](const keyed& k) { return std::uint64_t{k.rest}; });
    radix_sort_by(recs, [](const keyed& k) { return k.chunk; });
    for (std::size_t i = 0; i < recs.size(); ++i) r.first[i] = recs[i].index;
    if (recs.front().chunk == recs.back().chunk && recs.front().rest == 9 && recs.back().rest == 9) {
      // Tied as a whole on 8 more bytes: every string goes on; skip the prefix they share.
      const std::string_view head = string_at(recs.front().index);
      std::size_t shared = head.size() - depth;
      for (const keyed& k : recs) {
        const std::string_view s = string_at(k.index);
        const std::size_t most = std::min(shared, s.size() - depth);
        std::size_t same = 0;
        while (same < most && s[depth + same] == head[depth + same]) ++same;
        shared = same;
      }
      todo.push_back(range{r.first, r.last, depth + shared});  // shared >= 8: progress
      continue;
    }
    for (std::size_t i = 0; i < recs.size();) {
      std::size_t j = i + 1;
      while (j < recs.size() && recs[j].chunk == recs[i].chunk && recs[j].rest == recs[i].rest) ++j;
      if (j - i > 1 && recs[i].rest == 9) todo.push_back(range{r.first + i, r.first + j, depth + 8});
      i = j;
    }
  }
}

std::size_t key_dictionary::longest_probe() const noexcept {
  std::size_t longest = 0;
  auto probe = [&](std::size_t at, std::uint64_t hash) { longest = std::max(longest, (at - (hash & mask_)) & mask_); };
  if (!string_slots_.empty()) {
    for (std::size_t i = 0; i < string_slots_.size(); ++i) {
      if (string_slots_[i].index != no_index) probe(i, string_slots_[i].hash);
    }
  } else if (!direct_on_ && !by_key_) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].index != no_index) probe(i, hash_int(slots_[i].hash, key_));
    }
  }
  return longest;
}

std::vector<std::uint32_t> key_dictionary::sorted_order() const {
  std::vector<std::uint32_t> order(size_);
  std::iota(order.begin(), order.end(), 0u);
  if (by_key_) return order;  // index order is key order
  if (kind_ == kind::string) {
    sort_strings(order.data(), order.data() + order.size());
  } else {
    order = order_by_int_keys(ints_);
  }
  return order;
}

}  // namespace tierkit::detail
