#include "detail/decode.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "tierkit/error.hpp"
#include "detail/int128.hpp"

namespace tierkit::detail {

// Rows between a hash slot's prefetch and its probe: far enough ahead that the slot has
// arrived when it is probed. 32 measured faster than 16 for sparse 64-bit and string keys,
// and 64 no faster than 32.
constexpr std::int64_t lookup_prefetch_distance = 32;

column_view dictionary_indices(const column_view& c) {
  column_view ix;
  ix.name = c.name;
  ix.type = c.index_type;
  ix.length = c.length;
  ix.offset = c.offset;
  ix.validity = c.validity;
  ix.values = c.values;
  return ix;
}

bool key_is_null(const column_view& c, const column_view* indices, std::int64_t row) noexcept {
  if (!c.is_valid(row)) return true;
  if (indices == nullptr) return false;
  const std::int64_t k = int_value(*indices, row);
  if (k < 0 || k >= c.dictionary->length) return false;  // reported as out of range
  return !c.dictionary->is_valid(k);
}

key_encoder::key_encoder(const column_view& c, key_dictionary& dict, const char* role)
    : column_(c), dict_(dict) {
  data_type t = c.type;
  if (t == data_type::dictionary) {
    dictionary_ = true;
    indices_ = dictionary_indices(c);
    cache_.assign(static_cast<std::size_t>(c.dictionary->length), key_dictionary::no_index);
    t = c.dictionary->type;
  }
  strings_ = is_string_like(t);
  dict_.require_kind(strings_ ? key_dictionary::kind::string : key_dictionary::kind::integer,
                     role);
}

std::uint32_t key_encoder::dictionary_value(std::int64_t k) {
  std::uint32_t& slot = cache_[static_cast<std::size_t>(k)];
  if (slot == key_dictionary::no_index) {
    const column_view& values = *column_.dictionary;
    slot = strings_ ? dict_.insert(string_value(values, k)) : dict_.insert(int_value(values, k));
  }
  return slot;
}

// Rows often repeat the previous row's key (lines of one order, a customer's visit), so
// each loop first compares with the last key looked up.
void key_encoder::encode(std::int64_t begin, std::int64_t n, const std::uint8_t* skip,
                         std::uint32_t* out) {
  if (dictionary_) {
    for_each_int(indices_, begin, n, [&](std::int64_t i, std::int64_t k) {
      if (!skip[i]) out[i] = dictionary_value(k);
    });
  } else if (strings_) {
    std::string_view last;
    std::uint32_t last_index = key_dictionary::no_index;
    for (std::int64_t i = 0; i < n; ++i) {
      if (skip[i]) continue;
      const std::string_view v = string_value(column_, begin + i);
      if (last_index == key_dictionary::no_index || v != last) {
        last = v;
        last_index = dict_.insert(v);
      }
      out[i] = last_index;
    }
  } else {
    // Prefetch the slot of the row `ahead` rows on, so that lookups overlap their misses.
    constexpr std::int64_t ahead = lookup_prefetch_distance;
    std::int64_t last = 0;
    std::uint32_t last_index = key_dictionary::no_index;
    with_int_values(column_, [&](const auto* v) {
      v += begin;
      for (std::int64_t i = 0; i < std::min(ahead, n); ++i) dict_.prefetch(static_cast<std::int64_t>(v[i]));
      for (std::int64_t i = 0; i < n; ++i) {
        if (i + ahead < n) dict_.prefetch(static_cast<std::int64_t>(v[i + ahead]));
        if (skip[i]) continue;
        const auto key = static_cast<std::int64_t>(v[i]);
        if (last_index == key_dictionary::no_index || key != last) {
          last = key;
          last_index = dict_.insert(key);
        }
        out[i] = last_index;
      }
    });
  }
}

key_lookup::key_lookup(const column_view& c, const key_dictionary& dict, const char* role)
    : column_(c), dict_(dict) {
  data_type t = c.type;
  if (t == data_type::dictionary) {
    dictionary_ = true;
    indices_ = dictionary_indices(c);
    t = c.dictionary->type;
  }
  strings_ = is_string_like(t);
  const auto want = strings_ ? key_dictionary::kind::string : key_dictionary::kind::integer;
  if (dict.key_kind() != key_dictionary::kind::unset && dict.key_kind() != want) {
    key_dictionary probe;  // raises the same schema_error as an insert would
    probe.require_kind(dict.key_kind(), role);
    probe.require_kind(want, role);
  }
  if (dictionary_) {
    const column_view& values = *c.dictionary;
    mapped_.resize(static_cast<std::size_t>(values.length));
    for (std::int64_t k = 0; k < values.length; ++k) {
      mapped_[static_cast<std::size_t>(k)] =
          strings_ ? dict.find(string_value(values, k)) : dict.find(int_value(values, k));
    }
  }
}

void key_lookup::find(std::int64_t begin, std::int64_t n, const std::uint8_t* skip,
                      std::uint32_t* out) const {
  if (dictionary_) {
    for_each_int(indices_, begin, n, [&](std::int64_t i, std::int64_t k) {
      if (!skip[i]) out[i] = mapped_[static_cast<std::size_t>(k)];
    });
  } else if (strings_) {
    // Hash the block's keys first, then probe with the slot `ahead` rows on prefetched, so
    // that lookups overlap their cache misses. No "same key as the previous row" shortcut:
    // its string compare costs more than a probe of a slot already in L1.
    constexpr std::int64_t ahead = lookup_prefetch_distance;
    thread_local std::vector<std::uint64_t> hashes;
    hashes.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      hashes[static_cast<std::size_t>(i)] = skip[i] ? 0 : dict_.hash(string_value(column_, begin + i));
    }
    for (std::int64_t i = 0; i < std::min(ahead, n); ++i) dict_.prefetch_hash(hashes[static_cast<std::size_t>(i)]);
    for (std::int64_t i = 0; i < n; ++i) {
      if (i + ahead < n) dict_.prefetch_hash(hashes[static_cast<std::size_t>(i + ahead)]);
      if (skip[i]) continue;
      out[i] = dict_.find(string_value(column_, begin + i), hashes[static_cast<std::size_t>(i)]);
    }
  } else if (dict_.key_kind() == key_dictionary::kind::integer && dict_.by_key()) {
    // Numbered by key: the index is the key's offset in the range, no table.
    const auto base = static_cast<std::uint64_t>(dict_.base());
    const std::uint64_t size = dict_.size();
    with_int_values(column_, [&](const auto* v) {
      v += begin;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(v[i])) - base;
        out[i] = d < size ? static_cast<std::uint32_t>(d) : key_dictionary::no_index;
      }
    });
  } else if (dict_.key_kind() == key_dictionary::kind::integer && dict_.direct()) {
    // Compact ids: one independent load per row, no branch on the key (a branch on "same
    // key as the previous row" mispredicts on the lines of short orders and serializes
    // the table's cache misses). Skipped rows get an index too; callers ignore it.
    const key_dictionary::direct_view t = dict_.direct_table();
    with_int_values(column_, [&](const auto* v) {
      v += begin;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(v[i])) -
                                static_cast<std::uint64_t>(t.base);
        out[i] = d < t.size ? t.table[d] : key_dictionary::no_index;
      }
    });
  } else {
    // Hashed keys: slots prefetched `ahead` rows on; no branch on "same key as the previous
    // row" (see the direct table above): a repeated key finds its slot in L1 anyway.
    constexpr std::int64_t ahead = lookup_prefetch_distance;
    with_int_values(column_, [&](const auto* v) {
      v += begin;
      for (std::int64_t i = 0; i < std::min(ahead, n); ++i) dict_.prefetch(static_cast<std::int64_t>(v[i]));
      for (std::int64_t i = 0; i < n; ++i) {
        if (i + ahead < n) dict_.prefetch(static_cast<std::int64_t>(v[i + ahead]));
        out[i] = dict_.find(static_cast<std::int64_t>(v[i]));  // skipped rows: ignored
      }
    });
  }
}

