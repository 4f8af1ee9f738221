// Kernel benchmarks: the steps of a tiering run on the demo generator's data, one at a time,
// so that a change to one kernel shows in its own number. Sizes are transactions (profile)
// or customers (cut points, ABC, rules); customers = transactions / 20 as in benchmarks/run.py.
//   aggregation  make_profile: decode, densify keys, per-customer aggregates and distinct counts
//   cut points   fit_bins: quintile cuts of one metric: money by selection, whole days
//                (recency in 0..1499) by counting
//   abc          abc_strategy::fit_abc: the class thresholds on the value shares
//   rules        tier_policy::assign: a 6-rule policy over borrowed columns
//   key lookup   sparse 64-bit customer ids to indices, in blocks of 1024 rows as the profile
//                does: the library's one open-addressing table with prefetched slots,
//                against a hash-partitioned layout (rows filed by hash bits into
//                partitions whose tables fit the L2 cache, looked up there, indices filed
//                back to row order), the layout the issue suggested
//   memory       the machine's floor: writing 1 GiB into fresh pages (first touch: the
//                kernel zeroes and maps each page) against rewriting pages already mapped
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/abc.hpp"
#include "tierkit/binning.hpp"
#include "tierkit/demo.hpp"
#include "tierkit/policy.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/transactions.hpp"
#include "detail/decode.hpp"
#include "detail/hash.hpp"
#include "detail/key_dictionary.hpp"

