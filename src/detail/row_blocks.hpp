#pragma once
// Rows in blocks spread across threads: rule evaluation, a profile's rows, accounts
// averaged, customers banded.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "detail/customer_log.hpp"  // parallel_blocks, usable_cpus

namespace tierkit::detail {

// Rows per block: the evaluator's working vectors (a few per expression node) stay in the
// L1/L2 caches and below malloc's mmap threshold, so they cost no system calls.
constexpr std::size_t rule_block_rows = 4096;

// Calls f(begin, end) for the blocks of rows [0, rows) on `threads` threads (0: all cores).
template <class F>
void for_row_blocks(std::size_t rows, unsigned threads, F f) {
  const std::size_t blocks = (rows + rule_block_rows - 1) / rule_block_rows;
  if (threads == 0) threads = usable_cpus();
  parallel_blocks(blocks, threads, [&](std::size_t k, unsigned) {
    const std::size_t b = k * rule_block_rows;
    f(b, std::min(rows, b + rule_block_rows));
  });
}

// As for_row_blocks, with blocks also ending at each of `bounds` (ascending rows inside
// (0, rows)): a rule table's piece bounds, so that a block reads one piece of each column.
template <class F>
void for_row_blocks(std::size_t rows, const std::vector<std::size_t>& bounds, unsigned threads, F f) {
  if (bounds.empty()) {
    for_row_blocks(rows, threads, f);
    return;
  }
  std::vector<std::size_t> starts;
  std::size_t from = 0;
  for (std::size_t k = 0; k <= bounds.size(); ++k) {
    const std::size_t to = k < bounds.size() ? bounds[k] : rows;
    for (std::size_t b = from; b < to; b += rule_block_rows) starts.push_back(b);
    from = to;
  }
  starts.push_back(rows);
  if (threads == 0) threads = usable_cpus();
  parallel_blocks(starts.size() - 1, threads, [&](std::size_t k, unsigned) {
    f(starts[k], std::min(starts[k + 1], starts[k] + rule_block_rows));
  });
}

}  // namespace tierkit::detail
