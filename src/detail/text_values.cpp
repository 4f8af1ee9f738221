#include "detail/text_values.hpp"

#include <algorithm>

#include "detail/decode.hpp"

namespace tierkit::detail {

namespace {
// Slots are prefetched this many rows ahead of their probe (as key lookups do).
constexpr std::int64_t prefetch_ahead = 32;
}  // namespace

text_value_dictionary::text_value_dictionary() {
  for (key_dictionary& s : shards_) s.require_kind(key_dictionary::kind::string, "value");
}

std::size_t text_value_dictionary::size() const noexcept {
  std::size_t n = 0;
  for (const key_dictionary& s : shards_) n += s.size();
  return n;
}

text_value_dictionary::code_map text_value_dictionary::absorb(const text_value_dictionary& other,
                                                              unsigned threads) {
  code_map map;
  map.empty_ = other.size() == 0;
  if (map.empty_) return map;
  // A value's shard follows from its hash, the same in both (one process-wide hash key), so
  // shard q here takes in exactly the other's shard q.
  parallel_blocks(shard_count, threads, [&](std::size_t q, unsigned) {
    const std::vector<std::uint32_t> index = shards_[q].absorb(other.shards_[q]);
    std::vector<std::int64_t>& codes = map.codes_[q];
    codes.resize(index.size());
    for (std::size_t j = 0; j < index.size(); ++j) codes[j] = code_of(q, index[j]);
  });
  return map;
}

std::vector<std::int64_t> text_value_dictionary::flat_order() const {
  std::vector<std::int64_t> out;
  out.reserve(size());
  for (std::size_t q = 0; q < shard_count; ++q) {
    const auto n = static_cast<std::uint32_t>(shards_[q].size());
    for (std::uint32_t i = 0; i < n; ++i) out.push_back(code_of(q, i));
  }
  return out;
}

text_value_dictionary::flat_starts_t text_value_dictionary::flat_starts() const noexcept {
  flat_starts_t starts{};
  std::int64_t before = 0;
  for (std::size_t q = 0; q < shard_count; ++q) {
    starts[q] = before;
    before += static_cast<std::int64_t>(shards_[q].size());
  }
  return starts;
}

void text_value_stage::reset() {
  for (auto& rows : new_rows_) rows.clear();
  cached_ = nullptr;
}

void text_value_stage::encode(const text_value_dictionary& dict, const column_view& c,
                              std::int64_t start, std::int64_t n, std::int64_t position,
                              const std::uint8_t* skip, std::int64_t* out) {
  // A new value is set aside under a placeholder naming its entry: -1 - (k << 6 | shard).
  auto set_aside = [&](std::uint64_t h, std::int64_t i) {
    const std::size_t q = text_value_dictionary::shard_of(h);
    std::vector<std::uint32_t>& rows = new_rows_[q];
    const auto k = static_cast<std::int64_t>(rows.size());
    rows.push_back(static_cast<std::uint32_t>(position + i));
    return -1 - ((k << text_value_dictionary::shard_bits) | static_cast<std::int64_t>(q));
  };
  if (c.type == data_type::dictionary) {
    // A dictionary column repeats few values: each value's code is looked up once.
    if (cached_ != &c) {
      cached_ = &c;
      cache_.assign(static_cast<std::size_t>(c.dictionary->length), text_value_dictionary::no_code);
    }
    const column_view& values = *c.dictionary;
    for_each_int(dictionary_indices(c), start, n, [&](std::int64_t i, std::int64_t k) {
      if (skip[i]) return;
      std::int64_t& code = cache_[static_cast<std::size_t>(k)];
      const std::string_view s = string_value(values, k);
      if (code == text_value_dictionary::no_code) code = dict.find(s, dict.hash(s));
      out[i] = code != text_value_dictionary::no_code ? code : set_aside(dict.hash(s), i);
    });
    return;
  }
  // Hash the block first, then probe with the slot `ahead` rows on prefetched, so that the
  // lookups overlap their cache misses.
  hashes_.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    hashes_[static_cast<std::size_t>(i)] = skip[i] ? 0 : dict.hash(string_value(c, start + i));
  }
  for (std::int64_t i = 0; i < std::min(prefetch_ahead, n); ++i) dict.prefetch(hashes_[static_cast<std::size_t>(i)]);
  // The lines of one order often sit together: a row with the previous used row's value
  // takes its code (or placeholder) without a probe.
  std::string_view last;
  std::int64_t last_code = 0;
  bool have_last = false;
  for (std::int64_t i = 0; i < n; ++i) {
    if (i + prefetch_ahead < n) dict.prefetch(hashes_[static_cast<std::size_t>(i + prefetch_ahead)]);
    if (skip[i]) continue;
    const std::uint64_t h = hashes_[static_cast<std::size_t>(i)];
    const std::string_view s = string_value(c, start + i);
    if (!have_last || s != last) {
      last_code = dict.find(s, h);
      if (last_code == text_value_dictionary::no_code) last_code = set_aside(h, i);
      last = s;
      have_last = true;
    }
    out[i] = last_code;
  }
}

}  // namespace tierkit::detail
