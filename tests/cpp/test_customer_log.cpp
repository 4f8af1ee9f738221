// Internals: the per-customer logs behind distinct counts and spend series.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "detail/customer_log.hpp"

using namespace tierkit::detail;

TEST_CASE("grouping by customer keeps one of each distinct record, across blocks and threads") {
  std::mt19937_64 rng(5);
  const std::size_t customers = 20'000;  // several blocks of 4096
  customer_log<value_record> a, b;
  std::map<std::uint32_t, std::set<std::int64_t>> expected;
  for (int i = 0; i < 200'000; ++i) {
    // Values from a narrow range (many repeats) and from the whole int64 range.
    const std::int64_t v = i % 2 ? static_cast<std::int64_t>(rng() % 50) - 25
                                 : static_cast<std::int64_t>(rng() % 64) * (std::int64_t{1} << 57) - 3;
    const value_record r{static_cast<std::uint32_t>(rng() % customers), v};
    (i % 3 ? a : b).push(r);
    expected[r.customer].insert(std::int64_t{r.value});  // a copy: the member is 4-aligned
  }
  for (unsigned threads : {1u, 2u, 3u}) {
    const auto g = group_by_customer<value_record>({&a, &b}, customers, threads);
    REQUIRE(a.blocks() == customer_blocks(customers - 1));
    for (std::uint32_t c = 0; c < customers; ++c) {
      std::vector<std::int64_t> got;
      for (std::int64_t k = g.begin[c]; k < g.end[c]; ++k) {
        got.push_back(std::int64_t{g.records[static_cast<std::size_t>(k)].value});
        CHECK(g.records[static_cast<std::size_t>(k)].customer == c);
      }
      std::sort(got.begin(), got.end());  // distinct records come in no set order
      const auto& want = expected[c];
      REQUIRE(got == std::vector<std::int64_t>(want.begin(), want.end()));
    }
  }
}

TEST_CASE("amount records of one customer and period are summed exactly") {
  const std::vector<amount_record> recs = {
      amount_record::make(3, 100, fixed_from_double(0.1)), amount_record::make(3, 90, 5),
      amount_record::make(3, 100, fixed_from_double(0.2)),
      amount_record::make(0, 100, static_cast<fixed128>(1) << 100),
      amount_record::make(0, 100, -(static_cast<fixed128>(1) << 100) - 7)};
  customer_log<amount_record> log;
  for (const amount_record& r : recs) log.push(r);
  const auto g = group_by_customer<amount_record>({&log}, 5, 1);
  REQUIRE(g.end[3] - g.begin[3] == 2);
  CHECK(g.records[static_cast<std::size_t>(g.begin[3])].period == 90);
  CHECK(fixed_to_double(g.records[static_cast<std::size_t>(g.begin[3]) + 1].amount()) == 0.3);
  REQUIRE(g.end[0] - g.begin[0] == 1);
  CHECK(g.records[static_cast<std::size_t>(g.begin[0])].amount() == -7);
}

TEST_CASE("a log compacts itself when due and keeps the same distinct records") {
  customer_log<value_record> log(1000);  // compact from 1000 records on
  std::mt19937_64 rng(9);
  customer_log<value_record> reference(std::size_t{1} << 40);  // never compacts
  for (int i = 0; i < 50'000; ++i) {
    const value_record r{static_cast<std::uint32_t>(rng() % 300), static_cast<std::int64_t>(rng() % 20)};
    log.push(r);
    reference.push(r);
    log.maybe_compact(300, 2);
  }
  CHECK(log.size() < 300 * 20 + 2 * 6000);  // bounded by the distinct pairs, not by pushes
  const auto a = group_by_customer<value_record>({&log}, 300, 1);
  const auto b = group_by_customer<value_record>({&reference}, 300, 1);
  for (std::size_t c = 0; c < 300; ++c) {
    std::set<std::int64_t> va, vb;
    for (std::int64_t k = a.begin[c]; k < a.end[c]; ++k) va.insert(std::int64_t{a.records[static_cast<std::size_t>(k)].value});
    for (std::int64_t k = b.begin[c]; k < b.end[c]; ++k) vb.insert(std::int64_t{b.records[static_cast<std::size_t>(k)].value});
    REQUIRE(a.end[c] - a.begin[c] == static_cast<std::int64_t>(va.size()));  // no repeats
    REQUIRE(va == vb);
  }
}

