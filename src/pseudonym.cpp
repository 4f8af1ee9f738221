#include "tierkit/pseudonym.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>
#include <vector>

#include "detail/decode.hpp"
#include "detail/worker_pool.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr std::uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline std::uint32_t rotr(std::uint32_t x, int n) noexcept { return (x >> n) | (x << (32 - n)); }

// SHA-256 over a stream of bytes: absorb any number of pieces, then finish.
class sha256_state {
 public:
  sha256_state() noexcept = default;

  void absorb(std::string_view data) noexcept {
    length_ += data.size();
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t n = data.size();
    if (used_ > 0) {
      const std::size_t take = std::min(n, std::size_t{64} - used_);
      std::memcpy(block_ + used_, p, take);
      used_ += take;
      p += take;
      n -= take;
      if (used_ < 64) return;
      compress(block_);
      used_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(p);
    std::memcpy(block_, p, n);
    used_ = n;
  }

  sha256_digest finish() noexcept {
    const std::uint64_t bits = length_ * 8;
    const std::uint8_t one = 0x80;
    absorb(std::string_view(reinterpret_cast<const char*>(&one), 1));
    const std::uint8_t zero[64] = {};
    const std::size_t pad = used_ <= 56 ? 56 - used_ : 120 - used_;
    absorb(std::string_view(reinterpret_cast<const char*>(zero), pad));
    std::uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    absorb(std::string_view(reinterpret_cast<const char*>(len), 8));
    sha256_digest out;
    for (int i = 0; i < 8; ++i) {
      for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * b));
    }
    return out;
  }

 private:
  void compress(const std::uint8_t* p) noexcept {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (std::uint32_t{p[4 * i]} << 24) | (std::uint32_t{p[4 * i + 1]} << 16) |
             (std::uint32_t{p[4 * i + 2]} << 8) | std::uint32_t{p[4 * i + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                               round_constants[i] + w[i];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a; h_[1] += b; h_[2] += c; h_[3] += d;
    h_[4] += e; h_[5] += f; h_[6] += g; h_[7] += h;
  }

  std::uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::uint8_t block_[64] = {};
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

// HMAC-SHA256 under one key, its inner and outer pads absorbed once (RFC 2104): each message
// then costs the compressions of its own bytes and one of the outer hash.
class hmac_sha256_key {
 public:
  explicit hmac_sha256_key(std::string_view key) noexcept {
    std::uint8_t k[64] = {};
    if (key.size() > 64) {
      const sha256_digest d = sha256(key);
      std::memcpy(k, d.data(), d.size());
    } else if (!key.empty()) {
      std::memcpy(k, key.data(), key.size());
    }
    std::uint8_t pad[64];
    for (int i = 0; i < 64; ++i) pad[i] = k[i] ^ 0x36;
    inner_.absorb(std::string_view(reinterpret_cast<const char*>(pad), 64));
    for (int i = 0; i < 64; ++i) pad[i] = k[i] ^ 0x5c;
    outer_.absorb(std::string_view(reinterpret_cast<const char*>(pad), 64));
  }

  sha256_digest of(std::string_view message) const noexcept {
    sha256_state in = inner_;
    in.absorb(message);
    const sha256_digest inner = in.finish();
    sha256_state out = outer_;
    out.absorb(std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()));
    return out.finish();
  }

 private:
  sha256_state inner_, outer_;
};

void check_key(std::string_view key, const char* fn) {
  if (key.size() < min_pseudonym_key_bytes) {
    throw invalid_input(std::string(fn) + ": the pseudonym key has " + std::to_string(key.size()) +
                        " bytes; at least 16 are needed (32 random bytes are best, e.g. "
                        "`head -c 32 /dev/urandom > keyfile`)");
  }
}

void write_hex(const sha256_digest& d, char* out) noexcept {
  static const char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < pseudonym_digits / 2; ++i) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
}

// The decimal text of an integer id (the bytes its pseudonym hashes).
std::string_view decimal(std::uint64_t magnitude, bool negative, char (&buf)[24]) noexcept {
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) *--p = '-';
  return std::string_view(p, static_cast<std::size_t>(end - p));
}

