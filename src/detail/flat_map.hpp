#pragma once
// flat_map_u64: an open-addressing hash map from 64-bit keys to values, linear probing,
// power-of-two capacity, load factor <= 1/2. The key ~0 is reserved as the empty marker;
// callers build keys that never take it (pairs of a 32-bit index below 2^32-1 and a value).
#include <cstdint>
#include <vector>

#include "detail/hash.hpp"

namespace tierkit::detail {

template <class Value>
class flat_map_u64 {
 public:
  static constexpr std::uint64_t empty_key = ~std::uint64_t{0};

  flat_map_u64() { rehash(16); }

  std::size_t size() const noexcept { return size_; }

  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    if (cap > keys_.size()) rehash(cap);
  }

  // The value for `key`, value-initialised when the key is new.
  Value& operator[](std::uint64_t key) {
    std::size_t i = hash_int(key, key_) & mask_;
    while (true) {
      const std::uint64_t k = keys_[i];
      if (k == key) return values_[i];
      if (k == empty_key) break;
      i = (i + 1) & mask_;
    }
    if (2 * (size_ + 1) > keys_.size()) {
      rehash(keys_.size() * 2);
      return (*this)[key];
    }
    keys_[i] = key;
    ++size_;
    return values_[i];
  }

  const Value* find(std::uint64_t key) const noexcept {
    std::size_t i = hash_int(key, key_) & mask_;
    while (true) {
      const std::uint64_t k = keys_[i];
      if (k == key) return &values_[i];
      if (k == empty_key) return nullptr;
      i = (i + 1) & mask_;
    }
  }

  // Calls f(key, value) for every entry, in slot order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != empty_key) f(keys_[i], values_[i]);
    }
  }

 private:
  void rehash(std::size_t capacity) {
    std::vector<std::uint64_t> old_keys(capacity, empty_key);
    std::vector<Value> old_values(capacity);
    old_keys.swap(keys_);
    old_values.swap(values_);
    mask_ = capacity - 1;
    for (std::size_t j = 0; j < old_keys.size(); ++j) {
      if (old_keys[j] == empty_key) continue;
      std::size_t i = hash_int(old_keys[j], key_) & mask_;
      while (keys_[i] != empty_key) i = (i + 1) & mask_;
      keys_[i] = old_keys[j];
      values_[i] = old_values[j];
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<Value> values_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  hash_key key_ = process_hash_key();  // keys may come from data: keyed (detail/hash.hpp)
};

inline std::uint64_t pair_key(std::uint32_t high, std::uint32_t low) noexcept {
  return (static_cast<std::uint64_t>(high) << 32) | low;
}
inline std::uint32_t pair_high(std::uint64_t key) noexcept {
  return static_cast<std::uint32_t>(key >> 32);
}
inline std::uint32_t pair_low(std::uint64_t key) noexcept {
  return static_cast<std::uint32_t>(key);
}

}  // namespace tierkit::detail
