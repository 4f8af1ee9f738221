#pragma once
// Rows in blocks spread across threads: rule evaluation, a profile's rows, accounts
// averaged, customers banded.
#include <algorithm>
#include <cstddef>
#include <thread>

#include "detail/customer_log.hpp"  // parallel_blocks

namespace tierkit::detail {

// Rows per block: the evaluator's working vectors (a few per expression node) stay in the
// L1/L2 caches and below malloc's mmap threshold, so they cost no system calls.
constexpr std::size_t rule_block_rows = 4096;

// Calls f(begin, end) for the blocks of rows [0, rows) on `threads` threads (0: all cores).
template <class F>
void for_row_blocks(std::size_t rows, unsigned threads, F f) {
  const std::size_t blocks = (rows + rule_block_rows - 1) / rule_block_rows;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  parallel_blocks(blocks, threads, [&](std::size_t k, unsigned) {
    const std::size_t b = k * rule_block_rows;
    f(b, std::min(rows, b + rule_block_rows));
  });
}

}  // namespace tierkit::detail
