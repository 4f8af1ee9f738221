#include "tierkit/label_indices.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <string>

#include "detail/row_blocks.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
// Rows [0, n) of a block: indices, and the counts of missing and out-of-range codes. Kept
// apart from the bitmap so that the loop is straight compares and selects the compiler
// vectorizes (32-bit lanes; `limit` fits them).
template <class Code, class Index>
void block_indices(const Code* __restrict codes, std::size_t n, std::int32_t limit, Index* __restrict indices,
                   std::int32_t& missing, std::int32_t& beyond) {
  std::int32_t m = 0, b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t c = codes[i];
    m += c < 0;
    b += c >= limit;
    indices[i] = static_cast<Index>(((c >= 0) & (c < limit)) ? c : 0);
  }
  missing = m;
  beyond = b;
}

// The validity bytes of rows [0, n) of a block (n a multiple of 8 but for the very end):
// bit k of a byte set when its row's code is in [0, limit); bits beyond n cleared.
template <class Code>
void block_validity(const Code* __restrict codes, std::size_t n, std::int32_t limit, std::uint8_t* __restrict out) {
  const std::size_t whole = n / 8;
  for (std::size_t byte = 0; byte < whole; ++byte) {
    const Code* c = codes + byte * 8;
    unsigned bits = 0;
    for (unsigned k = 0; k < 8; ++k) bits |= static_cast<unsigned>((c[k] >= 0) & (c[k] < limit)) << k;
    out[byte] = static_cast<std::uint8_t>(bits);
  }
  if (whole * 8 < n) {
    unsigned bits = 0;
    for (std::size_t i = whole * 8; i < n; ++i) {
      bits |= static_cast<unsigned>((codes[i] >= 0) & (codes[i] < limit)) << (i - whole * 8);
    }
    out[whole] = static_cast<std::uint8_t>(bits);
  }
}

template <class Code, class Index>
label_index_counts indices_of(const Code* codes, std::size_t n, std::size_t labels, Index* indices,
                              std::uint8_t* validity, unsigned threads) {
  static_assert(detail::rule_block_rows % 8 == 0, "blocks must own whole bitmap bytes");
  if (sizeof(Index) == 1 && !label_indices_fit_8_bits(labels)) {
    throw invalid_input("tierkit.label_indices: " + std::to_string(labels) +
                        " labels do not fit 8-bit indices (at most 128)");
  }
  // Codes are at most 32-bit: more labels than that are as good as unlimited.
  const auto limit = static_cast<std::int32_t>(
      std::min<std::size_t>(labels, static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())));
  std::atomic<std::int64_t> missing{0}, out_of_range{0};
  detail::for_row_blocks(n, threads == 0 ? detail::threads_for_rows(n) : threads,
                         [&](std::size_t lo, std::size_t hi) {
    std::int32_t m = 0, b = 0;
    block_indices(codes + lo, hi - lo, limit, indices + lo, m, b);
    block_validity(codes + lo, hi - lo, limit, validity + lo / 8);
    missing += m;
    out_of_range += b;
  });
  return {missing.load(), out_of_range.load()};
}
}  // namespace

label_index_counts label_indices(const std::int32_t* codes, std::size_t n, std::size_t labels,
                                 std::int8_t* indices, std::uint8_t* validity, unsigned threads) {
  return indices_of(codes, n, labels, indices, validity, threads);
}
label_index_counts label_indices(const std::int32_t* codes, std::size_t n, std::size_t labels,
                                 std::int32_t* indices, std::uint8_t* validity, unsigned threads) {
  return indices_of(codes, n, labels, indices, validity, threads);
}
label_index_counts label_indices(const std::int8_t* codes, std::size_t n, std::size_t labels,
                                 std::int8_t* indices, std::uint8_t* validity, unsigned threads) {
  return indices_of(codes, n, labels, indices, validity, threads);
}

bool label_codes_are_indices(const std::int8_t* codes, std::size_t n, std::size_t labels, unsigned threads) {
  const auto limit = static_cast<std::int32_t>(std::min<std::size_t>(labels, 128));  // int8 codes stop at 127
  std::atomic<bool> all_in{true};
  detail::for_row_blocks(n, threads == 0 ? detail::threads_for_rows(n) : threads,
                         [&](std::size_t lo, std::size_t hi) {
    for (std::size_t at = lo; at < hi && all_in.load(std::memory_order_relaxed); at += detail::rule_block_rows) {
      const std::size_t end = std::min(hi, at + detail::rule_block_rows);
      std::int32_t outside = 0;  // a block's count without branches: the loop vectorizes
      for (std::size_t i = at; i < end; ++i) outside += (codes[i] < 0) | (codes[i] >= limit);
      if (outside > 0) all_in.store(false, std::memory_order_relaxed);
    }
  });
  return all_in.load();
}

}  // namespace tierkit
