#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/label_indices.hpp>

#include <cstdint>
#include <random>
#include <vector>

using namespace tierkit;

namespace {
// The bitmap and indices a row at a time, as Arrow defines them.
template <class Code, class Index>
void check_against_rows(const std::vector<Code>& codes, std::size_t labels, unsigned threads) {
  const std::size_t n = codes.size();
  std::vector<Index> indices(n, 99);
  std::vector<std::uint8_t> validity((n + 7) / 8, 0xAA);
  const label_index_counts got = label_indices(codes.data(), n, labels, indices.data(), validity.data(), threads);
  std::int64_t missing = 0, beyond = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::int64_t>(codes[i]);
    const bool present = c >= 0 && c < static_cast<std::int64_t>(labels);
    missing += c < 0;
    beyond += c >= static_cast<std::int64_t>(labels);
    REQUIRE(((validity[i / 8] >> (i % 8)) & 1) == static_cast<int>(present));
    REQUIRE(indices[i] == static_cast<Index>(present ? c : 0));
  }
  if (n % 8 != 0) CHECK((validity.back() >> (n % 8)) == 0);  // bits beyond the rows cleared
  CHECK(got.missing == missing);
  CHECK(got.out_of_range == beyond);
}
}  // namespace

TEST_CASE("label codes become dictionary indices and a validity bitmap, row for row") {
  std::mt19937_64 rng(5);
  for (const std::size_t n : {0, 1, 7, 8, 9, 4095, 4096, 4097, 20011}) {
    for (const unsigned threads : {1u, 2u, 3u}) {
      std::vector<std::int32_t> wide(n);
      std::vector<std::int8_t> narrow(n);
      for (std::size_t i = 0; i < n; ++i) {
        wide[i] = static_cast<std::int32_t>(rng() % 12) - 3;  // -3..8: missing, labels, beyond 6
        narrow[i] = static_cast<std::int8_t>(wide[i]);
      }
      check_against_rows<std::int32_t, std::int8_t>(wide, 6, threads);
      check_against_rows<std::int32_t, std::int32_t>(wide, 6, threads);
      check_against_rows<std::int8_t, std::int8_t>(narrow, 6, threads);
      bool all_in = true;
      for (const std::int8_t c : narrow) all_in = all_in && c >= 0 && c < 6;
      CHECK(label_codes_are_indices(narrow.data(), n, 6, threads) == all_in);
      std::vector<std::int8_t> in_range(n);
      for (std::size_t i = 0; i < n; ++i) in_range[i] = static_cast<std::int8_t>(i % 6);
      CHECK(label_codes_are_indices(in_range.data(), n, 6, threads));
      if (n > 0) {
        in_range[n - 1] = 6;  // one code beyond, in the last block
        CHECK_FALSE(label_codes_are_indices(in_range.data(), n, 6, threads));
        in_range[n - 1] = -1;  // one missing
        CHECK_FALSE(label_codes_are_indices(in_range.data(), n, 6, threads));
        CHECK_FALSE(label_codes_are_indices(in_range.data(), n, 0, threads));  // no labels
      }
      check_against_rows<std::int32_t, std::int8_t>(wide, 128, threads);  // nothing beyond
    }
  }
  CHECK(label_indices_fit_8_bits(128));
  CHECK(!label_indices_fit_8_bits(129));
  const std::vector<std::int32_t> codes = {0, 1};
  std::int8_t small[2];
  std::uint8_t bits[1];
  CHECK_THROWS_WITH_AS(label_indices(codes.data(), 2, 129, small, bits), doctest::Contains("at most 128"),
                       invalid_input);
}