std::uint32_t key_lookup::insert(std::int64_t row, key_dictionary& dict) const {
  dict.require_kind(strings_ ? key_dictionary::kind::string : key_dictionary::kind::integer,
                    "customer");
  if (dictionary_) {
    const std::int64_t k = int_value(indices_, row);
    return strings_ ? dict.insert(string_value(*column_.dictionary, k))
                    : dict.insert(int_value(*column_.dictionary, k));
  }
  return strings_ ? dict.insert(string_value(column_, row)) : dict.insert(int_value(column_, row));
}

void key_lookup::insert_missing(std::int64_t begin, std::int64_t n, const std::uint8_t* skip,
                                const std::uint32_t* found, std::uint32_t* local,
                                key_dictionary& dict) const {
  thread_local std::vector<std::uint32_t> rows;
  rows.clear();
  for (std::int64_t i = 0; i < n; ++i) {
    if (!skip[i] && found[i] == key_dictionary::no_index) rows.push_back(static_cast<std::uint32_t>(i));
  }
  if (rows.empty()) return;
  dict.require_kind(strings_ ? key_dictionary::kind::string : key_dictionary::kind::integer,
                    "customer");
  if (dictionary_ || strings_) {
    std::int64_t last = -1;  // the lines of one order repeat their key
    std::uint32_t last_index = key_dictionary::no_index;
    for (const std::uint32_t i : rows) {
      if (last < 0 || !same_key(column_, begin + last, begin + i)) last_index = insert(begin + i, dict);
      last = i;
      local[i] = last_index;
    }
    return;
  }
  with_int_values(column_, [&](const auto* v) {
    v += begin;
    for (const std::uint32_t i : rows) dict.prefetch(static_cast<std::int64_t>(v[i]));
    std::int64_t last = 0;
    std::uint32_t last_index = key_dictionary::no_index;
    for (const std::uint32_t i : rows) {
      const auto key = static_cast<std::int64_t>(v[i]);
      if (last_index == key_dictionary::no_index || key != last) last_index = dict.insert(key);
      last = key;
      local[i] = last_index;
    }
  });
}

