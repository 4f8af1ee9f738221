#pragma once
// Hash functions for the open-addressing tables. Both are deterministic (no per-process
// seed): table layouts, and so iteration order inside a state, do not depend on the run.
#include <cstdint>
#include <cstring>
#include <string_view>

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

// Word-at-a-time string hash: multiply-rotate over 8-byte words, then the finalizer.
inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr std::uint64_t k = 0x9e3779b97f4a7c15ULL;
  std::uint64_t h = k ^ (s.size() * 0xff51afd7ed558ccdULL);
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ (w * k));
    h = (h << 29) | (h >> 35);
    h *= 0xc4ceb9fe1a85ec53ULL;
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
  h ^= tail * k;
  return mix64(h);
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
