// Period tables combine into exactly the profile of their span.
#include <doctest/doctest.h>

#include <tierkit/serialization.hpp>
#include <tierkit/tierkit.hpp>

#include <cmath>
#include <cstring>
#include <random>

#include "../helpers.hpp"

using namespace tierkit;

namespace {

struct wide_batch {
  std::vector<std::int64_t> customer, order, channel, category;
  std::vector<std::int32_t> day;
  std::vector<double> amount, quantity;

  transactions view() const {
    transactions tx;
    tx.customer = int64_column("customer", customer.data(), customer.size());
    tx.time = day_column("day", day.data(), day.size());
    tx.amount = float64_column("amount", amount.data(), amount.size());
    tx.order = int64_column("order", order.data(), order.size());
    tx.quantity = float64_column("quantity", quantity.data(), quantity.size());
    tx.channel = int64_column("channel", channel.data(), channel.size());
    tx.category = int64_column("category", category.data(), category.size());
    return tx;
  }
};

// Orders whose lines straddle period boundaries, channels and categories bought in many
// periods, returns of earlier orders.
wide_batch history(std::uint32_t seed) {
  std::mt19937 rng(seed);
  wide_batch b;
  const std::int32_t start = day_of(2023, 1, 1);
  for (int i = 0; i < 6000; ++i) {
    const std::int64_t c = static_cast<std::int64_t>(rng() % 250) * 3 + 1;
    const std::int32_t d = start + static_cast<std::int32_t>(rng() % 400);
    // Orders numbered per customer and 40-day slot: one order spans days across a month end.
    const std::int64_t o = c * 1000 + (d - start) / 40;
    b.customer.push_back(c);
    b.day.push_back(d);
    b.amount.push_back((rng() % 8 == 0 ? -1.0 : 1.0) * static_cast<double>(rng() % 9000 + 1) / 100.0);
    b.order.push_back(o);
    b.quantity.push_back(static_cast<double>(rng() % 4));
    b.channel.push_back(static_cast<std::int64_t>(rng() % 3));
    b.category.push_back(static_cast<std::int64_t>(rng() % 7));
  }
  return b;
}

bool same_bits(const std::vector<double>& x, const std::vector<double>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

void require_same(const profile& a, const profile& b) {
  REQUIRE(a.size() == b.size());
  CHECK(a.customer.ints == b.customer.ints);
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
  CHECK(a.window_start == b.window_start);
  CHECK(a.report.rows_used == b.report.rows_used);
}

profile_config window(std::int32_t from, std::int32_t to, period_kind series) {
  profile_config c;
  c.window_start = from;
  c.as_of = to;
  c.period = series;
  return c;
}

}  // namespace

TEST_CASE("period tables combine into the profile of their span, column for column") {
  const wide_batch b = history(3);
  std::vector<std::int32_t> cuts;
  for (int m = 1; m <= 13; ++m) cuts.push_back(day_of(2023 + (m - 1) / 12, (m - 1) % 12 + 1, 1));
  for (period_kind series : {period_kind::month, period_kind::quarter, period_kind::week}) {
    std::vector<period_table> tables;
    for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
      profile_state s(window(cuts[k], cuts[k + 1], series));
      s.update(b.view());  // the period's rows; the others are outside its window
      tables.push_back(period_table_from_bytes(to_bytes(s.finish_period())));  // through bytes too
    }
    for (auto [lo, hi] : {std::pair{0, 12}, std::pair{3, 9}, std::pair{5, 6}, std::pair{0, 1}}) {
      std::vector<const period_table*> parts;
      for (int k = hi - 1; k >= lo; --k) parts.push_back(&tables[static_cast<std::size_t>(k)]);  // any order
      const profile combined = window_profile(parts, 1 + static_cast<unsigned>(lo % 3));  // 1 to 3 ranges
      const profile direct = make_profile(b.view(), window(cuts[static_cast<std::size_t>(lo)],
                                                           cuts[static_cast<std::size_t>(hi)], series));
      require_same(combined, direct);
    }
  }
}

