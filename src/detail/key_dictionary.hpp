#pragma once
// key_dictionary: maps customer (or order, channel, category) keys to dense indices
// 0, 1, 2, ... in order of first insertion. Keys are either 64-bit integers or byte
// strings; one dictionary holds one kind.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detail/hash.hpp"
#include "detail/prefetch.hpp"

namespace tierkit::detail {

class key_dictionary {
 public:
  static constexpr std::uint32_t no_index = ~std::uint32_t{0};
  enum class kind : std::uint8_t { unset, integer, string };

  // Keys hash under the process's secret hash key (detail/hash.hpp); tests give their own.
  key_dictionary() = default;
  explicit key_dictionary(const hash_key& key) : key_(key) {}

  kind key_kind() const noexcept { return kind_; }
  std::size_t size() const noexcept { return size_; }

  // Fixes the kind on first use; throws schema_error naming `what` on a mismatch.
  void require_kind(kind k, const char* what);

  // Integer keys known to lie in [lo, hi] (a column's range, before any insert): when the
  // range is at most `max_span` keys, they are indexed by a direct table of 4 bytes per
  // possible key instead of hashing (compact ids: customer numbers 1..N). A key outside
  // the range later moves the dictionary to hashing for good.
  void expect_int_range(std::int64_t lo, std::int64_t hi, std::uint64_t max_span);
  bool direct() const noexcept { return direct_on_; }

  // Integer keys known to lie in [lo, hi] and to fill much of it (customer numbers 1..N):
  // key k is given index k - lo, without a table. size() is then the whole range; indices
  // of keys that never came are holes, which the caller tells apart by its own data. A key
  // outside the range moves the dictionary to hashing for good, every index kept.
  void number_by_key(std::int64_t lo, std::int64_t hi);
  bool by_key() const noexcept { return by_key_; }
  std::int64_t base() const noexcept { return base_; }
  // The direct table while direct(): index of key k at table[k - base] for k - base < size.
  struct direct_view {
    const std::uint32_t* table;
    std::uint64_t size;
    std::int64_t base;
  };
  direct_view direct_table() const noexcept {
    return {direct_table_.data(), direct_table_.size(), base_};
  }
  // Forgets every key, keeping the kind. A direct table stays allocated (only the entries
  // in use are reset); hash slots shrink back to 16, so that a scratch dictionary reused for
  // each chunk's new keys starts in cache.
  void clear();

  // Starts loading the slot where `key` would live (software prefetch: lookups of a block
  // of rows then overlap their cache misses instead of waiting for each in turn).
  void prefetch(std::int64_t key) const noexcept {
    if (by_key_) return;
    if (direct_on_) {
      const std::uint64_t d = static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(base_);
      if (d < direct_table_.size()) detail::prefetch(&direct_table_[d]);
      return;
    }
    detail::prefetch(&slots_[hash_int(static_cast<std::uint64_t>(key), key_) & mask_]);
  }

  // Integer slots hold the key itself (one memory access per probe). Inserting fixes the
  // kind (a string dictionary refuses integers: the two kinds have separate tables).
  std::uint32_t insert(std::int64_t key) {
    if (kind_ != kind::integer) require_kind(kind::integer, "inserted");
    if (by_key_) {
      const std::uint64_t d = static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(base_);
      if (d < size_) return static_cast<std::uint32_t>(d);
      leave_by_key();
    }
    if (direct_on_) {
      const std::uint64_t d = static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(base_);
      if (d < direct_table_.size()) {
        std::uint32_t& at = direct_table_[d];
        if (at == no_index) {
          at = next_index();
          ints_.push_back(key);
        }
        return at;
      }
      leave_direct();
    }
    const auto k = static_cast<std::uint64_t>(key);
    std::size_t i = hash_int(k, key_) & mask_;
    while (true) {
      const slot& s = slots_[i];
      if (s.index == no_index) break;
      if (s.hash == k) return s.index;
      i = (i + 1) & mask_;
    }
    ints_.push_back(key);
    return claim(i, k);
  }

  // The hash of a string key here (hash_bytes under this dictionary's key).
  std::uint64_t hash(std::string_view key) const noexcept { return hash_bytes(key, key_); }
  std::uint32_t insert(std::string_view key) { return insert(key, hash(key)); }
  // With the key's hash() computed already.
  std::uint32_t insert(std::string_view key, std::uint64_t h) {
    if (kind_ != kind::string) require_kind(kind::string, "inserted");
    if (string_slots_.empty()) string_slots_.resize(mask_ + 1);
    std::size_t i = h & mask_;
    while (true) {
      const string_slot& s = string_slots_[i];
      if (s.index == no_index) break;
      if (holds(s, key, h)) return s.index;
      i = (i + 1) & mask_;
    }
    // The slot first: it copies the key's head before the append may move chars_ (which
    // `key` could point into).
    const std::uint32_t index = claim_string(i, h, key);
    chars_.append(key.data(), key.size());
    offsets_.push_back(static_cast<std::int64_t>(chars_.size()));
    return index;
  }

