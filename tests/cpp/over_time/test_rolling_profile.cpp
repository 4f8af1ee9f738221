// Rolling window profiles equal the window's profile joined with the customers seen before.
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cmath>
#include <cstring>
#include <random>

#include "../helpers.hpp"

using namespace tierkit;

namespace {

bool same_bits(const std::vector<double>& x, const std::vector<double>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

void require_same(const profile& a, const profile& b) {
  REQUIRE(a.size() == b.size());
  CHECK(a.customer.ints == b.customer.ints);
  CHECK(a.customer.chars == b.customer.chars);
  CHECK(a.first_purchase == b.first_purchase);
  CHECK(a.last_purchase == b.last_purchase);
  CHECK(a.recency == b.recency);
  CHECK(a.tenure == b.tenure);
  CHECK(a.frequency == b.frequency);
  CHECK(a.returns == b.returns);
  CHECK(a.transactions == b.transactions);
  CHECK(a.purchase_days == b.purchase_days);
  CHECK(a.previous_purchase == b.previous_purchase);
  CHECK(a.channels == b.channels);
  CHECK(a.categories == b.categories);
  CHECK(same_bits(a.monetary, b.monetary));
  CHECK(same_bits(a.gross_sales, b.gross_sales));
  CHECK(same_bits(a.returns_value, b.returns_value));
  CHECK(same_bits(a.quantity, b.quantity));
  CHECK(same_bits(a.average_order_value, b.average_order_value));
  CHECK(same_bits(a.median_gap, b.median_gap));
  CHECK(a.series_offsets == b.series_offsets);
  CHECK(a.series_period == b.series_period);
  CHECK(same_bits(a.series_net, b.series_net));
  CHECK(a.as_of == b.as_of);
}

// One period table per pair of consecutive cuts, from the same rows.
std::vector<period_table> period_tables(const transactions& tx, const std::vector<std::int32_t>& cuts,
                                        bool days_and_series) {
  std::vector<period_table> tables;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    profile_config c;
    c.window_start = cuts[k];
    c.as_of = cuts[k + 1];
    c.purchase_days = days_and_series;
    c.spend_series = days_and_series;
    profile_state st(c);
    st.update(tx);
    tables.push_back(st.finish_period());
  }
  return tables;
}

}  // namespace