template <class T>
std::string_view int_text(const column_view& c, std::int64_t row, char (&buf)[24]) noexcept {
  const T v = static_cast<const T*>(c.values)[c.offset + row];
  if constexpr (std::is_signed<T>::value) {
    const bool negative = v < 0;
    const auto m = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(static_cast<std::int64_t>(v))
                            : static_cast<std::uint64_t>(v);
    return decimal(m, negative, buf);
  } else {
    return decimal(static_cast<std::uint64_t>(v), false, buf);
  }
}

// The bytes an id at `row` of a plain (not dictionary) column hashes.
std::string_view id_bytes(const column_view& c, std::int64_t row, char (&buf)[24]) noexcept {
  switch (c.type) {
    case data_type::int8: return int_text<std::int8_t>(c, row, buf);
    case data_type::int16: return int_text<std::int16_t>(c, row, buf);
    case data_type::int32: return int_text<std::int32_t>(c, row, buf);
    case data_type::int64: return int_text<std::int64_t>(c, row, buf);
    case data_type::uint8: return int_text<std::uint8_t>(c, row, buf);
    case data_type::uint16: return int_text<std::uint16_t>(c, row, buf);
    case data_type::uint32: return int_text<std::uint32_t>(c, row, buf);
    case data_type::uint64: return int_text<std::uint64_t>(c, row, buf);
    default: return detail::string_value(c, row);
  }
}

bool readable(const column_view& c) {
  return is_integer(c.type) || is_string_like(c.type);
}

}  // namespace

sha256_digest sha256(std::string_view data) noexcept {
  sha256_state s;
  s.absorb(data);
  return s.finish();
}

sha256_digest hmac_sha256(std::string_view key, std::string_view message) noexcept {
  return hmac_sha256_key(key).of(message);
}

std::string pseudonym(std::string_view key, std::string_view id) {
  check_key(key, "tierkit.pseudonym");
  std::string out(pseudonym_digits, '0');
  write_hex(hmac_sha256(key, id), out.data());
  return out;
}

std::string pseudonyms(const column_view& ids, std::string_view key, unsigned threads) {
  const char* fn = "tierkit.pseudonyms";
  check_key(key, fn);
  const bool dictionary = ids.type == data_type::dictionary;
  if (dictionary ? (ids.dictionary == nullptr || !readable(*ids.dictionary) || !is_integer(ids.index_type))
                 : !readable(ids)) {
    throw schema_error(std::string(fn) + ": " + ids.describe() + " holds no ids; expected integers "
                       "or texts (or a dictionary of them)");
  }
  const hmac_sha256_key mac(key);
  const auto n = static_cast<std::size_t>(ids.length);
  std::string out(n * pseudonym_digits, '0');
  const column_view indices = dictionary ? detail::dictionary_indices(ids) : column_view{};
  const std::int64_t entries = dictionary ? ids.dictionary->length : 0;
  // Blocks of rows, claimed by the threads in turn.
  constexpr std::size_t block = 4096;
  const std::size_t blocks = (n + block - 1) / block;
  const unsigned want = threads == 0 ? detail::usable_cpus() : threads;
  const auto used = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(want, blocks)));
  std::atomic<std::size_t> next{0};
  detail::run_pooled(used, [&](unsigned) {
    char buf[24];
    for (std::size_t b = next++; b < blocks; b = next++) {
      const std::size_t end = std::min(n, (b + 1) * block);
      for (std::size_t i = b * block; i < end; ++i) {
        const auto row = static_cast<std::int64_t>(i);
        if (!ids.is_valid(row)) continue;
        std::string_view bytes;
        if (dictionary) {
          const std::int64_t k = detail::int_value(indices, row);
          if (k < 0 || k >= entries || !ids.dictionary->is_valid(k)) continue;
          bytes = id_bytes(*ids.dictionary, k, buf);
        } else {
          bytes = id_bytes(ids, row, buf);
        }
        write_hex(mac.of(bytes), &out[i * pseudonym_digits]);
      }
    }
  });
  return out;
}

}  // namespace tierkit
