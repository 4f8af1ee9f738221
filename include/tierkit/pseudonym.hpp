#pragma once
// Keyed pseudonyms of customer ids, for what leaves the library (files, exports, logs).
//
// A pseudonym is HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) of the id under a secret
// key the user keeps, cut to its first 16 bytes and written as 32 lowercase hexadecimal
// digits. Policies:
//   - Keyed, not a plain hash: without the key nobody can recompute an id's pseudonym, so
//     ids cannot be found by hashing every likely id (phone numbers, customer numbers run
//     through a few million values in seconds).
//   - Deterministic: the same id under the same key always gives the same pseudonym, so
//     pseudonymised files of different runs still join on their id columns; another key
//     gives unrelated pseudonyms.
//   - The id's bytes: an integer id is hashed as its decimal text (42 -> "42", -7 -> "-7"),
//     a text id as its UTF-8 bytes, so a customer read as the integer 42 from Parquet and as
//     the text "42" from CSV gets one pseudonym ("0042" stays another id).
//   - One way: a pseudonym leads back to its id only through the key table the caller
//     keeps (pseudonym -> id, see Python's tk.pseudonymise). 128 bits make two ids sharing
//     a pseudonym practically impossible (about 2^-64 at 4 billion ids); a table where it
//     happened would still be refused rather than merge two customers.
//   - The key: at least 16 bytes (min_pseudonym_key_bytes); 32 random bytes, as from
//     `head -c 32 /dev/urandom > key`, are what HMAC-SHA256 can use fully. Keep it apart from
//     the data: with the key and a list of candidate ids anyone can re-identify.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tierkit/column.hpp"

namespace tierkit {

using sha256_digest = std::array<std::uint8_t, 32>;

// SHA-256 of `data` (FIPS 180-4).
sha256_digest sha256(std::string_view data) noexcept;
// HMAC-SHA256 of `message` under `key` (RFC 2104; test vectors of RFC 4231).
sha256_digest hmac_sha256(std::string_view key, std::string_view message) noexcept;

inline constexpr std::size_t min_pseudonym_key_bytes = 16;
inline constexpr std::size_t pseudonym_digits = 32;  // hex digits of a pseudonym

// The pseudonym of an id's bytes under `key` (invalid_input for a key shorter than
// min_pseudonym_key_bytes).
std::string pseudonym(std::string_view key, std::string_view id_bytes);

// Pseudonyms of every row of a key column: integers (int8..uint64) as their decimal text,
// strings (utf8, large_utf8, utf8_view, string_views) as their bytes, dictionaries through
// their values. Row i's pseudonym is out[32 i, 32 i + 32); a null row's is 32 '0' digits
// (the caller masks nulls by the column's validity). invalid_input for a short key,
// schema_error for a column of another type. Runs on `threads` threads (0: every CPU the
// process may use).
std::string pseudonyms(const column_view& ids, std::string_view key, unsigned threads = 0);

}  // namespace tierkit
