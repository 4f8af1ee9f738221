// Kernel benchmarks: the steps of a tiering run on the demo generator's data, one at a time,
// so that a change to one kernel shows in its own number. Sizes are transactions (profile)
// or customers (cut points, ABC, rules); customers = transactions / 20 as in benchmarks/run.py.
//   aggregation  make_profile: decode, densify keys, per-customer aggregates and distinct counts
//   cut points   fit_bins: quintile cuts of one metric: money by selection, whole days
//                (recency in 0..1499) by counting
//   abc          abc_strategy::fit_abc: the class thresholds on the value shares
//   rules        tier_policy::assign: a 6-rule policy over borrowed columns
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