value_encoder::value_encoder(const column_view& c) : column_(c) {
  dictionary_ = c.type == data_type::dictionary;
  if (dictionary_) indices_ = dictionary_indices(c);
}

void value_encoder::encode(std::int64_t begin, std::int64_t n, const std::uint8_t* skip,
                           std::int64_t* out) {
  if (dictionary_) {
    const column_view& values = *column_.dictionary;
    for_each_int(indices_, begin, n, [&](std::int64_t i, std::int64_t k) {
      if (!skip[i]) out[i] = int_value(values, k);
    });
  } else {
    for_each_int(column_, begin, n, [&](std::int64_t i, std::int64_t v) { out[i] = v; });
  }
}

namespace {

// Walks a zone's offset history; rows are often near-sorted in time, so the offset of the
// last interval is reused until the instant leaves it.
class zone_cursor {
 public:
  explicit zone_cursor(const time_zone& z) : zone_(z) {}
  std::int64_t day(std::int64_t utc_seconds) {
    if (utc_seconds < lo_ || utc_seconds >= hi_) {
      // Instants beyond +-2^62 s (far past the supported dates, so invalid whatever their
      // day) are clamped: adding the zone's offset to them would overflow. The cached
      // interval never reaches them, so the rows in it pay nothing for this.
      utc_seconds = std::min(std::max(utc_seconds, -far), far);
      locate(utc_seconds);
    }
    return floor_div(utc_seconds + offset_, 86400);
  }

 private:
  static constexpr std::int64_t far = std::int64_t{1} << 62;
  void locate(std::int64_t t) {
    const auto& tr = zone_.transitions();
    offset_ = zone_.offset_at(t);
    auto it = std::upper_bound(tr.begin(), tr.end(), t);
    hi_ = it == tr.end() ? far : std::min(*it, far);
    lo_ = it == tr.begin() ? -far : std::max(*(it - 1), -far);
  }
  const time_zone& zone_;
  std::int64_t lo_ = 1, hi_ = 0;  // empty: the first call locates
  std::int64_t offset_ = 0;
};

}  // namespace

