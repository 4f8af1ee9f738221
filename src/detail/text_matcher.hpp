#pragma once
// text_matcher: the index of a string in a short list of texts (levels, the literals of an
// `in` list), without branches for the usual list.
//
// The usual list has texts of at most 24 bytes (segment names, regions, card levels). A
// row's length picks the one text it can equal when the texts' lengths differ; otherwise a
// perfect hash, built for the list, of its length and first 24 bytes (three masked 8-byte
// words) does. The same words and the length then compare it with that text. No loop over
// candidates and no branch on the outcome: mixed levels (classic, gold, diamond, ...) cost
// what one level does. This needs 24 readable bytes from the row's start: rows near the end
// of the characters buffer take the general lookup (text_list: by length, then byte
// comparison), as do lists with a text longer than 24 bytes, of more than 256 texts, or
// with no perfect hash in 4,096 slots (one is found for 100 distinct texts of the form
// "segment 12345" in 50 of 50 trials, for 150 in 32). Building searches for the hash:
// build once per list (the rule parser keeps its lists' matchers). Equal texts in the list:
// the first one's index.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/decode.hpp"  // string_value
#include "detail/hash.hpp"
#include "detail/text_list.hpp"
#include "tierkit/column.hpp"

namespace tierkit::detail {

class text_matcher {
 public:
  static constexpr std::size_t word_bytes = 24;

  explicit text_matcher(std::vector<std::string> texts) : texts_(std::move(texts)), list_(texts_) {
    for (std::size_t len = 0; len < masks_.size(); ++len) {
      for (std::size_t w = 0; w < 3; ++w) {
        unsigned char bytes[8];
        for (std::size_t k = 0; k < 8; ++k) bytes[k] = 8 * w + k < len && len <= word_bytes ? 0xff : 0;
        std::memcpy(&masks_[len][w], bytes, 8);
      }
    }
    branch_free_ = build_table(texts_);
  }
  text_matcher(const text_matcher&) = delete;  // list_ refers to this object's texts_
  text_matcher& operator=(const text_matcher&) = delete;

  // False when rows must take find(): a text longer than 24 bytes, or no perfect hash.
  bool branch_free() const noexcept { return branch_free_; }

  // The index of the text x[0, len) equals, or -1. Needs branch_free() and 24 readable
  // bytes at x (bytes past len are ignored).
  std::int64_t find_padded(const char* x, std::size_t len) const noexcept {
    return by_length_ ? find_padded_as<true>(x, len) : find_padded_as<false>(x, len);
  }

  // The index of the first text equal to x, or -1 (any list, any row).
  std::int64_t find(std::string_view x) const noexcept { return list_.find(x); }

  // Calls loop(index_of) once, where index_of(row) is the index of the text of `row` (a row
  // of c, counted from the view's start) or -1; nulls are not checked (their bytes, often
  // empty, are looked up like any). The column's type is dispatched once, outside the loop;
  // utf8 and large_utf8 rows take find_padded where 24 bytes are readable.
  template <class Loop>
  void with_index_of(const column_view& c, Loop&& loop) const {
    auto offsets_path = [&](const auto* o) {
      const auto* offsets = o + c.offset;
      // The characters buffer holds at least up to the view's last offset.
      const std::int64_t readable = static_cast<std::int64_t>(offsets[c.length]) - static_cast<std::int64_t>(word_bytes);
      auto padded_path = [&](auto by_length) {
        loop([&](std::size_t row) {
          const auto a = static_cast<std::int64_t>(offsets[row]);
          const auto len = static_cast<std::size_t>(static_cast<std::int64_t>(offsets[row + 1]) - a);
          return a <= readable ? find_padded_as<decltype(by_length)::value>(c.chars + a, len)
                               : find(std::string_view(c.chars + a, len));
        });
      };
      if (branch_free_ && by_length_) {
        padded_path(std::true_type{});
      } else if (branch_free_) {
        padded_path(std::false_type{});
      } else {
        loop([&](std::size_t row) {
          const auto a = static_cast<std::int64_t>(offsets[row]);
          return find(std::string_view(c.chars + a, static_cast<std::size_t>(static_cast<std::int64_t>(offsets[row + 1]) - a)));
        });
      }
    };
    if (c.type == data_type::utf8) {
      offsets_path(static_cast<const std::int32_t*>(c.values));
    } else if (c.type == data_type::large_utf8) {
      offsets_path(static_cast<const std::int64_t*>(c.values));
    } else {
      loop([&](std::size_t row) { return find(string_value(c, static_cast<std::int64_t>(row))); });
    }
  }

 private:
  struct slot {
    std::uint64_t word[3] = {0, 0, 0};
    std::uint64_t len = ~std::uint64_t{0};  // no row has this length: an empty slot never matches
    std::int64_t index = -1;
  };