  // The index of `key`, or no_index when absent.
  std::uint32_t find(std::int64_t key) const noexcept {
    if (kind_ != kind::integer) return no_index;
    if (by_key_) {
      const std::uint64_t d = static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(base_);
      return d < size_ ? static_cast<std::uint32_t>(d) : no_index;
    }
    if (direct_on_) {
      const std::uint64_t d = static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(base_);
      return d < direct_table_.size() ? direct_table_[d] : no_index;
    }
    const auto k = static_cast<std::uint64_t>(key);
    for (std::size_t i = hash_int(k, key_) & mask_;; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.index == no_index) return no_index;
      if (s.hash == k) return s.index;
    }
  }
  std::uint32_t find(std::string_view key) const noexcept { return find(key, hash(key)); }
  // With the key's hash() computed already (a block of lookups hashes first, then
  // prefetches slots with prefetch_hash, then probes).
  void prefetch_hash(std::uint64_t h) const noexcept {
    if (!string_slots_.empty()) detail::prefetch(&string_slots_[h & mask_]);
  }
  std::uint32_t find(std::string_view key, std::uint64_t h) const noexcept {
    if (kind_ != kind::string || string_slots_.empty()) return no_index;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const string_slot& s = string_slots_[i];
      if (s.index == no_index) return no_index;
      if (holds(s, key, h)) return s.index;
    }
  }

  std::int64_t int_at(std::uint32_t index) const noexcept {
    return by_key_ ? base_ + static_cast<std::int64_t>(index) : ints_[index];
  }
  std::string_view string_at(std::uint32_t index) const noexcept {
    return std::string_view(chars_.data() + offsets_[index],
                            static_cast<std::size_t>(offsets_[index + 1] - offsets_[index]));
  }

  // Makes room for `keys` keys in all (hash slots only): one rehash now instead of several
  // on the way.
  void reserve(std::size_t keys);

  // Inserts every key of `other` (same kind) and returns, for each of its indices, the
  // index here.
  // With `keep`, only indices j with (*keep)[j] != 0 are inserted; the others map to
  // no_index (the holes of a dictionary numbered by key).
  std::vector<std::uint32_t> absorb(const key_dictionary& other,
                                    const std::vector<std::uint8_t>* keep = nullptr);

  // Every key by index (not while by_key(): the keys are base() + index).
  const std::vector<std::int64_t>& ints() const noexcept { return ints_; }

  // Permutation that orders the keys ascending (integers numerically, strings by bytes).
  std::vector<std::uint32_t> sorted_order() const;

  // The longest probe of a key held in the hash slots: how many slots past its home slot it
  // lies (0 at home; 0 without hash slots). For tests and diagnostics.
  std::size_t longest_probe() const noexcept;

 private:
  struct slot {
    std::uint64_t hash = 0;  // the key itself
    std::uint32_t index = no_index;
  };

  // String keys: the slot holds the key's first bytes and its length, so that a lookup
  // compares keys inside the slot it has prefetched; only keys longer than `head` bytes
  // read the rest from chars_ (two more cache misses, which short keys never pay).
  struct string_slot {
    static constexpr std::size_t head_bytes = 16;
    std::uint64_t hash = 0;
    std::uint32_t index = no_index;
    std::uint32_t size = 0;  // the key's length, saturated at 2^32 - 1
    char head[head_bytes] = {};
  };
  static_assert(sizeof(string_slot) == 32, "two string slots per cache line");

  bool holds(const string_slot& s, std::string_view key, std::uint64_t h) const noexcept {
    if (s.hash != h || s.size != string_slot_size(key)) return false;
    if (key.size() <= string_slot::head_bytes) return same_bytes_up_to_16(s.head, key.data(), key.size());
    return same_bytes_up_to_16(s.head, key.data(), string_slot::head_bytes) && string_at(s.index) == key;
  }
  static std::uint32_t string_slot_size(std::string_view key) noexcept {
    return static_cast<std::uint32_t>(std::min<std::size_t>(key.size(), UINT32_MAX));
  }

  std::uint32_t claim(std::size_t i, std::uint64_t h);
  std::uint32_t claim_string(std::size_t i, std::uint64_t h, std::string_view key);
  std::uint32_t next_index();  // the next index, checked against the 32-bit limit
  void grow();
  void rehash_to(std::size_t capacity);  // a power of two, above the keys held
  void leave_direct();  // from the direct table to hashing: every key into the slots
  void leave_by_key();  // from numbering by key to hashing: every index kept
  void sort_strings(std::uint32_t* first, std::uint32_t* last) const;

  kind kind_ = kind::unset;
  std::size_t size_ = 0;
  std::size_t mask_ = 15;
  std::vector<slot> slots_ = std::vector<slot>(16);  // integer keys (mask_ + 1 of them)
  std::vector<string_slot> string_slots_;            // string keys: mask_ + 1 once in use
  std::vector<std::int64_t> ints_;
  std::vector<std::int64_t> offsets_ = {0};
  bool direct_on_ = false;                  // integer keys indexed by direct_table_
  bool by_key_ = false;                     // index = key - base_, size_ = the range
  std::int64_t base_ = 0;                   // direct_table_[key - base_]
  std::vector<std::uint32_t> direct_table_;
  std::string chars_;
  hash_key key_ = process_hash_key();
};

}  // namespace tierkit::detail