void decode_days(const column_view& c, std::int64_t begin, std::int64_t n, const time_zone& zone,
                 std::int64_t* out) {
  switch (c.type) {
    case data_type::date32: {
      const auto* p = typed_values<std::int32_t>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    }
    case data_type::date64: {
      const auto* p = typed_values<std::int64_t>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = floor_div(p[i], 86400000LL);
      break;
    }
    case data_type::timestamp: {
      const auto* p = typed_values<std::int64_t>(c) + begin;
      // Divisors as constants: the compiler divides by multiplying, not by a division
      // instruction per row (a few times faster).
      const bool utc = !c.time_zone_aware || zone.is_utc();
      auto by = [&](auto unit) {
        constexpr std::int64_t per_second = decltype(unit)::value;
        if (utc) {
          for (std::int64_t i = 0; i < n; ++i) out[i] = floor_div(p[i], per_second * 86400);
        } else {
          zone_cursor cursor(zone);
          for (std::int64_t i = 0; i < n; ++i) out[i] = cursor.day(floor_div(p[i], per_second));
        }
      };
      switch (c.unit) {
        case time_unit::second: by(std::integral_constant<std::int64_t, 1>{}); break;
        case time_unit::milli: by(std::integral_constant<std::int64_t, 1'000>{}); break;
        case time_unit::micro: by(std::integral_constant<std::int64_t, 1'000'000>{}); break;
        case time_unit::nano: by(std::integral_constant<std::int64_t, 1'000'000'000>{}); break;
      }
      break;
    }
    default:
      for (std::int64_t i = 0; i < n; ++i) out[i] = 0;
      break;
  }
}

fixed128 fixed_from_decimal(fixed128 u, int scale) noexcept {
  // Values of magnitude 2^60 or more (which validation refuses; their rows are decoded all
  // the same, then left out) give some value, in bounded work and without overflow.
  if (scale <= 9) {
    if (scale < 9 - 38) return 0;  // 10^(9 - scale) > 10^38: only 0 is in range
    detail::uint128 v = static_cast<detail::uint128>(u);
    for (int s = scale; s < 9; ++s) v *= 10;  // two's complement: exact in range, wraps beyond
    return static_cast<fixed128>(v);
  }
  if (scale - 9 > 38) return 0;  // |u| < 2^127 < 10^39 / 2: rounds to 0
  fixed128 p = 1;
  for (int s = 9; s < scale; ++s) p *= 10;  // 10^(scale-9) <= 10^38 < 2^127
  const fixed128 q = u / p;
  const fixed128 r = u % p;  // same sign as u
  const fixed128 m = r < 0 ? -r : r;  // < p <= 10^38; 2 * m could pass 2^127
  return m >= p - m ? q + (u < 0 ? -1 : 1) : q;
}

namespace {
using u128 = detail::uint128;

fixed128 load_decimal(const column_view& c, std::int64_t row) noexcept {
  const auto* p = static_cast<const std::uint8_t*>(c.values) + 16 * (c.offset + row);
  u128 raw;
  std::memcpy(&raw, p, 16);  // little-endian two's complement, as Arrow stores it
  return static_cast<fixed128>(raw);
}

u128 magnitude(fixed128 u) noexcept {
  return u < 0 ? u128{0} - static_cast<u128>(u) : static_cast<u128>(u);  // -2^127 included
}

// |unscaled * 10^-scale| >= 2^60, decided in integers (exact at the bound, and bounded work
// for any scale).
bool decimal_out_of_range(fixed128 unscaled, int scale) noexcept {
  constexpr u128 limit = u128{1} << 60;
  u128 m = magnitude(unscaled);
  if (scale <= 0) {
    for (int s = scale; s < 0 && m != 0 && m < limit; ++s) m *= 10;  // < 2^60 * 10: no overflow
    return m >= limit;
  }
  u128 bound = limit;  // 2^60 * 10^scale, while it fits in 128 bits
  for (int s = 0; s < scale; ++s) {
    if (bound > (~u128{0}) / 10) return false;  // beyond every 128-bit magnitude
    bound *= 10;
  }
  return m >= bound;
}
}  // namespace

double decimal_to_double(fixed128 unscaled, int scale) noexcept {
  // Exact operands and one IEEE operation give the correctly rounded value (both |unscaled|
  // < 2^53 and 10^k for k <= 22 are doubles); beyond, the decimal text is read by strtod,
  // which rounds correctly, in exponent form (no decimal point, so no locale).
  static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const u128 m = magnitude(unscaled);
  if (m < (u128{1} << 53) && scale >= -22 && scale <= 22) {
    const double x = static_cast<double>(static_cast<std::uint64_t>(m));
    const double v = scale >= 0 ? x / powers[scale] : x * powers[-scale];
    return unscaled < 0 ? -v : v;
  }
  char text[64];
  char* end = text + sizeof text;
  char* p = end;
  *--p = '\0';
  const std::string exponent = std::to_string(-static_cast<long long>(scale));
  p -= exponent.size();
  std::memcpy(p, exponent.data(), exponent.size());
  *--p = 'e';
  u128 rest = m;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(rest % 10));
    rest /= 10;
  } while (rest != 0);  // at most 39 digits
  if (unscaled < 0) *--p = '-';
  return std::strtod(p, nullptr);
}

