#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "detail/text_matcher.hpp"

using tierkit::detail::text_matcher;

namespace {
// Every row of a utf8 (or large_utf8) column built from `rows`, looked up by
// with_index_of, against the first equal text found by a plain search.
template <class Offset = std::int32_t>
void check_rows(const std::vector<std::string>& texts, const std::vector<std::string>& rows) {
  std::string chars;
  std::vector<Offset> offsets = {0};
  for (const std::string& r : rows) {
    chars += r;
    offsets.push_back(static_cast<Offset>(chars.size()));
  }
  tierkit::column_view c;
  c.name = "text";
  c.type = sizeof(Offset) == 4 ? tierkit::data_type::utf8 : tierkit::data_type::large_utf8;
  c.length = static_cast<std::int64_t>(rows.size());
  c.values = offsets.data();
  c.chars = chars.data();
  const text_matcher m(texts);
  std::vector<std::int64_t> got(rows.size(), -2);
  m.with_index_of(c, [&](auto index_of) {
    for (std::size_t i = 0; i < rows.size(); ++i) got[i] = index_of(i);
  });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::int64_t want = -1;
    for (std::size_t k = 0; k < texts.size() && want < 0; ++k) {
      if (texts[k] == rows[i]) want = static_cast<std::int64_t>(k);
    }
    if (got[i] != want) FAIL("row " << i << " '" << rows[i] << "': " << got[i] << ", want " << want);
  }
}
}  // namespace

TEST_CASE("a text matcher picks the one candidate by a perfect hash and compares it without branches") {
  // Two levels of one length (what the per-length slots could not take), an empty text, a
  // repeated text (the first counts), texts sharing their first 8 bytes, one of 24 bytes.
  const std::vector<std::string> texts = {"classic", "gold",      "diamond",         "",
                                          "gold",    "platinum",  "platinum plus",   "platinum prime",
                                          "exactly twenty-four byte"};
  const text_matcher m(texts);
  CHECK(m.branch_free());
  const char pad[] = "                        ";  // 24 readable bytes after each probe
  auto padded = [&](const std::string& x) { return x + pad; };
  CHECK(m.find_padded(padded("gold").data(), 4) == 1);
  CHECK(m.find_padded(padded("diamond").data(), 7) == 2);
  CHECK(m.find_padded(padded("classic").data(), 7) == 0);
  CHECK(m.find_padded(padded("").data(), 0) == 3);
  CHECK(m.find_padded(padded("platinum prime").data(), 14) == 7);
  CHECK(m.find_padded(padded("platinum prima").data(), 14) == -1);  // differs in the second word
  CHECK(m.find_padded(padded("platinum").data(), 9) == -1);  // the length counts: "platinum "
  CHECK(m.find_padded(padded("exactly twenty-four byte").data(), 24) == 8);
  CHECK(m.find_padded(padded("exactly twenty-four bytx").data(), 24) == -1);
  CHECK(m.find_padded(padded("exactly twenty-four byte!").data(), 25) == -1);  // longer than any
  CHECK(m.find_padded(padded("Gold").data(), 4) == -1);

  // Texts alike in their first 8 bytes and their length still get slots of their own.
  std::vector<std::string> segments;
  for (int k = 0; k < 60; ++k) segments.push_back("segment " + std::to_string(100 + k));
  const text_matcher s(segments);
  CHECK(s.branch_free());
  CHECK(s.find_padded(padded("segment 117").data(), 11) == 17);
  CHECK(s.find_padded(padded("segment 171").data(), 11) == -1);
}

TEST_CASE("a text matcher falls back to the plain lookup for long texts, and agrees with it on random rows") {
  const text_matcher long_list({"gold", "a level name longer than twenty-four bytes"});
  CHECK_FALSE(long_list.branch_free());
  CHECK(long_list.find("a level name longer than twenty-four bytes") == 1);

  std::mt19937_64 rng(11);
  auto random_text = [&](std::size_t max_len) {
    std::string s(rng() % (max_len + 1), 'a');
    for (char& ch : s) ch = static_cast<char>('a' + rng() % 3);  // few letters: many near misses
    return s;
  };
  for (const std::size_t count : {1, 2, 5, 40, 600}) {
    CAPTURE(count);
    std::vector<std::string> texts;
    for (std::size_t k = 0; k < count; ++k) texts.push_back(random_text(count > 100 ? 12 : 10));
    if (count == 2) texts.push_back(std::string(30, 'a'));  // longer than 24 bytes
    // 600 texts: more than are hashed (the plain lookup)
    CHECK(text_matcher(texts).branch_free() == (count != 2 && count != 600));
    std::vector<std::string> rows;
    for (std::size_t i = 0; i < 5'000; ++i) {
      rows.push_back(rng() % 2 ? texts[rng() % texts.size()] : random_text(26));
    }
    rows.push_back(texts.front());  // the last rows lie within 24 bytes of the buffer's end
    rows.push_back("");
    check_rows(texts, rows);
    check_rows<std::int64_t>(texts, rows);
  }
  // A slot per length (lengths differ once repeats are set aside): the first of equal texts.
  const std::vector<std::string> by_length = {"north", "east", "north", "south-west", ""};
  CHECK(text_matcher(by_length).branch_free());
  check_rows(by_length, {"north", "east", "south-west", "", "west", "North", "south-wes"});
}
