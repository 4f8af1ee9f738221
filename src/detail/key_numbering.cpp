#include "detail/key_numbering.hpp"

#include <algorithm>
#include <limits>

#include "detail/customer_log.hpp"  // run_on_threads, threads_for_rows, usable_cpus
#include "detail/decode.hpp"        // with_int_values

namespace tierkit::detail {

bool choose_key_numbering(key_dictionary& d, const std::vector<const column_view*>& keys,
                          std::int64_t rows, unsigned threads) {
  if (d.size() != 0 || keys.empty()) return false;
  for (const column_view* c : keys) {
    if (c->type == data_type::dictionary || is_string_like(c->type)) return false;
  }
  if (threads == 0) threads = usable_cpus();
  // Runs body(thread, from, to, values) over shares of each key column.
  auto over_keys = [&](auto body) {
    for (const column_view* key_column : keys) {
      const column_view& c = *key_column;
      const unsigned n = threads_for_rows(static_cast<std::size_t>(c.length), threads);
      run_on_threads(n, [&](unsigned t) {
        with_int_values(c, [&](const auto* v) {
          body(t, n, c.length * t / n, c.length * (t + 1) / n, v);
        });
      });
    }
  };
  const unsigned most = std::max(1u, threads);
  std::vector<std::int64_t> los(most, std::numeric_limits<std::int64_t>::max());
  std::vector<std::int64_t> his(most, std::numeric_limits<std::int64_t>::min());
  over_keys([&](unsigned t, unsigned, std::int64_t from, std::int64_t to, const auto* v) {
    std::int64_t mn = los[t], mx = his[t];  // locals: no false sharing of los/his
    for (std::int64_t i = from; i < to; ++i) {
      const auto k = static_cast<std::int64_t>(v[i]);
      mn = std::min(mn, k);
      mx = std::max(mx, k);
    }
    los[t] = mn;
    his[t] = mx;
  });
  const std::int64_t lo = *std::min_element(los.begin(), los.end());
  const std::int64_t hi = *std::max_element(his.begin(), his.end());
  if (hi < lo) return false;
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
  const std::uint64_t max_span = std::max<std::uint64_t>(std::uint64_t{1} << 16, static_cast<std::uint64_t>(rows) / 2);
  if (span == 0 || span > max_span) return false;
  // Distinct keys: a bitmap of the range per thread (span / 8 bytes each), then their union.
  const std::size_t words = static_cast<std::size_t>((span + 63) / 64);
  std::vector<std::vector<std::uint64_t>> seen(most);
  over_keys([&](unsigned t, unsigned, std::int64_t from, std::int64_t to, const auto* v) {
    std::vector<std::uint64_t>& bits = seen[t];
    if (bits.empty()) bits.assign(words, 0);
    for (std::int64_t i = from; i < to; ++i) {
      const std::uint64_t x = static_cast<std::uint64_t>(static_cast<std::int64_t>(v[i])) - static_cast<std::uint64_t>(lo);
      bits[x >> 6] |= std::uint64_t{1} << (x & 63);
    }
  });
  std::uint64_t distinct = 0;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t any = 0;
    for (const auto& bits : seen) any |= bits.empty() ? 0 : bits[w];
    distinct += static_cast<std::uint64_t>(__builtin_popcountll(any));
  }
  if (2 * distinct >= span) {
    d.number_by_key(lo, hi);
    return d.by_key();
  }
  d.expect_int_range(lo, hi, max_span);
  return false;
}

}  // namespace tierkit::detail
