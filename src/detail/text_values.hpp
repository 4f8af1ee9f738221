#pragma once
// The text values of an optional key-like column (order, channel, category) as int64 codes,
// encoded on every thread.
//
// Text order ids are nearly all distinct (millions of orders), so a single dictionary that
// grows while rows are decoded keeps the decode on one thread. Here the dictionary is split
// into 64 shards by the top bits of each value's hash: a chunk's rows are looked up on all
// threads at once (reads only), the rows whose value is new are set aside per shard, and
// then each shard takes in its new values on one thread, every shard on some thread.
//
// A value's code is (index in its shard << 6) | shard. Codes identify values: the profile
// only counts distinct codes per customer, so they need not be dense. They depend only on
// the order in which values first arrive (within each shard, in row order), not on the
// number of threads. Persistence lists the values shard by shard (flat_order) and writes
// records with flat indices, so the saved format is a plain list of values.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "detail/customer_log.hpp"  // parallel_blocks
#include "detail/key_dictionary.hpp"
#include "tierkit/column.hpp"

namespace tierkit::detail {

class text_value_dictionary {
 public:
  static constexpr unsigned shard_bits = 6;
  static constexpr std::size_t shard_count = std::size_t{1} << shard_bits;
  static constexpr std::int64_t no_code = -1;

  text_value_dictionary();

  std::size_t size() const noexcept;

  std::uint64_t hash(std::string_view s) const noexcept { return shards_[0].hash(s); }
  static std::size_t shard_of(std::uint64_t h) noexcept { return static_cast<std::size_t>(h >> (64 - shard_bits)); }
  static std::int64_t code_of(std::size_t shard, std::uint32_t index) noexcept {
    return (static_cast<std::int64_t>(index) << shard_bits) | static_cast<std::int64_t>(shard);
  }
  static std::size_t shard_of_code(std::int64_t code) noexcept {
    return static_cast<std::size_t>(code) & (shard_count - 1);
  }
  static std::uint32_t index_of_code(std::int64_t code) noexcept {
    return static_cast<std::uint32_t>(code >> shard_bits);
  }

  void prefetch(std::uint64_t h) const noexcept { shards_[shard_of(h)].prefetch_hash(h); }
  // The code of `s` (hash h), or no_code when absent. Safe on several threads at once as
  // long as nobody inserts.
  std::int64_t find(std::string_view s, std::uint64_t h) const noexcept {
    const std::size_t q = shard_of(h);
    const std::uint32_t i = shards_[q].find(s, h);
    return i == key_dictionary::no_index ? no_code : code_of(q, i);
  }
  std::int64_t insert(std::string_view s) { return insert(s, hash(s)); }
  std::int64_t insert(std::string_view s, std::uint64_t h) {
    const std::size_t q = shard_of(h);
    return code_of(q, shards_[q].insert(s, h));
  }
  // One shard, for inserting into different shards on different threads.
  key_dictionary& shard(std::size_t q) noexcept { return shards_[q]; }

  // True when `code` names a value held here.
  bool holds(std::int64_t code) const noexcept {
    return code >= 0 && index_of_code(code) < shards_[shard_of_code(code)].size();
  }
  std::string_view text_of(std::int64_t code) const noexcept {
    return shards_[shard_of_code(code)].string_at(index_of_code(code));
  }

  // Every value of `other` gets a code here (inserted when missing), shards on `threads`
  // threads; returns the map from the other's codes to these.
  class code_map {
   public:
    std::int64_t operator()(std::int64_t code) const noexcept {
      return codes_[shard_of_code(code)][index_of_code(code)];
    }
    bool empty() const noexcept { return empty_; }

   private:
    friend class text_value_dictionary;
    std::array<std::vector<std::int64_t>, shard_count> codes_;
    bool empty_ = true;
  };
  code_map absorb(const text_value_dictionary& other, unsigned threads);

  // Persistence: every code, shard by shard (the order of the saved list); a code's
  // position in that list is flat_starts()[its shard] + its index.
  std::vector<std::int64_t> flat_order() const;
  using flat_starts_t = std::array<std::int64_t, shard_count>;
  flat_starts_t flat_starts() const noexcept;
  static std::int64_t flat_index(const flat_starts_t& starts, std::int64_t code) noexcept {
    return starts[shard_of_code(code)] + index_of_code(code);
  }

 private:
  std::array<key_dictionary, shard_count> shards_;
};

// A thread's share of a chunk's text values: rows are looked up (reads only) and the rows
// whose value is new are set aside by shard, as their position in the chunk, under a
// placeholder code; insert_new_values then gives them codes, and resolve() turns a
// placeholder into its code.
class text_value_stage {
 public:
  void reset();
  // out[i] = the code of row start + i of `c` (text, or a dictionary of text), or a
  // placeholder (negative) when the dictionary does not hold it yet; rows with skip[i]
  // set are not read. `position` is the chunk position of row `start`.
  void encode(const text_value_dictionary& dict, const column_view& c, std::int64_t start,
              std::int64_t n, std::int64_t position, const std::uint8_t* skip, std::int64_t* out);
  static bool is_placeholder(std::int64_t code) noexcept { return code < 0; }
  // After insert_new_values.
  std::int64_t resolve(std::int64_t placeholder) const noexcept {
    const auto k = static_cast<std::uint64_t>(-1 - placeholder);
    const std::size_t q = k & (text_value_dictionary::shard_count - 1);
    return text_value_dictionary::code_of(q, new_rows_[q][k >> text_value_dictionary::shard_bits]);
  }
  // Drops the cache of a dictionary column's codes: call when the column changes.
  void forget_column() noexcept { cached_ = nullptr; }
  // Rows with a new value in shard q: their chunk positions, in row order; once
  // insert_new_values has run, their values' indices in the shard.
  std::vector<std::uint32_t>& new_rows(std::size_t q) noexcept { return new_rows_[q]; }

 private:
  std::array<std::vector<std::uint32_t>, text_value_dictionary::shard_count> new_rows_;
  std::vector<std::uint64_t> hashes_;
  const column_view* cached_ = nullptr;  // dictionary column of the cache below
  std::vector<std::int64_t> cache_;      // its value index -> code (no_code: not yet known)
};

// Inserts the values set aside by `stages` (in stage order, each in row order, so codes
// follow the rows' order within each shard whatever the thread count), shards on `threads`
// threads. `text_at(position)` gives the text at a chunk position.
template <class TextAt>
void insert_new_values(text_value_dictionary& dict, const std::vector<text_value_stage*>& stages,
                       unsigned threads, const TextAt& text_at) {
  parallel_blocks(text_value_dictionary::shard_count, threads, [&](std::size_t q, unsigned) {
    key_dictionary& shard = dict.shard(q);
    for (text_value_stage* st : stages) {
      for (std::uint32_t& row : st->new_rows(q)) {
        const std::string_view s = text_at(row);
        row = shard.insert(s, dict.hash(s));
      }
    }
  });
}

}  // namespace tierkit::detail