TEST_CASE("period tables refuse overlapping periods and text values") {
  const wide_batch b = history(4);
  profile_state a(window(0, 19500, period_kind::month)), c(window(19400, 19600, period_kind::month));
  a.update(b.view());
  c.update(b.view());
  const period_table ta = a.finish_period(), tc = c.finish_period();
  CHECK_THROWS_WITH_AS(window_profile({&ta, &tc}), doctest::Contains("overlap"), invalid_input);
  profile_state implicit;
  implicit.update(b.view());
  CHECK_THROWS_WITH_AS(implicit.finish_period(), doctest::Contains("explicit window"), invalid_input);
  owned_batch text;
  text.customer = {1, 2};
  text.day = {10, 11};
  text.amount = {1.0, 2.0};
  std::vector<std::string_view> orders{"a", "b"};
  transactions tx = text.view();
  tx.order = string_column("order", orders.data(), orders.size());
  profile_state s(window(0, 20, period_kind::month));
  s.update(tx);
  CHECK_THROWS_WITH_AS(s.finish_period(), doctest::Contains("a period table needs integers"), invalid_input);
  std::string bytes = to_bytes(ta);
  bytes.resize(bytes.size() - 3);
  CHECK_THROWS_AS(period_table_from_bytes(bytes), format_error);
}

TEST_CASE("period tables of text keys combine on several threads into the span's profile") {
  const wide_batch b = history(5);
  std::vector<std::string> text;
  for (std::int64_t c : b.customer) text.push_back("customer-" + std::to_string(c * 7919 % 1000));
  std::vector<std::string_view> views(text.begin(), text.end());
  transactions tx = b.view();
  tx.customer = string_column("customer", views.data(), views.size());
  std::vector<std::int32_t> cuts{day_of(2023, 1, 1), day_of(2023, 4, 1), day_of(2023, 7, 1), day_of(2023, 10, 1)};
  std::vector<period_table> tables;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    profile_state s(window(cuts[k], cuts[k + 1], period_kind::month));
    s.update(tx);
    tables.push_back(s.finish_period());
  }
  const profile combined = window_profile({&tables[0], &tables[1], &tables[2]}, 3);
  const profile direct = make_profile(tx, window(cuts.front(), cuts.back(), period_kind::month));
  CHECK(combined.customer.chars == direct.customer.chars);
  CHECK(combined.customer.offsets == direct.customer.offsets);
  require_same(combined, direct);
}

TEST_CASE("a period table lists each customer's distinct purchase days, ascending") {
  // Customer 5: purchases on days 10 and 12 (twice), a return on day 11; customer 2: a
  // return only (no purchase day); customer 9: a purchase outweighed by a return on day 13.
  const std::vector<std::int64_t> customer = {5, 5, 5, 5, 2, 9, 9};
  const std::vector<std::int32_t> day = {12, 10, 12, 11, 10, 13, 13};
  const std::vector<double> amount = {4, 10, 6, -3, -8, 5, -20};
  transactions tx;
  tx.customer = int64_column("customer", customer.data(), customer.size());
  tx.time = day_column("day", day.data(), day.size());
  tx.amount = float64_column("amount", amount.data(), amount.size());
  profile_state s(window(0, 100, period_kind::month));
  s.update(tx);
  const period_table t = s.finish_period();
  REQUIRE(t.customers().ints == std::vector<std::int64_t>{2, 5, 9});
  CHECK(t.purchase_day_offsets() == std::vector<std::int64_t>{0, 0, 2, 3});
  CHECK(t.purchase_days() == std::vector<std::int32_t>{10, 12, 13});
  profile_config off = window(0, 100, period_kind::month);
  off.purchase_days = false;
  profile_state none(off);
  none.update(tx);
  CHECK(none.finish_period().purchase_days().empty());
}