TEST_CASE("handed-out blocks run once each, on at most as many threads as blocks") {
  for (const unsigned threads : {1u, 2u, 3u}) {
    for (const std::size_t blocks : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{17}}) {
      std::vector<int> runs(blocks, 0);
      std::vector<unsigned> thread_of(blocks, 99);
      parallel_blocks(blocks, threads, [&](std::size_t b, unsigned t) {
        ++runs[b];
        thread_of[b] = t;
      });
      const unsigned used = std::max(1u, static_cast<unsigned>(std::min<std::size_t>(threads, blocks)));
      for (std::size_t b = 0; b < blocks; ++b) {
        CHECK(runs[b] == 1);
        CHECK(thread_of[b] < used);
      }
    }
  }
  CHECK_THROWS_AS(parallel_blocks(4, 2, [](std::size_t b, unsigned) {
                    if (b == 3) throw std::runtime_error("block 3");
                  }),
                  std::runtime_error);
}

TEST_CASE("a log keeps each block's records in arrival order across its segments") {
  customer_log<value_record> log(std::size_t{1} << 40);
  const std::size_t customers = 3 * 4096 + 11, n = 200'000;
  for (std::size_t i = 0; i < n; ++i) {
    log.push(value_record{static_cast<std::uint32_t>((i * 7919) % customers), static_cast<std::int64_t>(i)});
  }
  CHECK(log.size() == n);
  REQUIRE(log.blocks() == 4);
  CHECK(log.block(9).empty());
  std::size_t seen = 0;
  for (std::size_t b = 0; b < log.blocks(); ++b) {
    if (b < 3) CHECK(log.block(b).size() > 1);  // several segments, none reallocated
    std::int64_t last = -1;
    for (const auto& seg : log.block(b)) {
      CHECK(seg.capacity() <= customer_log<value_record>::max_segment);
      for (const value_record& r : seg) {
        CHECK((r.customer >> customer_block_shift) == b);
        const std::int64_t value = r.value;  // a copy: the packed member is not 8-byte aligned
        CHECK(value > last);
        last = value;
        ++seen;
      }
    }
  }
  CHECK(seen == n);
  // Grouping sees each customer's records in arrival order, the lowest value first.
  std::vector<std::size_t> grouped(customers, 0);  // per customer: threads write apart
  std::vector<std::uint8_t> in_order(customers, 1);
  for_each_customer_group<value_record>({&log}, customers, 2, [&](std::size_t c, const value_record* f, const value_record* l) {
    for (std::int64_t last = -1; f != l; ++f, ++grouped[c]) {
      if (f->customer != c || f->value <= last) in_order[c] = 0;
      last = f->value;
    }
  });
  std::size_t total = 0;
  for (std::size_t c = 0; c < customers; ++c) {
    total += grouped[c];
    CHECK(in_order[c] == 1);
  }
  CHECK(total == n);
}

TEST_CASE("unordered records are deduplicated by hashing, keeping first occurrences in order") {
  customer_log<value_record> log;
  const std::vector<std::int64_t> values = {9, 3, 9, 7, 3, 3, 1, 9, -4, 7};
  for (const std::int64_t v : values) log.push(value_record{2, v});
  std::vector<std::int64_t> got;
  for_each_customer_group<value_record>({&log}, 3, 1, [&](std::size_t c, const value_record* f, const value_record* l) {
    if (c == 2) {
      for (; f != l; ++f) got.push_back(std::int64_t{f->value});
    } else {
      CHECK(f == l);
    }
  });
  CHECK(got == std::vector<std::int64_t>{9, 3, 7, 1, -4});
  // Many records of one customer (the table grows past its first 16 slots).
  customer_log<value_record> many;
  for (int i = 0; i < 1000; ++i) many.push(value_record{0, (i * 37) % 101});
  std::size_t distinct = 0;
  for_each_customer_group<value_record>({&many}, 1, 1, [&](std::size_t, const value_record* f, const value_record* l) {
    distinct = static_cast<std::size_t>(l - f);
  });
  CHECK(distinct == 101);
}

TEST_CASE("parallel blocks and tasks raise the lowest failing block's error, whatever the timing") {
  for (int round = 0; round < 50; ++round) {
    std::atomic<int> ran{0};
    CHECK_THROWS_WITH(tierkit::detail::parallel_blocks(1000, 2,
                                                       [&](std::size_t b, unsigned) {
                                                         ++ran;
                                                         if (b == 300 || b == 301 || b == 700) {
                                                           throw std::runtime_error(std::to_string(b));
                                                         }
                                                       }),
                      "300");
    CHECK(ran >= 301);  // every block below the failure ran
    CHECK_THROWS_WITH(tierkit::detail::run_tasks({[] {}, [] { throw std::runtime_error("second"); },
                                                  [] { throw std::runtime_error("third"); }},
                                                 3),
                      "second");
  }
  int sum = 0;
  tierkit::detail::run_tasks({[&] { sum += 1; }, [&] { sum += 2; }}, 1);
  CHECK(sum == 3);
}