void decode_fixed(const column_view& c, std::int64_t begin, std::int64_t n, fixed128* out) {
  switch (c.type) {
    case data_type::float64: {
      const double* p = typed_values<double>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = fixed_from_double(p[i]);
      break;
    }
    case data_type::float32: {
      const float* p = typed_values<float>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = fixed_from_double(static_cast<double>(p[i]));
      break;
    }
    case data_type::decimal128:
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = fixed_from_decimal(load_decimal(c, begin + i), c.decimal_scale);
      }
      break;
    case data_type::uint64: {
      const auto* p = typed_values<std::uint64_t>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = static_cast<fixed128>(p[i]) * fixed_scale;
      }
      break;
    }
    default:
      for_each_int(c, begin, n, [&](std::int64_t i, std::int64_t v) { out[i] = fixed_from_int(v); });
      break;
  }
}

void classify_numbers(const column_view& c, std::int64_t begin, std::int64_t n,
                      number_state* out) {
  auto classify = [](double x) {
    if (std::isnan(x)) return number_state::nan;
    if (std::isinf(x)) return number_state::infinite;
    return std::fabs(x) >= fixed_max_amount ? number_state::out_of_range : number_state::ok;
  };
  switch (c.type) {
    case data_type::float64: {
      const double* p = typed_values<double>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = classify(p[i]);
      break;
    }
    case data_type::float32: {
      const float* p = typed_values<float>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) out[i] = classify(static_cast<double>(p[i]));
      break;
    }
    case data_type::decimal128:
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = decimal_out_of_range(load_decimal(c, begin + i), c.decimal_scale) ? number_state::out_of_range
                                                                                     : number_state::ok;
      }
      break;
    case data_type::uint64: {
      const auto* p = typed_values<std::uint64_t>(c) + begin;
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = p[i] >= (std::uint64_t{1} << 60) ? number_state::out_of_range : number_state::ok;
      }
      break;
    }
    case data_type::int64: {
      const auto* p = typed_values<std::int64_t>(c) + begin;
      const std::int64_t lim = std::int64_t{1} << 60;
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = (p[i] >= lim || p[i] <= -lim) ? number_state::out_of_range : number_state::ok;
      }
      break;
    }
    default:  // narrower integers always fit
      for (std::int64_t i = 0; i < n; ++i) out[i] = number_state::ok;
      break;
  }
}

}  // namespace tierkit::detail
