// Internals: the dictionary that numbers keys (hash slots, or a direct table for compact
// integer ranges) and orders them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "detail/hash.hpp"
#include "detail/key_dictionary.hpp"
#include "tierkit/error.hpp"

using tierkit::detail::hash_key;
using tierkit::detail::key_dictionary;

TEST_CASE("a dictionary orders its keys the same by radix and by comparison") {
  for (const std::int64_t spread : {std::int64_t{1000}, std::int64_t{1} << 50}) {
    tierkit::detail::key_dictionary d;
    d.require_kind(tierkit::detail::key_dictionary::kind::integer, "customer");
    std::uint64_t s = 7;
    for (int i = 0; i < 3000; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      d.insert(static_cast<std::int64_t>(s % static_cast<std::uint64_t>(spread)) - spread / 2);
    }
    const auto order = d.sorted_order();
    REQUIRE(order.size() == d.size());
    for (std::size_t i = 1; i < order.size(); ++i) CHECK(d.int_at(order[i - 1]) < d.int_at(order[i]));
  }
}

TEST_CASE("a direct table numbers compact integer keys like hashing, and leaves for hashing on an outside key") {
  std::mt19937_64 rng(3);
  for (const bool leave : {false, true}) {
    key_dictionary direct, hashed;
    direct.require_kind(key_dictionary::kind::integer, "customer");
    hashed.require_kind(key_dictionary::kind::integer, "customer");
    direct.expect_int_range(-50, 9'999, 1 << 16);
    REQUIRE(direct.direct());
    std::vector<std::int64_t> keys;
    for (int i = 0; i < 20000; ++i) keys.push_back(static_cast<std::int64_t>(rng() % 10050) - 50);
    if (leave) keys.insert(keys.begin() + 7000, {10'000, -51, std::numeric_limits<std::int64_t>::min()});
    for (const std::int64_t k : keys) CHECK(direct.insert(k) == hashed.insert(k));
    CHECK(direct.direct() == !leave);
    CHECK(direct.size() == hashed.size());
    for (const std::int64_t k : keys) CHECK(direct.find(k) == hashed.find(k));
    CHECK(direct.find(20'000) == key_dictionary::no_index);
    CHECK(direct.find(-51) == (leave ? hashed.find(-51) : key_dictionary::no_index));
    CHECK(direct.sorted_order() == hashed.sorted_order());
    // Absorbing gives the same numbering either way.
    key_dictionary other;
    other.require_kind(key_dictionary::kind::integer, "customer");
    for (std::int64_t k = 9'990; k < 10'010; ++k) other.insert(k);
    CHECK(direct.absorb(other) == hashed.absorb(other));
    CHECK_FALSE(direct.direct());  // 10,000 and above lie outside the table
  }
}

TEST_CASE("a direct table is refused for wide ranges, strings and filled dictionaries") {
  key_dictionary wide;
  wide.expect_int_range(0, 1 << 20, 1 << 16);
  CHECK_FALSE(wide.direct());
  key_dictionary full_range;
  full_range.expect_int_range(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 1 << 16);
  CHECK_FALSE(full_range.direct());
  key_dictionary filled;
  filled.require_kind(key_dictionary::kind::integer, "customer");
  filled.insert(5);
  filled.expect_int_range(0, 10, 1 << 16);
  CHECK_FALSE(filled.direct());
  key_dictionary text;
  text.require_kind(key_dictionary::kind::string, "customer");
  text.expect_int_range(0, 10, 1 << 16);
  CHECK_FALSE(text.direct());
}

TEST_CASE("string keys are ordered by their bytes: prefixes first, NUL and high bytes included") {
  std::mt19937_64 rng(11);
  key_dictionary d;
  d.require_kind(key_dictionary::kind::string, "customer");
  std::vector<std::string> keys = {"", std::string(1, '\0'), std::string("ab\0", 3), "ab", "abc",
                                   "C000000001", "C0000000010", "C00000000", "\xe5\xae\xa2\xe6\x88\xb7",
                                   "\xff", std::string(40, 'x'), std::string(40, 'x') + "y",
                                   std::string(39, 'x') + "\x80"};
  const std::string alphabet("ab\0\xff", 4);
  for (int i = 0; i < 5000; ++i) {
    std::string k = i % 2 ? "prefix-shared-by-many-keys-" : "";
    const std::size_t len = rng() % 20;
    for (std::size_t j = 0; j < len; ++j) k.push_back(alphabet[rng() % alphabet.size()]);
    keys.push_back(k);
  }
  for (const std::string& k : keys) d.insert(k);
  const auto order = d.sorted_order();
  REQUIRE(order.size() == d.size());
  for (std::size_t i = 1; i < order.size(); ++i) CHECK(d.string_at(order[i - 1]) < d.string_at(order[i]));
}

TEST_CASE("string keys sharing a 1 MB prefix are ordered, however many share it") {
  // The sort goes 8 bytes a round; a megabyte shared would be 131,072 nested rounds if
  // rounds recursed. Ranges tied on 8 more bytes (two keys; many keys; keys that are
  // prefixes of others; ties nested at several depths, each beyond the comparison cut-off).
  const std::string prefix(std::size_t{1} << 20, 'k');
  std::vector<std::vector<std::string>> cases;
  cases.push_back({prefix + "b", prefix + "a"});
  std::vector<std::string> many;
  for (int i = 0; i < 24; ++i) many.push_back(prefix + std::to_string(i * 7919 % 1000));
  cases.push_back(many);
  std::vector<std::string> nested = {prefix, prefix + "a", prefix + std::string(9, 'a'), prefix.substr(1)};
  for (int i = 0; i < 12; ++i) {
    nested.push_back(prefix + std::string(100, 'x') + std::to_string(i));
    nested.push_back(prefix + std::string(100, 'x') + std::string(5000, 'y') + std::to_string(i));
    nested.push_back(std::string(1000, 'k') + "z" + std::to_string(i));
  }
  cases.push_back(nested);
  for (std::vector<std::string>& keys : cases) {
    key_dictionary d;
    for (const std::string& k : keys) d.insert(k);
    const auto order = d.sorted_order();
    REQUIRE(order.size() == keys.size());
    std::sort(keys.begin(), keys.end());
    for (std::size_t i = 0; i < order.size(); ++i) CHECK(d.string_at(order[i]) == keys[i]);
  }
}

namespace {
// The unkeyed hashes keys were hashed with before: MurmurHash3's finalizer for integers
// and a multiply-rotate word loop for strings. Both could be inverted or cancelled.
std::uint64_t old_mix64(std::uint64_t x) { return tierkit::detail::mix64(x); }
std::uint64_t old_unmix64(std::uint64_t x) {  // the inverse of old_mix64
  auto inverse = [](std::uint64_t a) {  // of an odd multiplier, by Newton's iteration
    std::uint64_t v = a;
    for (int i = 0; i < 6; ++i) v *= 2 - a * v;
    return v;
  };
  x ^= x >> 33;
  x *= inverse(0xc4ceb9fe1a85ec53ULL);
  x ^= x >> 33;
  x *= inverse(0xff51afd7ed558ccdULL);
  x ^= x >> 33;
  return x;
}
constexpr std::uint64_t old_k = 0x9e3779b97f4a7c15ULL, old_c = 0xc4ceb9fe1a85ec53ULL;
std::uint64_t old_hash_bytes(std::string_view s) {  // whole words only (lengths of 8 * m)
  std::uint64_t h = old_k ^ (s.size() * 0xff51afd7ed558ccdULL);
  for (std::size_t at = 0; at + 8 <= s.size(); at += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + at, 8);
    h = h ^ (w * old_k);
    h = (h << 29) | (h >> 35);
    h *= old_c;
  }
  return old_mix64(h ^ 0);
}
std::string word(std::uint64_t w) {
  std::string out(8, '\0');
  std::memcpy(&out[0], &w, 8);
  return out;
}
const std::vector<hash_key> some_keys = {tierkit::detail::process_hash_key(), hash_key{0, 0x9e3779b97f4a7c15ULL},
                                         hash_key{0x243f6a8885a308d3ULL, 0x13198a2e03707345ULL}};
}  // namespace

TEST_CASE("integer keys made to share one probe chain under the old unkeyed hash spread under the keyed one") {
  // Each key's old hash ends in 32 zero bits: one home slot in every table up to 2^32
  // slots, a chain as long as the table is full.
  std::vector<std::int64_t> keys;
  for (std::uint64_t i = 1; i <= 100000; ++i) keys.push_back(static_cast<std::int64_t>(old_unmix64(i << 32)));
  for (const std::int64_t k : keys) REQUIRE((old_mix64(static_cast<std::uint64_t>(k)) & 0xffffffffULL) == 0);
  std::vector<std::uint32_t> first_order;
  for (const hash_key& key : some_keys) {
    key_dictionary d(key);
    for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE(d.insert(keys[i]) == i);
    CHECK(d.longest_probe() < 64);  // expected O(log n) at load <= 1/2; the old hash: 99,999
    for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE(d.find(keys[i]) == i);
    const std::vector<std::uint32_t> order = d.sorted_order();
    if (first_order.empty()) first_order = order;
    CHECK(order == first_order);  // the key changes the layout, never the numbering or order
  }
}

TEST_CASE("ids in arithmetic runs spread under the keyed hash, whatever their stride") {
  // A keyed hash whose low bits followed only the keys' low bits would put ids with a
  // stride of 2^32 into few slots.
  for (const std::uint64_t stride : {std::uint64_t{1}, std::uint64_t{1000}, std::uint64_t{1} << 20,
                                     std::uint64_t{1} << 32, std::uint64_t{1} << 44}) {
    for (const hash_key& key : some_keys) {
      key_dictionary d(key);
      for (std::uint64_t i = 1; i <= 100000; ++i) d.insert(static_cast<std::int64_t>(i * stride));
      CAPTURE(stride);
      CHECK(d.longest_probe() < 64);
    }
  }
}

TEST_CASE("string keys colliding in full under the old unkeyed hash spread under the keyed one") {
  // Word pairs (a, b) and (a', b') with a' * k = a * k ^ 2^34 and b' * k = b * k ^ 2^63
  // leave the old state unchanged whatever it was: 12 independent pairs in 24 words give
  // 4,096 keys of one old hash.
  auto inverse = [](std::uint64_t a) {
    std::uint64_t v = a;
    for (int i = 0; i < 6; ++i) v *= 2 - a * v;
    return v;
  };
  const std::uint64_t k_inverse = inverse(old_k);
  std::vector<std::string> keys = {""};
  for (int pair = 0; pair < 12; ++pair) {
    const std::uint64_t a = 0x6d6f6e6574617279ULL + static_cast<std::uint64_t>(pair), b = 0x637573746f6d6572ULL;
    const std::string plain = word(a) + word(b);
    const std::string swapped = word((a * old_k ^ (std::uint64_t{1} << 34)) * k_inverse) +
                                word((b * old_k ^ (std::uint64_t{1} << 63)) * k_inverse);
    std::vector<std::string> next;
    for (const std::string& head : keys) {
      next.push_back(head + plain);
      next.push_back(head + swapped);
    }
    keys.swap(next);
  }
  REQUIRE(keys.size() == 4096);
  for (const std::string& key : keys) REQUIRE(old_hash_bytes(key) == old_hash_bytes(keys[0]));
  for (const hash_key& key : some_keys) {
    key_dictionary d(key);
    for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE(d.insert(keys[i]) == i);
    CHECK(d.longest_probe() < 64);
    for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE(d.find(keys[i]) == i);
  }
}

TEST_CASE("clear() forgets every key, for hashing and for a direct table") {
  key_dictionary hashing;
  hashing.require_kind(key_dictionary::kind::integer, "customer");
  for (std::int64_t k = 0; k < 1000; ++k) hashing.insert(k * 7919);
  key_dictionary direct;
  direct.require_kind(key_dictionary::kind::integer, "customer");
  direct.expect_int_range(100, 199, 1000);
  REQUIRE(direct.direct());
  for (std::int64_t k = 100; k < 150; ++k) direct.insert(k);
  for (key_dictionary* d : {&hashing, &direct}) {
    for (int round = 0; round < 3; ++round) {
      d->clear();
      CHECK(d->size() == 0);
      CHECK(d->find(std::int64_t{7919}) == key_dictionary::no_index);
      CHECK(d->find(std::int64_t{120}) == key_dictionary::no_index);
      // Numbered from 0 again, in order of first insertion.
      CHECK(d->insert(std::int64_t{150 + round}) == 0);
      CHECK(d->insert(std::int64_t{120}) == 1);
      CHECK(d->insert(std::int64_t{150 + round}) == 0);
      CHECK(d->int_at(1) == 120);
      CHECK(d->find(std::int64_t{120}) == 1);
    }
  }
  CHECK(direct.direct());
}

TEST_CASE("keys numbered by value: index = key - lo, holes counted, hashing after an outside key") {
  key_dictionary d;
  d.number_by_key(-5, 94);
  REQUIRE(d.by_key());
  CHECK(d.size() == 100);  // the whole range, holes included
  CHECK(d.find(std::int64_t{-5}) == 0);
  CHECK(d.find(std::int64_t{94}) == 99);
  CHECK(d.find(std::int64_t{95}) == key_dictionary::no_index);
  CHECK(d.insert(std::int64_t{10}) == 15);
  CHECK(d.int_at(15) == 10);
  const std::vector<std::uint32_t> order = d.sorted_order();
  CHECK(order.size() == 100);
  CHECK(order.front() == 0);
  CHECK(order.back() == 99);
  // Another dictionary absorbs every index, holes too, by key.
  key_dictionary other;
  other.require_kind(key_dictionary::kind::integer, "customer");
  other.insert(std::int64_t{1000});
  const std::vector<std::uint32_t> map = other.absorb(d);
  CHECK(map.size() == 100);
  CHECK(other.find(std::int64_t{10}) == map[15]);
  // With a keep mask only the kept indices are inserted.
  key_dictionary some;
  std::vector<std::uint8_t> keep(100, 0);
  keep[15] = keep[99] = 1;
  const std::vector<std::uint32_t> kept = some.absorb(d, &keep);
  CHECK(some.size() == 2);
  CHECK(kept[15] == 0);
  CHECK(kept[99] == 1);
  CHECK(kept[0] == key_dictionary::no_index);
  CHECK(some.find(std::int64_t{-5}) == key_dictionary::no_index);
  // A key outside: every index kept, then hashing.
  CHECK(d.insert(std::int64_t{500}) == 100);
  CHECK_FALSE(d.by_key());
  CHECK(d.find(std::int64_t{10}) == 15);
  CHECK(d.find(std::int64_t{-5}) == 0);
  CHECK(d.find(std::int64_t{500}) == 100);
  CHECK(d.int_at(99) == 94);
  CHECK(d.size() == 101);
  // Not for filled dictionaries, strings or ranges of 2^32 keys and more.
  key_dictionary filled;
  filled.insert(std::int64_t{1});
  filled.number_by_key(0, 10);
  CHECK_FALSE(filled.by_key());
  key_dictionary wide;
  wide.number_by_key(0, std::int64_t{1} << 33);
  CHECK_FALSE(wide.by_key());
}

TEST_CASE("string keys are told apart by every byte, inside and beyond the slot's head") {
  // Keys of every length 0..40 and, for each, variants differing in one byte at each
  // position: the first 16 bytes are compared in the slot, the rest through the stored
  // characters. Lookups must find exactly the inserted keys, also after growth and clear().
  key_dictionary d;
  d.require_kind(key_dictionary::kind::string, "customer");
  std::vector<std::string> keys, absent;
  for (std::size_t len = 0; len <= 40; ++len) {
    const std::string base(len, 'k');
    keys.push_back(base);
    for (std::size_t at = 0; at < len; ++at) {
      std::string v = base;
      v[at] = static_cast<char>(at % 2 ? '\0' : '\xff');
      (at % 3 ? keys : absent).push_back(v);
    }
    absent.push_back(base + 'x');  // the key plus a byte: same head, longer
  }
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) CHECK(d.insert(keys[i]) == i);
    REQUIRE(d.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      CHECK(d.find(keys[i]) == i);
      CHECK(d.insert(keys[i]) == i);
      CHECK(d.string_at(static_cast<std::uint32_t>(i)) == keys[i]);
    }
    for (const std::string& k : absent) CHECK(d.find(k) == key_dictionary::no_index);
    d.clear();
    CHECK(d.size() == 0);
    for (const std::string& k : keys) CHECK(d.find(k) == key_dictionary::no_index);
  }
}

TEST_CASE("absorbing a dictionary numbers its keys as inserting them one by one would") {
  // Strings and integers, into empty and filled dictionaries (the inserts reserve room
  // first and run ahead of themselves with prefetches), with and without a keep mask.
  std::mt19937_64 rng(11);
  for (const bool strings : {false, true}) {
    for (const std::size_t filled : {std::size_t{0}, std::size_t{3000}}) {
      for (const bool masked : {false, true}) {
        const auto kind = strings ? key_dictionary::kind::string : key_dictionary::kind::integer;
        key_dictionary into, other, want;
        into.require_kind(kind, "customer");
        other.require_kind(kind, "customer");
        want.require_kind(kind, "customer");
        auto put = [&](key_dictionary& d, std::uint64_t k) {
          return strings ? d.insert("key-" + std::to_string(k)) : d.insert(static_cast<std::int64_t>(k));
        };
        for (std::size_t i = 0; i < filled; ++i) {
          const std::uint64_t k = rng() % 20000;
          put(into, k);
          put(want, k);
        }
        for (int i = 0; i < 10000; ++i) put(other, rng() % 20000);
        std::vector<std::uint8_t> keep(other.size());
        for (auto& x : keep) x = static_cast<std::uint8_t>(rng() % 3 != 0);
        const auto map = into.absorb(other, masked ? &keep : nullptr);
        REQUIRE(map.size() == other.size());
        for (std::uint32_t j = 0; j < other.size(); ++j) {
          if (masked && !keep[j]) {
            CHECK(map[j] == key_dictionary::no_index);
            continue;
          }
          const std::uint32_t w = strings ? want.insert(other.string_at(j)) : want.insert(other.int_at(j));
          CHECK(map[j] == w);
        }
        CHECK(into.size() == want.size());
      }
    }
  }
}

TEST_CASE("inserting fixes the kind; the other kind is refused") {
  // String and integer keys have tables of their own: a dictionary holds one kind.
  key_dictionary d;
  for (int i = 0; i < 5000; ++i) CHECK(d.insert("s" + std::to_string(i)) == static_cast<std::uint32_t>(i));
  CHECK(d.key_kind() == key_dictionary::kind::string);
  for (int i = 0; i < 5000; ++i) CHECK(d.find("s" + std::to_string(i)) == static_cast<std::uint32_t>(i));
  CHECK(d.string_at(4321) == "s4321");
  CHECK_THROWS_AS(d.insert(std::int64_t{5}), tierkit::schema_error);
  key_dictionary n;
  CHECK(n.insert(std::int64_t{-7}) == 0);
  CHECK(n.key_kind() == key_dictionary::kind::integer);
  CHECK_THROWS_AS(n.insert("x"), tierkit::schema_error);
  CHECK(n.size() == 1);
}