  // The slot a row's text could be in: by its length alone when the texts' lengths differ
  // (no hashing: cheaper per row), else by the perfect hash.
  template <bool ByLength>
  std::int64_t find_padded_as(const char* x, std::size_t len) const noexcept {
    const std::array<std::uint64_t, 3>& m = masks_[std::min(len, word_bytes + 1)];
    std::uint64_t w[3];
    std::memcpy(w, x, word_bytes);
    w[0] &= m[0];
    w[1] &= m[1];
    w[2] &= m[2];
    const slot& s = table_[ByLength ? std::min(len, word_bytes + 1) : slot_of(w, len)];
    const std::uint64_t diff = (w[0] ^ s.word[0]) | (w[1] ^ s.word[1]) | (w[2] ^ s.word[2]) | (len ^ s.len);
    // Selected by a mask, not `diff == 0 ? index : -1`, which compiled to a branch (a
    // misprediction per row of mixed texts).
    const std::int64_t hit = -static_cast<std::int64_t>(diff == 0);
    return (s.index & hit) | ~hit;
  }

  // All three words count: texts often share their first 8 bytes ("segment 1", "segment 2").
  std::size_t slot_of(const std::uint64_t* w, std::size_t len) const noexcept {
    const std::uint64_t folded = w[0] ^ rotate(w[1], 21) ^ rotate(w[2], 42) ^ (len * 0x9e3779b97f4a7c15ULL);
    return static_cast<std::size_t>((folded * multiplier_) >> shift_);
  }
  static std::uint64_t rotate(std::uint64_t x, unsigned k) noexcept { return (x << k) | (x >> (64 - k)); }

  // Finds a multiplier that puts every distinct text in a slot of its own (tries a few per
  // table size, from twice the texts up to 4,096 slots). False when there is none, or a
  // text is longer than 24 bytes.
  // (Built once per list: a policy's parser keeps the matchers of its `in` lists.)
  bool build_table(const std::vector<std::string>& texts) {
    table_.assign(1, slot{});  // until a table is found: find_padded never matches
    multiplier_ = 0;
    shift_ = 63;
    if (texts.size() > max_hashed_texts) return false;
    std::vector<std::size_t> distinct;  // first of equal texts
    for (std::size_t k = 0; k < texts.size(); ++k) {
      if (texts[k].size() > word_bytes) return false;
      if (std::find(texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(k), texts[k]) ==
          texts.begin() + static_cast<std::ptrdiff_t>(k)) {
        distinct.push_back(k);
      }
    }
    std::vector<std::array<std::uint64_t, 3>> words(texts.size());
    for (const std::size_t k : distinct) {
      char padded[word_bytes] = {};
      std::memcpy(padded, texts[k].data(), texts[k].size());
      std::memcpy(words[k].data(), padded, word_bytes);
    }
    // Puts every distinct text k in table[where(k)]; false when two would share a slot.
    std::vector<slot> table;
    auto place = [&](auto where) {
      for (const std::size_t k : distinct) {
        slot& s = table[where(k)];
        if (s.index >= 0) return false;
        s = slot{{words[k][0], words[k][1], words[k][2]}, texts[k].size(), static_cast<std::int64_t>(k)};
      }
      return true;
    };
    table.assign(word_bytes + 2, slot{});  // by length; the last (longer texts) stays empty
    by_length_ = place([&](std::size_t k) { return texts[k].size(); });
    if (by_length_) {
      table_ = std::move(table);
      return true;
    }
    for (unsigned bits = 1; bits <= 12; ++bits) {
      const std::size_t size = std::size_t{1} << bits;
      if (size < 2 * distinct.size()) continue;
      for (std::uint64_t attempt = 1; attempt <= 16; ++attempt) {
        multiplier_ = mix64(attempt) | 1;
        shift_ = 64 - bits;
        table.assign(size, slot{});
        if (place([&](std::size_t k) { return slot_of(words[k].data(), texts[k].size()); })) {
          table_ = std::move(table);
          return true;
        }
      }
    }
    multiplier_ = 0;
    shift_ = 63;
    return false;
  }

  // Longer lists are not hashed (a perfect hash in 4,096 slots is unlikely beyond about 150).
  static constexpr std::size_t max_hashed_texts = 256;

  std::vector<std::string> texts_;  // a copy: the lists are short, and callers' may be temporaries
  text_list list_;                  // refers to texts_
  std::array<std::array<std::uint64_t, 3>, word_bytes + 2> masks_{};  // by length; the last: longer
  std::vector<slot> table_;
  std::uint64_t multiplier_ = 0;
  unsigned shift_ = 63;
  bool by_length_ = false;  // the table has a slot per length (texts of distinct lengths)
  bool branch_free_ = false;
};

}  // namespace tierkit::detail
