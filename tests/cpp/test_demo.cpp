#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include <tierkit/demo.hpp>
#include <tierkit/error.hpp>

using namespace tierkit;

TEST_CASE("the demo generator gives exactly the requested lines, the same for any thread count") {
  demo_config cfg;
  cfg.customers = 2000;
  cfg.transactions = 150'000;
  cfg.threads = 1;
  const demo_transactions a = generate_demo_transactions(cfg);
  cfg.threads = 2;
  const demo_transactions b = generate_demo_transactions(cfg);
  REQUIRE(a.size() == 150'000);
  CHECK(a.customer_id == b.customer_id);
  CHECK(a.timestamp_us == b.timestamp_us);
  CHECK(a.amount == b.amount);
  CHECK(a.order_id == b.order_id);
  cfg.seed = 43;
  CHECK(generate_demo_transactions(cfg).amount != a.amount);
}

TEST_CASE("demo data look like retail: skewed activity, returns, several years") {
  demo_config cfg;
  cfg.customers = 5000;
  cfg.transactions = 200'000;
  const demo_transactions d = generate_demo_transactions(cfg);
  std::map<std::int64_t, std::int64_t> lines;
  std::int64_t returns = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    ++lines[d.customer_id[i]];
    if (d.amount[i] < 0) ++returns;
    REQUIRE(d.timestamp_us[i] >= std::int64_t{cfg.first_day} * 86400 * 1'000'000);
    REQUIRE(d.timestamp_us[i] < std::int64_t{cfg.first_day + cfg.days} * 86400 * 1'000'000);
    REQUIRE((d.amount[i] < 0) == (d.quantity[i] < 0));
  }
  std::vector<std::int64_t> counts;
  for (const auto& kv : lines) counts.push_back(kv.second);
  std::sort(counts.rbegin(), counts.rend());
  const std::int64_t top = std::accumulate(counts.begin(), counts.begin() + counts.size() / 5, 0LL);
  CHECK(static_cast<double>(top) / 200'000 > 0.5);  // the top 20% hold most lines
  CHECK(static_cast<double>(returns) / 200'000 == doctest::Approx(0.03).epsilon(0.3));
}

TEST_CASE("demo ids come dense, sparse or as text") {
  demo_config cfg;
  cfg.customers = 50;
  cfg.transactions = 1000;
  cfg.ids = demo_id_style::text;
  const demo_transactions t = generate_demo_transactions(cfg);
  CHECK(t.customer_id.empty());
  CHECK(t.customer_offsets.size() == 1001);
  CHECK(t.customer_chars.substr(0, 1) == "C");
  cfg.ids = demo_id_style::sparse;
  const demo_transactions s = generate_demo_transactions(cfg);
  CHECK(*std::max_element(s.customer_id.begin(), s.customer_id.end()) > 1'000'000'000);
}

TEST_CASE("demo settings are checked") {
  demo_config cfg;
  cfg.transactions = 0;
  CHECK_THROWS_WITH_AS(generate_demo_transactions(cfg),
                       doctest::Contains("transactions must be between 1 and"), invalid_input);
  cfg = demo_config{};
  cfg.return_rate = 0.9;
  CHECK_THROWS_AS(generate_demo_transactions(cfg), invalid_input);
}

TEST_CASE("demo rows come in day order unless asked otherwise, with the same lines") {
  demo_config cfg;
  cfg.customers = 300;
  cfg.transactions = 20'000;
  const demo_transactions ordered = generate_demo_transactions(cfg);
  const std::int64_t us_per_day = 86400LL * 1'000'000;
  for (std::size_t i = 1; i < ordered.size(); ++i) {
    REQUIRE(ordered.timestamp_us[i - 1] / us_per_day <= ordered.timestamp_us[i] / us_per_day);
  }
  cfg.time_ordered = false;
  const demo_transactions raw = generate_demo_transactions(cfg);
  bool decreasing = false;
  for (std::size_t i = 1; i < raw.size(); ++i) decreasing |= raw.timestamp_us[i - 1] > raw.timestamp_us[i];
  CHECK(decreasing);
  std::vector<std::int64_t> a = ordered.timestamp_us, b = raw.timestamp_us;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  CHECK(a == b);  // the same lines, reordered
}
