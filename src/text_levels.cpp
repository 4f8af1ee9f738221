#include "tierkit/text_levels.hpp"

#include <cmath>
#include <limits>
#include <string_view>

#include "detail/customer_log.hpp"  // threads_for_rows
#include "detail/decode.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text_matcher.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
bool has_upper_ascii(std::string_view x) noexcept {
  for (const char c : x) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}
}  // namespace

std::int64_t rank_levels(const column_view& text, const std::vector<std::string>& levels, double* ranks) {
  if (!is_string_like(text.type)) {
    throw schema_error("tierkit.rank_levels: " + text.describe() + " is not text");
  }
  const detail::text_matcher finder(levels);
  const auto n = static_cast<std::size_t>(text.length);
  const unsigned threads = detail::threads_for_rows(n);
  std::vector<std::int64_t> unknown(threads + 1, 0);
  constexpr double no_rank = std::numeric_limits<double>::quiet_NaN();
  detail::parallel_blocks((n + detail::rule_block_rows - 1) / detail::rule_block_rows, threads,
                          [&](std::size_t block, unsigned thread) {
    const std::size_t lo = block * detail::rule_block_rows, hi = std::min(n, lo + detail::rule_block_rows);
    // Every row is looked up (a null row's bytes are usually empty), then nulls and rows in
    // other case are mended: the lookup loop has no branch of its own.
    std::int64_t misses = 0;
    finder.with_index_of(text, [&](auto index_of) {
      for (std::size_t i = lo; i < hi; ++i) {
        const std::int64_t k = index_of(i);
        misses += k < 0;
        ranks[i] = k < 0 ? no_rank : static_cast<double>(k + 1);
      }
    });
    if (misses == 0 && !text.may_have_nulls()) return;
    std::string lowered;
    for (std::size_t i = lo; i < hi; ++i) {
      const auto row = static_cast<std::int64_t>(i);
      if (!text.is_valid(row)) {
        ranks[i] = no_rank;
        continue;
      }
      if (!std::isnan(ranks[i])) continue;
      const std::string_view x = detail::string_value(text, row);
      std::int64_t k = -1;
      if (has_upper_ascii(x)) {
        lowered.assign(x);
        for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        k = finder.find(lowered);
      }
      unknown[thread] += k < 0;
      if (k >= 0) ranks[i] = static_cast<double>(k + 1);
    }
  });
  std::int64_t total = 0;
  for (const std::int64_t u : unknown) total += u;
  return total;
}

}  // namespace tierkit
