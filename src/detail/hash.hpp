#pragma once
// Hash functions for the open-addressing tables.
//
// Tables of keys from the data (customer, account, order, channel and category keys) hash
// with hash_int and hash_bytes under a hash_key drawn at random once per process: with an
// unkeyed, invertible hash, keys could be made (by inverting it) that all share one probe
// chain, and a table of n of them would cost n^2 probes. Under a secret key no one can
// prepare such keys. Table layouts therefore differ from run to run; no result depends on
// them (indices are given in order of first insertion, outputs are ordered by key).
// mix64 stays unkeyed for what must be the same in every run and is not data: the demo's
// ids, the perfect hash of a rule's literal list.
#include <cstdint>
#include <cstring>
#include <string_view>
#include "detail/int128.hpp"

namespace tierkit::detail {

// The 64-bit finalizer of MurmurHash3: a bijection that spreads every input bit.
inline std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// The secret of the keyed hashes (multiplier odd).
struct hash_key {
  std::uint64_t offset = 0;
  std::uint64_t multiplier = 1;
};
// This process's key, drawn from std::random_device (and the clock and an address, should
// it fail) on first use; the same for the rest of the process and in forked children, so
// tables carried over a fork stay valid.
const hash_key& process_hash_key() noexcept;

// The 128-bit product of x and y, its halves xor-ed: every bit of each input reaches the
// low bits (the folded multiply of wyhash and foldhash).
inline std::uint64_t fold_multiply(std::uint64_t x, std::uint64_t y) noexcept {
  const detail::uint128 p = static_cast<detail::uint128>(x) * y;
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

// Integer keys: MurmurHash3's finalizer (mix64) with the key offset by the secret and its
// first multiplier the secret's: a bijection as cheap as mix64 that spreads keys differing
// only in high bits (ids with a stride of 2^20 or 2^32) over the low bits the tables use,
// which a folded multiply alone leaves in arithmetic runs.
inline std::uint64_t hash_int(std::uint64_t x, const hash_key& key) noexcept {
  x ^= key.offset;
  x ^= x >> 33;
  x *= key.multiplier;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Byte strings, a word at a time: each 8-byte word is folded into the state by a multiply
// with the secret, so the difference two words make depends on the secret (an unkeyed
// multiply-rotate lets chosen word pairs cancel, whatever the starting state).
inline std::uint64_t hash_bytes(std::string_view s, const hash_key& key) noexcept {
  std::uint64_t h = key.offset ^ (s.size() * 0x9e3779b97f4a7c15ULL);
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = fold_multiply(h ^ w, key.multiplier);
    p += 8;
    n -= 8;
  }
  // The last 0..7 bytes by fixed-size loads (overlapping ones for 4..7, three single bytes
  // for 1..3) rather than a memcpy of variable length, which is a call.
  std::uint64_t tail = 0;
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    tail = a | (std::uint64_t{b} << 32);
  } else if (n > 0) {
    const auto byte = [&](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(p[i])}; };
    tail = byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
  }
  return fold_multiply(h ^ tail ^ 0x2d358dccaa6c78a5ULL, key.multiplier);
}

// a[0, n) == b[0, n) for n <= 16, by word loads (two that overlap when n is not a multiple
// of the word) that never read past either end: hash-table probes compare short keys
// without a call to memcmp.
inline bool same_bytes_up_to_16(const char* a, const char* b, std::size_t n) noexcept {
  auto load8 = [](const char* p) { std::uint64_t w; std::memcpy(&w, p, 8); return w; };
  auto load4 = [](const char* p) { std::uint32_t w; std::memcpy(&w, p, 4); return w; };
  if (n >= 8) return ((load8(a) ^ load8(b)) | (load8(a + n - 8) ^ load8(b + n - 8))) == 0;
  if (n >= 4) return ((load4(a) ^ load4(b)) | (load4(a + n - 4) ^ load4(b + n - 4))) == 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

// a[0, n) == b[0, n): short strings (codes, segment names such as "Potential Loyalist")
// without a call to memcmp: up to 32 bytes by word loads (two overlapping halves above 16).
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  if (n <= 16) return same_bytes_up_to_16(a, b, n);
  if (n <= 32) return same_bytes_up_to_16(a, b, 16) && same_bytes_up_to_16(a + n - 16, b + n - 16, 16);
  return std::memcmp(a, b, n) == 0;
}

}  // namespace tierkit::detail