TEST_CASE("a rolling profile equals the window's profile and the customers seen before, period after period") {
  std::mt19937 rng(11);
  std::vector<std::int64_t> customer, order, rising, channel;
  std::vector<std::string> text;
  std::vector<std::int32_t> day;
  std::vector<double> amount, quantity;
  const std::int32_t start = day_of(2023, 1, 1);
  for (int i = 0; i < 8000; ++i) {
    const std::int64_t c = static_cast<std::int64_t>(rng() % 300);
    const std::int32_t d = start + static_cast<std::int32_t>(rng() % 420);
    customer.push_back(c);
    text.push_back("k" + std::to_string(c * 37 % 1000));
    day.push_back(d);
    amount.push_back((rng() % 6 == 0 ? -1.0 : 1.0) * static_cast<double>(rng() % 5000 + 1) / 100.0);
    order.push_back(static_cast<std::int64_t>(rng() % 3000));  // random ids: orders repeat across months
    // Ids that grow with the day, as order numbers do; one line in 20 belongs to the order
    // of the day before (an order across midnight, so sometimes across a period boundary,
    // and sometimes an id below the customer's last one that no held period has).
    rising.push_back(static_cast<std::int64_t>(d - (rng() % 20 == 0 ? 1 : 0)) * 4 + static_cast<std::int64_t>(c % 4));
    channel.push_back(static_cast<std::int64_t>(rng() % 3));
    quantity.push_back(static_cast<double>(rng() % 3));
  }
  std::vector<std::string_view> views(text.begin(), text.end());
  for (bool text_keys : {false, true}) {
    for (int kind = 0; kind < 3; ++kind) {
      // Random order ids with the days and series off and on; rising ids.
      const bool days_and_series = kind == 1;
      const std::vector<std::int64_t>& orders = kind == 2 ? rising : order;
      CAPTURE(text_keys);
      CAPTURE(kind);
      transactions tx;
      tx.customer = text_keys ? string_column("customer", views.data(), views.size())
                              : int64_column("customer", customer.data(), customer.size());
      tx.time = day_column("day", day.data(), day.size());
      tx.amount = float64_column("amount", amount.data(), amount.size());
      tx.order = int64_column("order", orders.data(), orders.size());
      tx.channel = int64_column("channel", channel.data(), channel.size());
      tx.quantity = float64_column("quantity", quantity.data(), quantity.size());
      std::vector<std::int32_t> cuts;
      for (int m = 0; m <= 14; ++m) cuts.push_back(day_of(2023 + m / 12, m % 12 + 1, 1));
      const std::vector<period_table> tables = period_tables(tx, cuts, days_and_series);
      rolling_profile roll;
      const std::size_t window = 3;
      for (std::size_t k = 0; k < tables.size(); ++k) {
        roll.push(tables[k]);
        const std::size_t first = k + 1 >= window ? k + 1 - window : 0;
        roll.drop_before(cuts[first]);
        CHECK(roll.periods_held() == k + 1 - first);
        const std::int32_t as_of = cuts[k + 1];
        const profile got = roll.current(as_of, cuts[first]);
        std::vector<const period_table*> parts;
        for (std::size_t j = first; j <= k; ++j) parts.push_back(&tables[j]);
        customer_history before;
        for (std::size_t j = 0; j < first; ++j) before.add(tables[j]);
        const profile want = assessment_profile(window_profile(parts), before, as_of, cuts[first]);
        require_same(got, want);
        // Resumed from what a saved run keeps: the dropped periods' customers, the held periods.
        rolling_profile again;
        again.remember(before);
        for (std::size_t j = first; j <= k; ++j) again.push(tables[j]);
        require_same(again.current(as_of, cuts[first]), want);
      }
    }
  }
  rolling_profile roll;
  roll.push(period_table{});
  CHECK_THROWS_AS(roll.current(-1, std::nullopt), invalid_input);
}

TEST_CASE("pushing and dropping periods on several threads gives the profile of one thread") {
  // Periods large enough that their sums and distinct values are spread over threads.
  std::mt19937 rng(5);
  const std::size_t rows = 400000;
  std::vector<std::int64_t> customer(rows), order(rows), channel(rows), category(rows);
  std::vector<std::int32_t> day(rows);
  std::vector<double> amount(rows);
  const std::int32_t start = day_of(2023, 1, 1);
  for (std::size_t i = 0; i < rows; ++i) {
    customer[i] = static_cast<std::int64_t>(rng() % 100000);
    day[i] = start + static_cast<std::int32_t>(rng() % 120);
    amount[i] = (rng() % 6 == 0 ? -1.0 : 1.0) * static_cast<double>(rng() % 5000 + 1) / 100.0;
    order[i] = static_cast<std::int64_t>(rng() % 150000);
    channel[i] = static_cast<std::int64_t>(rng() % 4);
    category[i] = static_cast<std::int64_t>(rng() % 9);
  }
  transactions tx;
  tx.customer = int64_column("customer", customer.data(), rows);
  tx.time = day_column("day", day.data(), rows);
  tx.amount = float64_column("amount", amount.data(), rows);
  tx.order = int64_column("order", order.data(), rows);
  tx.channel = int64_column("channel", channel.data(), rows);
  tx.category = int64_column("category", category.data(), rows);
  std::vector<std::int32_t> cuts;
  for (int m = 0; m <= 4; ++m) cuts.push_back(day_of(2023, m + 1, 1));
  const std::vector<period_table> tables = period_tables(tx, cuts, false);
  rolling_profile one, two;
  for (std::size_t k = 0; k < tables.size(); ++k) {
    one.push(tables[k], 1);
    two.push(tables[k], 2);
    if (k >= 2) {
      one.drop_before(cuts[k - 1], 1);
      two.drop_before(cuts[k - 1], 2);
    }
    const std::int32_t from = cuts[k >= 2 ? k - 1 : 0];
    require_same(two.current(cuts[k + 1], from, 2), one.current(cuts[k + 1], from, 1));
  }
}