namespace {

using namespace tierkit;

// Generated once per size and kept: generation is not what is measured.
const demo_transactions& demo(std::int64_t rows) {
  static std::map<std::int64_t, demo_transactions> cache;
  auto it = cache.find(rows);
  if (it == cache.end()) {
    demo_config c;
    c.transactions = rows;
    c.customers = std::max<std::int64_t>(1, rows / 20);
    c.seed = 7;
    it = cache.emplace(rows, generate_demo_transactions(c)).first;
  }
  return it->second;
}

transactions columns_of(const demo_transactions& d, bool with_order) {
  transactions tx;
  tx.customer = int64_column("customer_id", d.customer_id.data(), d.size());
  tx.time = timestamp_column("time", d.timestamp_us.data(), d.size(), time_unit::micro, true);
  tx.amount = float64_column("amount", d.amount.data(), d.size());
  if (with_order) tx.order = int64_column("order_id", d.order_id.data(), d.size());
  return tx;
}

void aggregation(benchmark::State& state) {
  const demo_transactions& d = demo(state.range(0));
  const transactions tx = columns_of(d, state.range(1) != 0);
  profile_config config;
  config.spend_series = false;
  config.threads = static_cast<unsigned>(state.range(2));
  for (auto _ : state) benchmark::DoNotOptimize(make_profile(tx, config));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(aggregation)
    ->ArgNames({"rows", "orders", "threads"})
    ->ArgsProduct({{1'000'000, 10'000'000}, {0, 1}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

std::vector<double> lognormal(std::int64_t n) {
  std::mt19937_64 g(7);
  std::lognormal_distribution<double> ln(std::log(500.0), 1.3);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = std::round(ln(g) * 100) / 100;
  return v;
}

void cut_points(benchmark::State& state) {
  const std::vector<double> v = lognormal(state.range(0));
  binning_config c;  // quintiles
  for (auto _ : state) benchmark::DoNotOptimize(fit_bins(v, c, "bench"));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(cut_points)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void cut_points_days(benchmark::State& state) {
  std::mt19937_64 g(7);
  std::vector<double> v(static_cast<std::size_t>(state.range(0)));
  for (double& x : v) x = static_cast<double>(g() % 1500);
  binning_config c;  // quintiles
  for (auto _ : state) benchmark::DoNotOptimize(fit_bins(v, c, "bench"));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(cut_points_days)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void abc(benchmark::State& state) {
  const std::vector<double> v = lognormal(state.range(0));
  const abc_strategy s;
  for (auto _ : state) benchmark::DoNotOptimize(s.fit_abc(v));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(abc)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// A text column laid out as Arrow's utf8 (int32 offsets + characters), as the Python layer
// passes Arrow strings: the evaluator's branch-free matching reads this layout.
struct utf8_texts {
  std::vector<std::int32_t> offsets{0};
  std::string chars;
  void push(std::string_view s) {
    chars.append(s);
    offsets.push_back(static_cast<std::int32_t>(chars.size()));
  }
  column_view view(std::string name) const {
    column_view c;
    c.name = std::move(name);
    c.type = data_type::utf8;
    c.length = static_cast<std::int64_t>(offsets.size() - 1);
    c.values = offsets.data();
    c.chars = chars.data();
    return c;
  }
};

void rules(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 g(7);
  const std::vector<double> monetary = lognormal(state.range(0));
  std::vector<std::int64_t> frequency(n), recency(n);
  std::vector<double> age(n);
  utf8_texts segment, region;
  static const char* segments[] = {"Champions", "Loyal Customers", "Potential Loyalist", "At Risk", "Lost"};
  static const char* regions[] = {"north", "south", "east", "west"};
  for (std::size_t i = 0; i < n; ++i) {
    frequency[i] = static_cast<std::int64_t>(g() % 30);
    recency[i] = static_cast<std::int64_t>(g() % 1000);
    age[i] = g() % 20 == 0 ? std::nan("") : static_cast<double>(18 + g() % 70);
    segment.push(segments[g() % 5]);
    region.push(regions[g() % 4]);
  }
  rule_table t;
  t.add_column(float64_column("monetary", monetary.data(), n));
  t.add_column(int64_column("frequency", frequency.data(), n));
  t.add_column(int64_column("recency", recency.data(), n));
  t.add_column(float64_column("age", age.data(), n));
  t.add_column(segment.view("segment"));
  t.add_column(region.view("region"));
  // The rules of benchmarks/jobs.py's policy job.
  const tier_policy p({{"Diamond", "monetary >= 100000 and frequency >= 12", {}},
                       {"Gold", "segment in ('Champions', 'Loyal Customers') and recency <= 90", {}},
                       {"Gold", "monetary between 50000 and 99999.99 and region <> 'north'", {}},
                       {"Silver", "recency <= 180 and age is not null and age < 60", {}},
                       {"Watch", "monetary / frequency > 5000", {}},
                       {"Copper", "frequency >= 3 or segment = 'Potential Loyalist'", {}}},
                      "Bronze");
  for (auto _ : state) benchmark::DoNotOptimize(p.assign(t, static_cast<unsigned>(state.range(1))));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(rules)
    ->ArgNames({"customers", "threads"})
    ->ArgsProduct({{1'000'000, 10'000'000}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// 10^7 rows over `customers` distinct random 64-bit ids, skewed (the square of a uniform
// picks the customer: a few customers have many rows). Kept per size.
struct sparse_keys {
  std::vector<std::int64_t> keys, rows;
};
const sparse_keys& sparse(std::int64_t customers) {
  static std::map<std::int64_t, sparse_keys> cache;
  auto it = cache.find(customers);
  if (it == cache.end()) {
    sparse_keys k;
    std::mt19937_64 g(7);
    k.keys.resize(static_cast<std::size_t>(customers));
    for (std::int64_t& x : k.keys) x = static_cast<std::int64_t>(g());
    std::uniform_real_distribution<double> u(0, 1);
    k.rows.resize(10'000'000);
    for (std::int64_t& r : k.rows) {
      const double x = u(g);
      r = k.keys[static_cast<std::size_t>(static_cast<double>(customers) * x * x)];
    }
    it = cache.emplace(customers, std::move(k)).first;
  }
  return it->second;
}

constexpr std::int64_t lookup_block = 1024;  // rows per find() call, as in the profile

void key_lookup_single(benchmark::State& state) {
  const sparse_keys& k = sparse(state.range(0));
  detail::key_dictionary dict;
  for (std::int64_t key : k.keys) dict.insert(key);
  const column_view col = int64_column("customer_id", k.rows.data(), static_cast<std::int64_t>(k.rows.size()));
  const detail::key_lookup lookup(col, dict, "customer");
  const auto n = static_cast<std::int64_t>(k.rows.size());
  std::vector<std::uint8_t> skip(lookup_block, 0);
  std::vector<std::uint32_t> out(k.rows.size());
  for (auto _ : state) {
    for (std::int64_t b = 0; b < n; b += lookup_block) {
      lookup.find(b, std::min(lookup_block, n - b), skip.data(), out.data() + b);
    }
    benchmark::DoNotOptimize(out.data());
  }
  if (k.keys[out[12345]] != k.rows[12345]) state.SkipWithError("wrong index");
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(key_lookup_single)
    ->ArgNames({"customers"})
    ->Arg(406'277)
    ->Arg(4'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The partitioned layout: partition p holds the keys whose hash has p in its top bits, in a
// table sized to the L2 cache (at most 2^15 keys); indices are partition-local plus the
// partition's first index. Arg filed 0: rows go through in chunks of 2^16: file (key, row)
// by partition, look each partition's keys up (slots prefetched as above), write indices
// back by row. Arg filed 1: the rows are filed by partition once, before timing, and only
// the lookups are timed: the floor of a profile whose customer blocks were hash partitions
// (its pass 1 files rows by block anyway, and pass 2 would not need row order back).
void key_lookup_partitioned(benchmark::State& state) {
  const sparse_keys& k = sparse(state.range(0));
  const bool filed_once = state.range(1) != 0;
  std::size_t parts = 1;
  while (parts * (std::size_t{1} << 15) < k.keys.size()) parts *= 2;
  const int shift = 64 - __builtin_ctzll(parts);
  auto part_of = [&](std::int64_t key) {
    return parts == 1 ? 0 : static_cast<std::uint32_t>(detail::mix64(static_cast<std::uint64_t>(key)) >> shift);
  };
  std::vector<detail::key_dictionary> dicts(parts);
  for (std::int64_t key : k.keys) dicts[part_of(key)].insert(key);
  std::vector<std::uint32_t> first(parts, 0);
  for (std::size_t p = 1; p < parts; ++p) first[p] = first[p - 1] + static_cast<std::uint32_t>(dicts[p - 1].size());
  const auto n = static_cast<std::int64_t>(k.rows.size());
  const std::int64_t chunk = filed_once ? n : std::int64_t{1} << 16;
  std::vector<std::int64_t> filed(static_cast<std::size_t>(chunk));
  std::vector<std::uint32_t> row_of(filed.size()), part(filed.size()), start(parts + 1),
      out(k.rows.size());
  // Files rows [b, b + m) by partition; start[p] is then partition p's end.
  auto file = [&](std::int64_t b, std::size_t m) {
    const std::int64_t* v = k.rows.data() + b;
    std::fill(start.begin(), start.end(), 0);
    for (std::size_t i = 0; i < m; ++i) ++start[(part[i] = part_of(v[i])) + 1];
    for (std::size_t p = 0; p < parts; ++p) start[p + 1] += start[p];
    for (std::size_t i = 0; i < m; ++i) {
      const std::uint32_t at = start[part[i]]++;
      filed[at] = v[i];
      row_of[at] = static_cast<std::uint32_t>(i);
    }
  };
  // Looks the filed rows up, partition by partition; writes by row (back to row order) or
  // in filed order.
  auto look_up = [&](std::int64_t b, bool by_row) {
    constexpr std::uint32_t ahead = 32;
    std::uint32_t from = 0;
    for (std::size_t p = 0; p < parts; ++p) {
      const detail::key_dictionary& d = dicts[p];
      const std::uint32_t to = start[p];
      for (std::uint32_t q = from; q < std::min(to, from + ahead); ++q) d.prefetch(filed[q]);
      for (std::uint32_t q = from; q < to; ++q) {
        if (q + ahead < to) d.prefetch(filed[q + ahead]);
        out[static_cast<std::size_t>(b) + (by_row ? row_of[q] : q)] = first[p] + d.find(filed[q]);
      }
      from = to;
    }
  };
  if (filed_once) file(0, k.rows.size());
  for (auto _ : state) {
    if (filed_once) {
      look_up(0, false);
    } else {
      for (std::int64_t b = 0; b < n; b += chunk) {
        file(b, static_cast<std::size_t>(std::min(chunk, n - b)));
        look_up(b, true);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  // The indices differ from the single table's; check one against its key.
  const std::size_t at = filed_once ? 12345 : static_cast<std::size_t>(n - 1);
  const std::int64_t key = filed_once ? filed[at] : k.rows[at];
  if (out[at] != first[part_of(key)] + dicts[part_of(key)].find(key)) state.SkipWithError("wrong index");
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(key_lookup_partitioned)
    ->ArgNames({"customers", "filed"})
    ->ArgsProduct({{406'277, 4'000'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Arg 0: every iteration writes a new allocation (fresh pages, returned to the system
// after); arg 1: the same allocation again.
void memory(benchmark::State& state) {
  constexpr std::size_t bytes = std::size_t{1} << 30;
  std::unique_ptr<char[]> kept(new char[bytes]);
  std::memset(kept.get(), 1, bytes);
  for (auto _ : state) {
    if (state.range(0) == 0) {
      std::unique_ptr<char[]> fresh(new char[bytes]);
      std::memset(fresh.get(), 2, bytes);
      benchmark::DoNotOptimize(fresh.get());
    } else {
      std::memset(kept.get(), 2, bytes);
      benchmark::DoNotOptimize(kept.get());
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}
BENCHMARK(memory)->ArgNames({"reused"})->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
