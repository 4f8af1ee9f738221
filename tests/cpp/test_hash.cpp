// Internals: the hash functions and the short-key comparison of the hash tables.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "detail/hash.hpp"

using tierkit::detail::hash_bytes;
using tierkit::detail::hash_key;
using tierkit::detail::process_hash_key;
using tierkit::detail::same_bytes;
using tierkit::detail::same_bytes_up_to_16;

TEST_CASE("short byte ranges compare equal exactly when every byte agrees") {
  // Every length 0..16 and a difference at every position, in heap buffers of exactly n
  // bytes (a read past either end shows under ASan).
  for (std::size_t n = 0; n <= 16; ++n) {
    std::vector<char> a(n, 'q');
    for (std::size_t at = 0; at <= n; ++at) {
      for (const char c : {'\0', 'r', '\xff'}) {
        std::vector<char> b = a;
        if (at < n) b[at] = c;
        CHECK(same_bytes_up_to_16(a.data(), b.data(), n) == (at == n));
        CHECK(same_bytes_up_to_16(a.data(), b.data(), at));  // the bytes before it agree
      }
    }
  }
}

TEST_CASE("byte ranges of any length compare as memcmp does") {
  // Lengths on both sides of the 16- and 32-byte word paths, a difference at every position.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::vector<char> a(n, 'q');
    for (std::size_t at = 0; at <= n; ++at) {
      std::vector<char> b = a;
      if (at < n) b[at] = 'r';
      // (memcmp of an empty vector's null data is undefined, even for 0 bytes)
      CHECK(same_bytes(a.data(), b.data(), n) == (n == 0 || std::memcmp(a.data(), b.data(), n) == 0));
      CHECK(same_bytes(a.data(), b.data(), n) == (at == n));
    }
  }
}

TEST_CASE("string hashes depend on length and on every byte, under any key") {
  for (const hash_key& key : {process_hash_key(), hash_key{0, 1}, hash_key{0x0123456789abcdefULL, 0xfedcba9876543211ULL}}) {
    auto h = [&](std::string_view s) { return hash_bytes(s, key); };
    CHECK(h(std::string_view("", 0)) != h(std::string_view("\0", 1)));
    CHECK(h(std::string_view("ab\0", 3)) != h("ab"));
    for (std::size_t len = 1; len <= 24; ++len) {  // word loop, overlapping and single-byte tails
      const std::string base(len, 'h');
      CHECK(h(base) != h(base + 'h'));
      for (std::size_t at = 0; at < len; ++at) {
        std::string v = base;
        v[at] = 'i';
        CHECK(h(v) != h(base));
      }
    }
  }
}

TEST_CASE("the process's hash key is drawn once, with an odd multiplier, and keys change the hashes") {
  const hash_key& key = process_hash_key();
  CHECK(&key == &process_hash_key());
  CHECK(key.multiplier % 2 == 1);
  const hash_key other{key.offset ^ 1, key.multiplier};
  CHECK(hash_bytes("customer-1", key) != hash_bytes("customer-1", other));
  CHECK(tierkit::detail::hash_int(42, key) != tierkit::detail::hash_int(42, other));
}
