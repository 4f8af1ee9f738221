#include "tierkit/text_levels.hpp"

#include <limits>
#include <string_view>

#include "detail/customer_log.hpp"  // threads_for_rows
#include "detail/decode.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text_list.hpp"
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
  const detail::text_list finder(levels);
  const auto n = static_cast<std::size_t>(text.length);
  const unsigned threads = detail::threads_for_rows(n);
  std::vector<std::int64_t> unknown(threads + 1, 0);
  detail::parallel_blocks((n + detail::rule_block_rows - 1) / detail::rule_block_rows, threads,
                          [&](std::size_t block, unsigned thread) {
    const std::size_t lo = block * detail::rule_block_rows, hi = std::min(n, lo + detail::rule_block_rows);
    std::string lowered;
    for (std::size_t i = lo; i < hi; ++i) {
      const auto row = static_cast<std::int64_t>(i);
      if (!text.is_valid(row)) {
        ranks[i] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      const std::string_view x = detail::string_value(text, row);
      std::int64_t k = finder.find(x);
      if (k < 0 && has_upper_ascii(x)) {
        lowered.assign(x);
        for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        k = finder.find(lowered);
      }
      unknown[thread] += k < 0;
      ranks[i] = k < 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(k + 1);
    }
  });
  std::int64_t total = 0;
  for (const std::int64_t u : unknown) total += u;
  return total;
}

}  // namespace tierkit
