#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "detail/int128.hpp"
#include "helpers.hpp"
#include "tierkit/serialization.hpp"

using namespace tierkit;

namespace {

// Bit-for-bit equality of two profiles (NaN equals NaN).
void require_same(const profile& a, const profile& b) {
  REQUIRE(a.size() == b.size());
  CHECK(a.customer.ints == b.customer.ints);
  CHECK(a.customer.chars == b.customer.chars);
  CHECK(a.first_purchase == b.first_purchase);
  CHECK(a.last_purchase == b.last_purchase);
  CHECK(a.recency == b.recency);
  CHECK(a.tenure == b.tenure);
  CHECK(a.frequency == b.frequency);
  CHECK(a.purchase_days == b.purchase_days);
  CHECK(a.previous_purchase == b.previous_purchase);
  CHECK(a.has_purchase_days == b.has_purchase_days);
  CHECK(a.transactions == b.transactions);
  CHECK(a.returns == b.returns);
  CHECK(a.channels == b.channels);
  CHECK(a.categories == b.categories);
  auto same_bits = [](const std::vector<double>& x, const std::vector<double>& y) {
    return x.size() == y.size() &&
           (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
  };
  CHECK(same_bits(a.monetary, b.monetary));
  CHECK(same_bits(a.gross_sales, b.gross_sales));
  CHECK(same_bits(a.returns_value, b.returns_value));
  CHECK(same_bits(a.average_order_value, b.average_order_value));
  CHECK(same_bits(a.median_gap, b.median_gap));
  CHECK(same_bits(a.quantity, b.quantity));
  CHECK(a.series_offsets == b.series_offsets);
  CHECK(a.series_period == b.series_period);
  CHECK(same_bits(a.series_net, b.series_net));
  CHECK(a.as_of == b.as_of);
  CHECK(a.report.rows_used == b.report.rows_used);
}

owned_batch worked_example() {
  owned_batch b;
  // customer, day, amount, order
  b.customer = {1, 1, 2, 3, 1, 1, 1};
  b.day = {100, 100, 101, 102, 105, 106, 105};
  b.amount = {5.0, 3.0, 7.25, -4.0, 10.0, -3.0, 0.0};
  b.order = {10, 10, 20, 30, 11, 12, 13};
  b.quantity = {1, 2, 1, -1, 4, -1, 1};
  return b;
}

owned_batch random_batch(std::size_t rows, std::uint32_t seed, int customers) {
  std::mt19937_64 rng(seed);
  owned_batch b;
  for (std::size_t i = 0; i < rows; ++i) {
    b.customer.push_back(static_cast<std::int64_t>(rng() % customers) * 7919 - 50000);
    b.day.push_back(static_cast<std::int32_t>(18000 + rng() % 900));
    const double cents = static_cast<double>(static_cast<std::int64_t>(rng() % 100000) - 8000);
    b.amount.push_back(cents / 100.0 + (rng() % 3 == 0 ? 0.001 : 0.0));
    b.order.push_back(static_cast<std::int64_t>(rng() % (rows / 2 + 1)));
    b.quantity.push_back(static_cast<double>(rng() % 5));
  }
  return b;
}

}  // namespace

TEST_CASE("a hand-worked profile: orders, returns, zero-value lines, a returns-only customer") {
  owned_batch b = worked_example();
  const profile p = make_profile(b.view());
  REQUIRE(p.size() == 3);
  CHECK(p.customer.ints == std::vector<std::int64_t>{1, 2, 3});
  CHECK(p.as_of == 107);  // the day after the last transaction
  CHECK(p.first_purchase == std::vector<std::int32_t>{100, 101, no_day});
  CHECK(p.last_purchase == std::vector<std::int32_t>{105, 101, no_day});
  CHECK(p.recency == std::vector<std::int32_t>{2, 6, no_day});
  CHECK(p.tenure == std::vector<std::int32_t>{7, 6, no_day});
  CHECK(p.frequency == std::vector<std::int64_t>{3, 1, 0});  // orders 10, 11, 13
  CHECK(p.purchase_days == std::vector<std::int64_t>{2, 1, 0});
  CHECK(p.previous_purchase == std::vector<std::int32_t>{100, no_day, no_day});
  CHECK(p.median_gap[0] == 5.0);
  CHECK(std::isnan(p.median_gap[1]));
  CHECK(p.transactions == std::vector<std::int64_t>{5, 1, 1});
  CHECK(p.returns == std::vector<std::int64_t>{1, 0, 1});
  CHECK(p.monetary == std::vector<double>{15.0, 7.25, -4.0});
  CHECK(p.gross_sales == std::vector<double>{18.0, 7.25, 0.0});
  CHECK(p.returns_value == std::vector<double>{3.0, 0.0, 4.0});
  CHECK(p.quantity == std::vector<double>{7.0, 1.0, -1.0});
  CHECK(p.average_order_value[0] == 5.0);
  CHECK(std::isnan(p.average_order_value[2]));
  // All days fall in April 1970 (day 90 is 1970-04-01): one period each.
  CHECK(p.series_offsets == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(p.series_period == std::vector<std::int32_t>{90, 90, 90});
  CHECK(p.series_net == std::vector<double>{15.0, 7.25, -4.0});
  CHECK(p.report.rows_read == 7);
  CHECK(p.report.rows_used == 7);
}

TEST_CASE("without an order column, frequency counts purchase lines") {
  owned_batch b = worked_example();
  b.order.clear();
  const profile p = make_profile(b.view());
  CHECK(p.frequency == std::vector<std::int64_t>{4, 1, 0});
  CHECK(p.returns == std::vector<std::int64_t>{1, 0, 1});
  CHECK_FALSE(p.has_orders);
}

TEST_CASE("the median gap between purchase days: odd and even numbers of gaps") {
  owned_batch b;
  b.customer = {1, 1, 1, 1, 2, 2, 2, 2, 2};
  b.day = {10, 11, 20, 20, 0, 2, 3, 13, 14};  // customer 1: gaps 1, 9; customer 2: 2, 1, 10, 1
  b.amount = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const profile p = make_profile(b.view());
  CHECK(p.median_gap == std::vector<double>{5.0, 1.5});
  CHECK(p.previous_purchase == std::vector<std::int32_t>{11, 13});
}

TEST_CASE("the median gap for short and long histories equals a sorted copy's") {
  // Histories around the lengths where the median switches from insertion to selection (8
  // gaps) and from the stack to a heap buffer (48 gaps), days in shuffled order with repeats.
  std::mt19937_64 rng(37);
  owned_batch b;
  std::vector<double> want;
  const int days_of[] = {2, 3, 4, 8, 9, 10, 11, 47, 48, 49, 50, 51, 200, 1001};
  for (int c = 0; c < 14; ++c) {
    std::vector<std::int32_t> days;
    std::int32_t d = 18000;
    for (int k = 0; k < days_of[c]; ++k) days.push_back(d += 1 + static_cast<std::int32_t>(rng() % 40));
    std::vector<double> gaps;
    for (std::size_t k = 1; k < days.size(); ++k) gaps.push_back(days[k] - days[k - 1]);
    std::sort(gaps.begin(), gaps.end());
    const std::size_t m = gaps.size();
    want.push_back(m % 2 == 1 ? gaps[m / 2] : (gaps[m / 2 - 1] + gaps[m / 2]) / 2);
    days.push_back(days[days.size() / 2]);  // a repeated day counts once
    std::shuffle(days.begin(), days.end(), rng);
    for (std::int32_t x : days) {
      b.customer.push_back(c);
      b.day.push_back(x);
      b.amount.push_back(1);
    }
  }
  const profile p = make_profile(b.view());
  CHECK(p.median_gap == want);
}

TEST_CASE("the spend series buckets net value by period, skipping empty periods") {
  owned_batch b;
  b.customer = {1, 1, 1, 1};
  b.day = {day_of(2024, 1, 5), day_of(2024, 1, 30), day_of(2024, 3, 2), day_of(2024, 3, 9)};
  b.amount = {10, 5, 20, -2};
  profile_config cfg;
  const profile m = make_profile(b.view(), cfg);
  CHECK(m.series_period == std::vector<std::int32_t>{day_of(2024, 1, 1), day_of(2024, 3, 1)});
  CHECK(m.series_net == std::vector<double>{15, 18});
  cfg.period = period_kind::week;
  const profile w = make_profile(b.view(), cfg);
  CHECK(w.series_period.size() == 4);
  CHECK(w.series_period[0] == day_of(2024, 1, 1));  // Friday 5 Jan belongs to the week of Monday 1 Jan
  cfg.spend_series = false;
  CHECK(make_profile(b.view(), cfg).series_period.empty());
}

TEST_CASE("an explicit window leaves rows outside it out and counts them") {
  owned_batch b = worked_example();
  profile_config cfg;
  cfg.window_start = 101;
  cfg.as_of = 106;
  const profile p = make_profile(b.view(), cfg);
  CHECK(p.report.rows_outside_window == 3);  // two lines on day 100, one on day 106
  CHECK(p.report.rows_used == 4);
  CHECK(p.as_of == 106);
  CHECK(p.customer.ints == std::vector<std::int64_t>{1, 2, 3});
  CHECK(p.monetary[0] == 10.0);
  CHECK(p.recency[0] == 1);
}

TEST_CASE("without a window, rows on or after as_of are invalid input") {
  owned_batch b = worked_example();
  profile_config cfg;
  cfg.as_of = 105;
  CHECK_THROWS_WITH_AS(make_profile(b.view(), cfg),
                       doctest::Contains("column 'day': 3 rows are on or after as_of 1970-04-16"),
                       invalid_input);
  cfg.on_invalid = invalid_policy::drop;
  const profile p = make_profile(b.view(), cfg);
  CHECK(p.report.rows_dropped == 3);
  REQUIRE(p.report.dropped.size() == 1);
  CHECK(p.report.dropped[0].rows == 3);
  CHECK(p.monetary[0] == 8.0);
}

TEST_CASE("dates outside valid_dates (default 1900-01-01 to 2200-12-31) are invalid rows, counted per side") {
  owned_batch b;
  b.customer = {1, 2, 3, 4, 5, 6, 7};
  // Year 0000 and 9999 placeholders, a day beyond each edge, each edge itself, and 2024.
  b.day = {day_of(0, 1, 1), day_of(9999, 12, 31), day_of(1899, 12, 31), day_of(1900, 1, 1),
           day_of(2200, 12, 31), day_of(2201, 1, 1), day_of(2024, 3, 1)};
  b.amount = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0};
  CHECK(profile_config{}.valid_dates.first == day_of(1900, 1, 1));
  CHECK(profile_config{}.valid_dates.last == day_of(2200, 12, 31));
  CHECK_THROWS_WITH_AS(make_profile(b.view()),
                       doctest::Contains("4 rows of 7 are invalid: column 'day': 2 rows are dated before "
                                         "1900-01-01 (the first of valid_dates); column 'day': 2 rows are "
                                         "dated after 2200-12-31 (the last of valid_dates)"),
                       invalid_input);
  profile_config drop;
  drop.on_invalid = invalid_policy::drop;
  const profile p = make_profile(b.view(), drop);
  CHECK(p.report.rows_read == 7);
  CHECK(p.report.rows_dropped == 4);
  REQUIRE(p.report.dropped.size() == 2);
  CHECK(p.report.dropped[0].problem == "dated before 1900-01-01 (the first of valid_dates)");
  CHECK(p.report.dropped[0].rows == 2);
  CHECK(p.report.dropped[1].problem == "dated after 2200-12-31 (the last of valid_dates)");
  CHECK(p.report.dropped[1].rows == 2);
  CHECK(p.customer.ints == std::vector<std::int64_t>{4, 5, 7});  // the edges are valid
  CHECK(p.first_purchase[0] == day_of(1900, 1, 1));
  CHECK(p.as_of == day_of(2201, 1, 1));  // the day after 2200-12-31
}

TEST_CASE("valid_dates widen to every supported date and narrow to a few years; days beyond stay invalid") {
  owned_batch b;
  b.customer = {1, 2, 3, 4, 5};
  b.day = {first_supported_day - 1, first_supported_day, 0, last_supported_day - 1,
           last_supported_day + 1};
  b.amount = {1.0, 2.0, 3.0, 4.0, 5.0};
  CHECK(format_day(first_supported_day) == "0001-01-01");
  CHECK(format_day(last_supported_day) == "9999-12-31");
  profile_config wide;
  wide.valid_dates = {first_supported_day, last_supported_day};
  CHECK_THROWS_WITH_AS(make_profile(b.view(), wide),
                       doctest::Contains("column 'day': 1 row is dated before 0001-01-01 (the first of "
                                         "valid_dates); column 'day': 1 row is dated after 9999-12-31"),
                       invalid_input);
  wide.on_invalid = invalid_policy::drop;
  const profile p = make_profile(b.view(), wide);
  CHECK(p.report.rows_dropped == 2);
  CHECK(p.customer.ints == std::vector<std::int64_t>{2, 3, 4});
  CHECK(p.first_purchase[0] == first_supported_day);
  CHECK(p.as_of == last_supported_day);  // the day after 9999-12-30: the last supported day
  // Narrowed to 1970 .. 1999, both ends included.
  profile_config narrow;
  narrow.valid_dates = {0, day_of(1999, 12, 31)};
  narrow.on_invalid = invalid_policy::drop;
  b.day = {day_of(1969, 12, 31), 0, day_of(1999, 12, 31), day_of(2000, 1, 1), 5000};
  const profile q = make_profile(b.view(), narrow);
  CHECK(q.customer.ints == std::vector<std::int64_t>{2, 3, 5});
  REQUIRE(q.report.dropped.size() == 2);
  CHECK(q.report.dropped[0].problem == "dated before 1970-01-01 (the first of valid_dates)");
  CHECK(q.report.dropped[1].problem == "dated after 1999-12-31 (the last of valid_dates)");
}

TEST_CASE("valid_dates must run forwards within the supported dates") {
  for (const day_range bad : {day_range{10, 9}, day_range{first_supported_day - 1, 0},
                              day_range{0, last_supported_day + 1}}) {
    profile_config c;
    c.valid_dates = bad;
    CHECK_THROWS_WITH_AS(profile_state{c}, doctest::Contains("valid_dates must run from a first to a last day"),
                         invalid_input);
  }
  profile_config one_day;
  one_day.valid_dates = {100, 100};
  CHECK_NOTHROW(profile_state{one_day});
}

TEST_CASE("valid_dates judge the day a timestamp falls on in the profile's zone, and come before the window") {
  // 2200-12-31T20:00Z is 2201-01-01 in UTC+08:00; 1899-12-31T20:00Z is 1900-01-01 there.
  const std::vector<std::int64_t> t = {(std::int64_t{day_of(2200, 12, 31)} * 86400 + 20 * 3600) * 1000000,
                                       (std::int64_t{day_of(1899, 12, 31)} * 86400 + 20 * 3600) * 1000000};
  const std::vector<std::int64_t> c = {1, 2};
  const std::vector<double> a = {1.0, 2.0};
  transactions tx;
  tx.customer = int64_column("c", c.data(), 2);
  tx.amount = float64_column("a", a.data(), 2);
  tx.time = timestamp_column("t", t.data(), 2, time_unit::micro, true);
  profile_config cfg;
  cfg.on_invalid = invalid_policy::drop;
  cfg.zone = time_zone::fixed("UTC+08:00", 8 * 3600);
  const profile east = make_profile(tx, cfg);
  CHECK(east.customer.ints == std::vector<std::int64_t>{2});
  CHECK(east.first_purchase[0] == day_of(1900, 1, 1));
  REQUIRE(east.report.dropped.size() == 1);
  CHECK(east.report.dropped[0].problem == "dated after 2200-12-31 (the last of valid_dates)");
  cfg.zone = time_zone();  // in UTC: 2200-12-31 (valid) and 1899-12-31 (not)
  CHECK(make_profile(tx, cfg).customer.ints == std::vector<std::int64_t>{1});
  // Text through parse_time: the date written (2200-12-31) is within parse_time's range, the
  // UTC instant (2201-01-01T01:00Z) is not within the profile's valid_dates.
  const std::vector<std::int64_t> parsed = {parse_time("2200-12-31T23:00:00-02:00"),
                                            parse_time("2024-03-01 10:00:00Z")};
  tx.time = timestamp_column("t", parsed.data(), 2, time_unit::micro, true);
  const profile utc = make_profile(tx, cfg);
  CHECK(utc.customer.ints == std::vector<std::int64_t>{2});
  CHECK(utc.report.dropped[0].problem == "dated after 2200-12-31 (the last of valid_dates)");
  // With an explicit window, an implausible date is invalid, not outside the window.
  owned_batch b;
  b.customer = {1, 2};
  b.day = {day_of(1800, 1, 1), day_of(2024, 1, 1)};
  b.amount = {1.0, 2.0};
  profile_config window;
  window.window_start = day_of(2023, 1, 1);
  window.as_of = day_of(2025, 1, 1);
  CHECK_THROWS_WITH_AS(make_profile(b.view(), window),
                       doctest::Contains("1 row is dated before 1900-01-01"), invalid_input);
  window.on_invalid = invalid_policy::drop;
  const profile w = make_profile(b.view(), window);
  CHECK(w.report.rows_dropped == 1);
  CHECK(w.report.rows_outside_window == 0);
}

TEST_CASE("a default as_of past 9999-12-31 is invalid input; an explicit one must be supported") {
  owned_batch b;
  b.customer = {1, 2};
  b.day = {0, last_supported_day};
  b.amount = {1.0, 2.0};
  profile_config every;  // every supported date valid: the edge of the representation
  every.valid_dates = {first_supported_day, last_supported_day};
  CHECK_THROWS_WITH_AS(make_profile(b.view(), every),
                       doctest::Contains("the default as_of, the day after the last transaction "
                                         "(9999-12-31), is past the supported dates"),
                       invalid_input);
  profile_config cfg = every;
  cfg.as_of = last_supported_day;
  cfg.on_invalid = invalid_policy::drop;
  const profile p = make_profile(b.view(), cfg);  // the 9999-12-31 row is on as_of: invalid
  CHECK(p.report.rows_dropped == 1);
  CHECK(p.as_of == last_supported_day);
  for (const std::int32_t bad : {last_supported_day + 1, first_supported_day - 1}) {
    profile_config c;
    c.as_of = bad;
    CHECK_THROWS_WITH_AS(profile_state{c}, doctest::Contains("must lie within the supported dates"),
                         invalid_input);
  }
}

TEST_CASE("invalid rows raise one error naming every column, problem and count") {
  owned_batch b = worked_example();
  b.amount[1] = std::nan("");
  b.amount[2] = INFINITY;
  std::uint8_t customer_valid = 0b1111101;  // row 1 null as well
  transactions tx = b.view();
  tx.customer.validity = &customer_valid;
  try {
    make_profile(tx);
    FAIL("expected invalid_input");
  } catch (const invalid_input& e) {
    const std::string m = e.what();
    CHECK(m.find("tierkit.profile: 2 rows of 7 are invalid") != std::string::npos);
    CHECK(m.find("column 'customer': 1 row is null") != std::string::npos);
    CHECK(m.find("column 'amount': 1 row is NaN") != std::string::npos);
    CHECK(m.find("column 'amount': 1 row is infinite") != std::string::npos);
    CHECK(m.find("on_invalid='drop'") != std::string::npos);
  }
  profile_config drop;
  drop.on_invalid = invalid_policy::drop;
  const profile p = make_profile(tx, drop);
  CHECK(p.report.rows_dropped == 2);
  CHECK(p.report.rows_used == 5);
  CHECK(p.report.dropped.size() == 3);
  CHECK(p.size() == 2);  // customer 2's only row was dropped
}

TEST_CASE("no usable rows is an error that says what happened to them") {
  owned_batch b;
  profile_state s;
  CHECK_THROWS_WITH_AS(s.finish(), doctest::Contains("no transactions to profile: 0 rows read"),
                       invalid_input);
  b.customer = {1};
  b.day = {10};
  b.amount = {1.0};
  profile_config cfg;
  cfg.window_start = 20;
  profile_state w(cfg);
  w.update(b.view());
  CHECK_THROWS_WITH_AS(w.finish(), doctest::Contains("1 outside the window"), invalid_input);
}

TEST_CASE("string keys sort by bytes; dictionary keys give the same profile") {
  owned_batch b = worked_example();
  b.customer_text = {"bob", "bob", "Ann", "zoë", "bob", "bob", "bob"};
  const profile p = make_profile(b.view());
  REQUIRE(p.customer.is_string);
  CHECK(p.customer.to_string(0) == "Ann");
  CHECK(p.customer.to_string(1) == "bob");
  CHECK(p.customer.to_string(2) == "zoë");
  CHECK(p.monetary == std::vector<double>{7.25, 15.0, -4.0});

  // The same keys as a dictionary<int8, string_views>.
  const std::vector<std::string_view> words = {"zoë", "bob", "Ann", "unused"};
  const std::vector<std::int8_t> idx = {1, 1, 2, 0, 1, 1, 1};
  transactions tx = b.view();
  column_view dict = string_column("words", words.data(), words.size());
  tx.customer = column_view{};
  tx.customer.name = "customer";
  tx.customer.type = data_type::dictionary;
  tx.customer.index_type = data_type::int8;
  tx.customer.length = 7;
  tx.customer.values = idx.data();
  tx.customer.dictionary = std::make_shared<column_view>(dict);
  const profile q = make_profile(tx);
  require_same(p, q);  // the unused dictionary word gives no customer
}

TEST_CASE("chunking, merge order and thread count never change the profile") {
  owned_batch b = random_batch(300'000, 7, 5000);
  profile_config one;
  one.threads = 1;
  const profile single = make_profile(b.view(), one);
  CHECK(single.size() == 5000);

  SUBCASE("two threads") {
    profile_config two;
    two.threads = 2;
    require_same(single, make_profile(b.view(), two));
  }
  SUBCASE("chunks merged in reverse order") {
    std::vector<profile_state> parts;
    const std::int64_t cuts[] = {0, 1, 77'777, 150'000, 299'999, 300'000};
    for (int i = 0; i + 1 < 6; ++i) {
      parts.emplace_back(one);
      parts.back().update(b.slice(cuts[i], cuts[i + 1]));
    }
    profile_state total(one);
    for (int i = 4; i >= 0; --i) total.merge(parts[static_cast<std::size_t>(i)]);
    require_same(single, total.finish());
  }
  SUBCASE("several batches in one update") {
    profile_state s(one);
    s.update(std::vector<transactions>{b.slice(0, 1000), b.slice(1000, 300'000)});
    require_same(single, s.finish());
  }
}

TEST_CASE("one and two threads agree with channels, categories, a window and new customers") {
  // 300,000 rows: two threads decode two shares. Every column must agree, with channels,
  // categories, a window that leaves rows out, and customers that are new in a later
  // update (their rows wait for the new keys to be numbered).
  owned_batch b = random_batch(300'000, 13, 3000);
  std::mt19937_64 rng(5);
  std::vector<std::int64_t> channel(b.day.size()), category(b.day.size());
  for (auto& c : channel) c = static_cast<std::int64_t>(rng() % 4);
  for (auto& c : category) c = static_cast<std::int64_t>(rng() % 40);
  auto with_extras = [&](transactions tx, std::int64_t from) {
    tx.channel = int64_column("channel", channel.data() + from, tx.rows());
    tx.category = int64_column("category", category.data() + from, tx.rows());
    return tx;
  };
  profile_config one, two;
  one.threads = 1;
  two.threads = 2;
  for (profile_config* c : {&one, &two}) {
    c->window_start = 18100;
    c->as_of = 18800;
  }
  const profile staged = make_profile(with_extras(b.view(), 0), two);
  REQUIRE(staged.size() > 2000);
  REQUIRE(staged.report.rows_outside_window > 0);
  require_same(staged, make_profile(with_extras(b.view(), 0), one));
  SUBCASE("later updates bring new customers") {
    profile_state s(one);
    s.update(with_extras(b.slice(0, 500), 0));
    s.update(with_extras(b.slice(500, 300'000), 500));
    require_same(staged, s.finish());
  }
}

TEST_CASE("without purchase days, every other column is the full profile's") {
  owned_batch b = random_batch(300'000, 5, 5000);
  profile_config full, lean;
  lean.purchase_days = false;
  profile want = make_profile(b.view(), full);
  REQUIRE(want.has_purchase_days);
  REQUIRE(std::count(want.purchase_days.begin(), want.purchase_days.end(), 0) < 100);
  want.purchase_days.clear();
  want.previous_purchase.clear();
  want.median_gap.clear();
  want.has_purchase_days = false;

  const profile got = make_profile(b.view(), lean);
  CHECK_FALSE(got.has_purchase_days);
  CHECK(got.median_gap.empty());
  require_same(want, got);
  SUBCASE("chunks merged, on one thread") {
    lean.threads = 1;
    profile_state total(lean);
    for (std::int64_t from = 0; from < 300'000; from += 70'000) {
      profile_state part(lean);
      part.update(b.slice(from, std::min<std::int64_t>(from + 70'000, 300'000)));
      total.merge(part);
    }
    const profile merged = total.finish();
    CHECK_FALSE(merged.has_purchase_days);
    require_same(want, merged);
  }
}

TEST_CASE("keys numbered by their value, holes included, give the profile hashing gives") {
  // Sparse keys (hashed) and the same customers as compact keys 2k + 1: half the range
  // holds customers, index 0 and every other index is a hole.
  owned_batch hashed = random_batch(200'000, 11, 3000);
  owned_batch compact = hashed;
  auto compact_key = [](std::int64_t k) { return 2 * ((k + 50000) / 7919) + 1; };
  for (auto& k : compact.customer) k = compact_key(k);
  profile want = make_profile(hashed.view());
  for (auto& k : want.customer.ints) k = compact_key(k);  // order-preserving
  REQUIRE(want.size() == 3000);
  profile_config one;
  one.threads = 1;
  SUBCASE("one update, one and two threads") {
    profile_state s(one);
    s.update(compact.view());
    CHECK(s.customers() == 3000);
    require_same(want, s.finish());
    profile_config two;
    two.threads = 2;
    require_same(want, make_profile(compact.view(), two));
  }
  SUBCASE("a later update with keys outside the first range moves to hashing") {
    profile_state s(one);
    s.update(compact.slice(0, 1000));  // its own, narrower range
    s.update(compact.slice(1000, 200'000));
    CHECK(s.customers() == 3000);
    require_same(want, s.finish());
  }
  SUBCASE("states numbered by key merge into an empty state, in reverse order") {
    std::vector<profile_state> parts;
    const std::int64_t cuts[] = {0, 5, 60'000, 200'000};
    for (int i = 0; i + 1 < 4; ++i) {
      parts.emplace_back(one);
      parts.back().update(compact.slice(cuts[i], cuts[i + 1]));
    }
    profile_state total(one);
    for (int i = 2; i >= 0; --i) total.merge(parts[static_cast<std::size_t>(i)]);
    CHECK(total.customers() == 3000);
    require_same(want, total.finish());
  }
  SUBCASE("a customer whose only row is dropped as invalid is no customer") {
    compact.customer.push_back(4);  // a hole's key, inside the range
    compact.day.push_back(18100);
    compact.amount.push_back(std::nan(""));
    compact.order.push_back(1);
    compact.quantity.push_back(1);
    profile_config drop;
    drop.on_invalid = invalid_policy::drop;
    const profile got = make_profile(compact.view(), drop);
    CHECK(got.report.rows_dropped == 1);
    profile w = want;
    w.report = got.report;
    require_same(w, got);
  }
}

TEST_CASE("compact keys in a large update (chunks above the smallest size) give the profile hashing gives") {
  // 4.3M rows: an update of compact keys this large aggregates in chunks of 2^19 rows;
  // the same rows as sparse (hashed) keys, and as small updates, go in chunks of 2^18.
  owned_batch hashed = random_batch(4'300'000, 23, 20000);
  owned_batch compact = hashed;
  auto compact_key = [](std::int64_t k) { return (k + 50000) / 7919 + 1; };
  for (auto& k : compact.customer) k = compact_key(k);
  profile want = make_profile(hashed.view());
  for (auto& k : want.customer.ints) k = compact_key(k);  // order-preserving
  REQUIRE(want.size() == 20000);
  require_same(want, make_profile(compact.view()));
  profile_state pieces{profile_config{}};
  for (std::int64_t r = 0; r < 4'300'000; r += 500'000) {
    pieces.update(compact.slice(r, std::min<std::int64_t>(r + 500'000, 4'300'000)));
  }
  require_same(want, pieces.finish());
}

TEST_CASE("an update that fails leaves the state unchanged") {
  owned_batch good = worked_example();
  owned_batch bad = worked_example();
  bad.amount[0] = std::nan("");
  profile_state s;
  s.update(good.view());
  const profile before = s.finish();
  CHECK_THROWS_AS(s.update(std::vector<transactions>{good.view(), bad.view()}), invalid_input);
  require_same(before, s.finish());
  CHECK(s.rows_read() == 7);
}

TEST_CASE("batches must agree on optional columns and key kinds") {
  owned_batch with_orders = worked_example();
  owned_batch without = worked_example();
  without.order.clear();
  profile_state s;
  s.update(with_orders.view());
  CHECK_THROWS_WITH_AS(s.update(without.view()),
                       doctest::Contains("has no order column but others have"), schema_error);
  owned_batch text = worked_example();
  text.customer_text = {"a", "a", "b", "c", "a", "a", "a"};
  CHECK_THROWS_WITH_AS(s.update(text.view()),
                       doctest::Contains("customer keys are string in this batch but integer"),
                       schema_error);
}

TEST_CASE("states merge only with the same configuration") {
  profile_config a, b;
  b.as_of = 500;
  profile_state x(a), y(b);
  CHECK_THROWS_WITH_AS(x.merge(y), doctest::Contains("as_of dates differ"), invalid_input);
  b = a;
  b.zone = time_zone::fixed("UTC+01:00", 3600);
  profile_state z(b);
  CHECK_THROWS_WITH_AS(x.merge(z), doctest::Contains("time zones differ"), invalid_input);
  b = a;
  b.purchase_days = false;
  profile_state lean(b);
  CHECK_THROWS_WITH_AS(x.merge(lean), doctest::Contains("purchase days settings differ"), invalid_input);
  CHECK_THROWS_AS(x.merge(x), invalid_input);
  // on_invalid and valid_dates decide what each state's update() accepted: not compared.
  b = a;
  b.on_invalid = invalid_policy::drop;
  b.valid_dates = {0, 100};
  profile_state other(b);
  CHECK_NOTHROW(x.merge(other));
  CHECK(x.config().valid_dates.last == day_range{}.last);  // this state's own
}

TEST_CASE("a window must start before as_of") {
  profile_config cfg;
  cfg.window_start = 10;
  cfg.as_of = 10;
  CHECK_THROWS_WITH_AS(profile_state{cfg}, doctest::Contains("must be before as_of"),
                       invalid_input);
}

TEST_CASE("money sums are exact: order does not matter even for awkward floats") {
  // Naive double summation of this column depends on the order; the fixed-point sum not.
  owned_batch b;
  for (int i = 0; i < 1000; ++i) {
    b.customer.push_back(1);
    b.day.push_back(1);
    b.amount.push_back(i % 2 ? 1e15 : 0.1);
  }
  b.amount.push_back(-1e15 * 500);
  b.customer.push_back(1);
  b.day.push_back(1);
  const profile forward = make_profile(b.view());
  std::reverse(b.amount.begin(), b.amount.end());
  const profile backward = make_profile(b.view());
  CHECK(forward.monetary == backward.monetary);
  CHECK(forward.monetary[0] == 50.0);  // 500 * 0.1 exactly: amounts sum on a 10^-9 grid
}

TEST_CASE("decimal128 amounts are read at their scale") {
  // 12.34, -0.05, 1000.00 at scale 2.
  const tierkit::detail::int128 raw[] = {1234, -5, 100000};
  const std::vector<std::int64_t> cust = {1, 1, 2};
  const std::vector<std::int32_t> day = {1, 2, 3};
  transactions tx;
  tx.customer = int64_column("c", cust.data(), 3);
  tx.time = day_column("d", day.data(), 3);
  tx.amount.name = "amount";
  tx.amount.type = data_type::decimal128;
  tx.amount.decimal_scale = 2;
  tx.amount.length = 3;
  tx.amount.values = raw;
  const profile p = make_profile(tx);
  CHECK(p.monetary[0] == 12.29);
  CHECK(p.returns_value[0] == 0.05);
  CHECK(p.monetary[1] == 1000.0);
}

TEST_CASE("decimal128 amounts of magnitude 2^60 or more are invalid rows, decided exactly at every scale") {
  using i128 = tierkit::detail::int128;
  auto pow10 = [](int k) {
    i128 v = 1;
    for (int i = 0; i < k; ++i) v *= 10;
    return v;
  };
  const i128 limit = i128{1} << 60;  // 1152921504606846976
  const i128 min128 = -static_cast<i128>((~static_cast<tierkit::detail::uint128>(0)) >> 1) - 1;
  struct amount {
    i128 unscaled;
    int scale;
    bool valid;
  };
  const std::vector<amount> amounts = {
      {pow10(30), 0, false},  {-pow10(30), 0, false}, {pow10(38) - 1, 0, false}, {min128, 0, false},
      {limit, 0, false},      {-limit, 0, false},     {limit - 1, 0, true},      {-(limit - 1), 0, true},
      {limit * pow10(9) - 1, 9, true},   {limit * pow10(9), 9, false},  // 2^60 - 10^-9 and 2^60
      {limit * pow10(20) - 1, 20, true}, {limit * pow10(20), 20, false},
      {pow10(38) - 1, 21, true},                                         // below 10^17
      {1152921504606846, -3, true},      {1152921504606847, -3, false},  // 2^60 lies between
      {1, -19, false}, {0, -100000, true}, {1, 1000000, true}, {1, INT_MIN, false}, {0, INT_MIN, true},
  };
  for (const amount& a : amounts) {
    CAPTURE(a.scale);
    CAPTURE(a.valid);
    const i128 raw[] = {a.unscaled, 0};  // the second row is valid at every scale
    const std::vector<std::int64_t> cust = {1, 2};
    const std::vector<std::int32_t> day = {1, 2};
    transactions tx;
    tx.customer = int64_column("c", cust.data(), 2);
    tx.time = day_column("d", day.data(), 2);
    tx.amount.name = "amount";
    tx.amount.type = data_type::decimal128;
    tx.amount.decimal_scale = a.scale;
    tx.amount.length = 2;
    tx.amount.values = raw;
    profile_config cfg;
    cfg.on_invalid = invalid_policy::drop;
    const profile p = make_profile(tx, cfg);
    CHECK(p.report.rows_dropped == (a.valid ? 0 : 1));
    if (!a.valid) {
      CHECK(p.report.dropped.at(0).problem == "magnitude 2^60 or more");
      CHECK_THROWS_WITH_AS(make_profile(tx), doctest::Contains("'amount': 1 row is magnitude 2^60 or more"),
                           invalid_input);
    } else if (a.scale == 9 || a.scale == 0) {
      // Within the range the sum is exact: the value converts, it does not wrap.
      const double want = static_cast<double>(a.unscaled) / (a.scale == 9 ? 1e9 : 1.0);
      CHECK(p.monetary[0] == want);
    }
  }
}

TEST_CASE("timestamps: UTC instants move to the profile's zone, wall-clock times do not") {
  const std::int64_t late = (std::int64_t{day_of(2024, 1, 31)} * 86400 + 20 * 3600) * 1000;  // ms
  const std::vector<std::int64_t> t = {late};
  const std::vector<std::int64_t> c = {1};
  const std::vector<double> a = {1.0};
  transactions tx;
  tx.customer = int64_column("c", c.data(), 1);
  tx.amount = float64_column("a", a.data(), 1);
  profile_config cfg;
  cfg.zone = time_zone::fixed("UTC+08:00", 8 * 3600);
  tx.time = timestamp_column("t", t.data(), 1, time_unit::milli, true);
  CHECK(make_profile(tx, cfg).last_purchase[0] == day_of(2024, 2, 1));
  tx.time = timestamp_column("t", t.data(), 1, time_unit::milli, false);
  CHECK(make_profile(tx, cfg).last_purchase[0] == day_of(2024, 1, 31));
}

TEST_CASE("cent amounts sum to the nearest double of the exact decimal total") {
  owned_batch b;
  b.customer = {1, 1, 2, 2, 2};
  b.day = {1, 2, 1, 1, 1};
  b.amount = {0.1, 0.2, 2.55, 2.55, -0.05};
  const profile p = make_profile(b.view());
  CHECK(0.1 + 0.2 != 0.3);
  CHECK(p.monetary[0] == 0.3);
  CHECK(p.monetary[1] == 5.05);
}

TEST_CASE("merged states keep the repeat caches honest: orders and days logged once, none lost") {
  // State a sees customer 1 return only, b its purchases; then a sees more purchases whose
  // order (0, the cache's initial value) and days repeat or not what b logged.
  auto batch = [](std::vector<std::int32_t> day, std::vector<double> amount, std::vector<std::int64_t> order) {
    owned_batch b;
    b.customer.assign(day.size(), 1);
    b.day = std::move(day);
    b.amount = std::move(amount);
    b.order = std::move(order);
    return b;
  };
  owned_batch first = batch({100}, {-5.0}, {9});
  owned_batch second = batch({110, 120}, {4.0, 6.0}, {5, 6});
  owned_batch third = batch({120, 115, 120}, {1.0, 2.0, 3.0}, {0, 0, 6});
  profile_config c;
  c.as_of = 200;
  profile_state a(c), b(c);
  a.update(first.view());
  b.update(second.view());
  a.merge(b);
  a.update(third.view());
  const profile p = a.finish();
  REQUIRE(p.size() == 1);
  CHECK(p.frequency[0] == 3);      // orders 5, 6, 0
  CHECK(p.returns[0] == 1);        // order 9
  CHECK(p.purchase_days[0] == 3);  // days 110, 115, 120
  CHECK(p.previous_purchase[0] == 115);
  CHECK(p.last_purchase[0] == 120);
  CHECK(p.first_purchase[0] == 110);
  CHECK(p.median_gap[0] == 5.0);   // gaps 5 and 5
  // The same rows in one state give the same profile.
  owned_batch all = batch({100, 110, 120, 120, 115, 120}, {-5.0, 4.0, 6.0, 1.0, 2.0, 3.0}, {9, 5, 6, 0, 0, 6});
  require_same(make_profile(all.view(), c), p);
}

TEST_CASE("text order, channel and category values count as their integer codes do, on any threads, chunks and merges") {
  // Text values get codes shard by shard on all threads (detail/text_values.hpp); every way
  // of feeding the rows must give the profile that integer codes of the same values give.
  owned_batch ints = random_batch(300'000, 31, 5000);
  owned_batch text = ints;
  for (const std::int64_t o : ints.order) text.order_text.push_back("order-" + std::to_string(o * 7));
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> channel(ints.day.size());
  for (auto& c : channel) c = static_cast<std::int64_t>(rng() % 5);
  std::vector<std::string> channel_text;
  for (const std::int64_t c : channel) channel_text.push_back("channel " + std::to_string(c));
  const std::vector<std::string_view> channel_views(channel_text.begin(), channel_text.end());
  auto with_channel = [&](transactions tx, bool as_text, std::int64_t from) {
    tx.channel = as_text ? string_column("channel", channel_views.data() + from, tx.rows())
                         : int64_column("channel", channel.data() + from, tx.rows());
    return tx;
  };
  profile_config one;
  one.threads = 1;
  const profile want = make_profile(with_channel(ints.view(), false, 0), one);
  REQUIRE(want.size() == 5000);
  for (unsigned threads : {1u, 2u, 4u}) {
    CAPTURE(threads);
    profile_config c;
    c.threads = threads;
    require_same(want, make_profile(with_channel(text.view(), true, 0), c));
  }
  SUBCASE("updates bring new values; states merge and are saved and loaded") {
    const std::int64_t cuts[] = {0, 1, 40'000, 150'000, 299'999, 300'000};
    std::vector<profile_state> parts;
    profile_state serial(one);
    for (int i = 0; i + 1 < 6; ++i) {
      parts.emplace_back(one);
      parts.back().update(with_channel(text.slice(cuts[i], cuts[i + 1]), true, cuts[i]));
      serial.update(with_channel(text.slice(cuts[i], cuts[i + 1]), true, cuts[i]));
    }
    require_same(want, serial.finish());
    profile_state merged(one);
    for (int i = 4; i >= 0; --i) {
      merged.merge(profile_state_from_bytes(to_bytes(parts[static_cast<std::size_t>(i)])));
    }
    require_same(want, merged.finish());
    const profile_state loaded = profile_state_from_bytes(to_bytes(serial));
    CHECK(to_bytes(loaded) == to_bytes(serial));
    require_same(want, loaded.finish());
  }
  SUBCASE("a dictionary column of text orders") {
    std::vector<std::string> words;
    std::vector<std::int32_t> index;
    for (const std::int64_t o : ints.order) {
      index.push_back(static_cast<std::int32_t>(o % 1000));
      words.resize(std::max<std::size_t>(words.size(), static_cast<std::size_t>(o % 1000) + 1));
    }
    for (std::size_t k = 0; k < words.size(); ++k) words[k] = "w" + std::to_string(k);
    const std::vector<std::string_view> views(words.begin(), words.end());
    owned_batch coded = ints;
    for (auto& o : coded.order) o %= 1000;
    transactions tx = text.view();
    tx.order = column_view{};
    tx.order->name = "order";
    tx.order->type = data_type::dictionary;
    tx.order->index_type = data_type::int32;
    tx.order->length = static_cast<std::int64_t>(index.size());
    tx.order->values = index.data();
    tx.order->dictionary = std::make_shared<column_view>(string_column("words", views.data(), views.size()));
    profile_config two;
    two.threads = 2;
    require_same(make_profile(coded.view(), one), make_profile(tx, two));
  }
}

TEST_CASE("merged states with text orders keep the repeat caches honest") {
  // In b, customers 1..M buy order "x"; a holds M other orders v1..vM (customer 0). After
  // the merge each customer's cache must name "x" by a's code: by b's code it would name
  // whichever v a numbered alike, and customer j's later line of order vj would pass for a
  // repeat of its last order and go uncounted (with M values, some vj always does).
  const int m = 2000;
  owned_batch a_rows, b_rows, later;
  for (int j = 1; j <= m; ++j) {
    const std::string v = "v" + std::to_string(j);
    for (owned_batch* x : {&a_rows, &b_rows, &later}) {
      x->customer.push_back(x == &a_rows ? 0 : j);
      x->day.push_back(x == &later ? 102 : 100);
      x->amount.push_back(5.0);
      x->order_text.push_back(x == &b_rows ? "x" : v);
    }
  }
  profile_config c;
  c.as_of = 200;
  profile_state a(c), b(c);
  a.update(a_rows.view());
  b.update(b_rows.view());
  a.merge(b);
  SUBCASE("merged") {}
  SUBCASE("merged, saved and loaded") { a = profile_state_from_bytes(to_bytes(a)); }
  a.update(later.view());
  const profile p = a.finish();
  REQUIRE(p.size() == static_cast<std::size_t>(m) + 1);
  CHECK(p.frequency[0] == m);
  std::int64_t counted = 0;
  for (int j = 1; j <= m; ++j) counted += p.frequency[static_cast<std::size_t>(j)];
  CHECK(counted == 2 * m);  // orders x and vj for every customer j
}

TEST_CASE("a copied or moved state carries on as the original would") {
  // 150,000 customers (37 aggregate blocks), grown across updates.
  owned_batch b = random_batch(400'000, 23, 150'000);
  const profile want = make_profile(b.view());
  profile_state s;
  s.update(b.slice(0, 150'000));
  profile_state copy = s;                 // deep copy mid-way
  s.update(b.slice(150'000, 400'000));
  copy.update(b.slice(150'000, 400'000));
  profile_state moved = std::move(copy);  // the moved-to state owns the slabs
  require_same(want, s.finish());
  require_same(want, moved.finish());
  profile_state assigned;
  assigned.update(b.slice(0, 10));
  assigned = s;                           // copy-assignment over a state with slabs of its own
  require_same(want, assigned.finish());
}

TEST_CASE("a state saved as bytes and loaded merges and finishes exactly as the one saved") {
  owned_batch a = random_batch(20000, 5, 900);
  owned_batch b = random_batch(15000, 6, 1200);
  for (bool dense : {false, true}) {
    if (dense) {  // keys numbered by value (holes in the index range)
      for (auto* x : {&a, &b}) {
        for (auto& c : x->customer) c = (c % 997 + 997) % 997;
      }
    }
    profile_config cfg;
    cfg.threads = 2;
    profile_state s(cfg), t(cfg);
    s.update(a.view());
    t.update(b.view());
    const profile_state loaded = profile_state_from_bytes(to_bytes(s));
    require_same(loaded.finish(), s.finish());
    CHECK(to_bytes(loaded) == to_bytes(profile_state_from_bytes(to_bytes(loaded))));
    profile_state merged = profile_state_from_bytes(to_bytes(s));
    merged.merge(profile_state_from_bytes(to_bytes(t)));
    profile_state direct = s;
    direct.merge(t);
    require_same(merged.finish(), direct.finish());
    // A loaded state keeps taking updates.
    profile_state more = profile_state_from_bytes(to_bytes(s));
    more.update(b.view());
    s.update(b.view());
    require_same(more.finish(), s.finish());
  }
  owned_batch text;
  text.customer_text = {"ann", "bob", "ann", "cy", "bob"};
  text.day = {10, 11, 12, 12, 13};
  text.amount = {5.0, 3.0, -1.0, 2.0, 4.0};
  text.order = {1, 2, 3, 4, 2};
  profile_state s;
  s.update(text.view());
  require_same(profile_state_from_bytes(to_bytes(s)).finish(), s.finish());
}

TEST_CASE("a state's valid_dates travel in its bytes; a layout-1 state (before valid_dates) loads with the default") {
  profile_config cfg;
  cfg.valid_dates = {day_of(2000, 1, 1), day_of(2030, 12, 31)};
  cfg.on_invalid = invalid_policy::drop;
  profile_state s(cfg);
  owned_batch b;
  b.customer = {1, 2};
  b.day = {day_of(2024, 1, 1), day_of(1999, 12, 31)};
  b.amount = {1.0, 2.0};
  s.update(b.view());
  profile_state loaded = profile_state_from_bytes(to_bytes(s));
  CHECK(loaded.config().valid_dates.first == day_of(2000, 1, 1));
  CHECK(loaded.config().valid_dates.last == day_of(2030, 12, 31));
  loaded.update(b.view());  // the loaded state still drops 1999
  CHECK(loaded.finish().report.rows_dropped == 2);
  // The same payload in layout 1: the layout number 1, and no valid_dates after on_invalid
  // (a UTC zone's name is "UTC": 15 bytes of header and dates, the name's 8 + 3, its offset
  // 4, two empty columns 16, then period, spend series, purchase days and on_invalid).
  std::string payload = detail::profile_state_payload(s);
  const std::size_t valid_dates_at = 15 + 8 + 3 + 4 + 16 + 4;
  REQUIRE(s.config().zone.name() == "UTC");
  std::int32_t first = 0;
  std::memcpy(&first, &payload[valid_dates_at], 4);
  REQUIRE(first == day_of(2000, 1, 1));
  payload.erase(valid_dates_at, 8);
  const std::uint32_t layout1 = 1;
  std::memcpy(&payload[0], &layout1, 4);
  const profile_state old = detail::profile_state_from_payload(payload);
  CHECK(old.config().valid_dates.first == day_range{}.first);
  CHECK(old.config().valid_dates.last == day_range{}.last);
  CHECK(old.config().on_invalid == invalid_policy::drop);
  require_same(old.finish(), s.finish());
  // A state written by tierkit before valid_dates, in layout 1 (the golden file is the model
  // fuzzer's seed of then, fuzz/make_seeds.py's 200 demo rows of 21 customers).
  std::ifstream golden(std::string(TIERKIT_SOURCE_DIR) + "/tests/data/golden/profile_state_v1.tkm", std::ios::binary);
  REQUIRE(golden);
  const std::string envelope((std::istreambuf_iterator<char>(golden)), std::istreambuf_iterator<char>());
  const profile_state written_by_layout1 = profile_state_from_bytes(envelope);
  CHECK(written_by_layout1.config().valid_dates.first == day_range{}.first);
  CHECK(written_by_layout1.rows_read() == 200);
  CHECK(written_by_layout1.finish().size() == 21);
  // A layout this tierkit does not know yet.
  const std::uint32_t layout3 = 3;
  std::memcpy(&payload[0], &layout3, 4);
  CHECK_THROWS_WITH_AS(detail::profile_state_from_payload(payload), doctest::Contains("a state layout"),
                       format_error);
  // Crafted bounds are refused as the constructor refuses them.
  std::string backwards = detail::profile_state_payload(s);
  const std::int32_t late = day_of(2100, 1, 1);
  std::memcpy(&backwards[valid_dates_at], &late, 4);
  CHECK_THROWS_WITH_AS(detail::profile_state_from_payload(backwards), doctest::Contains("valid_dates"), format_error);
}

TEST_CASE("damaged state bytes give format_error") {
  owned_batch a = random_batch(500, 9, 50);
  profile_state s;
  s.update(a.view());
  const std::string good = to_bytes(s);
  CHECK_THROWS_AS(profile_state_from_bytes(good.substr(0, good.size() - 7)), format_error);
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x5a;
  CHECK_THROWS_AS(profile_state_from_bytes(bad), format_error);
  // A crafted payload (valid envelope) declaring a huge column is refused before allocating.
  std::string payload = detail::profile_state_payload(s);
  const std::size_t zone_len_at = 4 + 1 + 1 + 4 + 1 + 4;
  std::uint64_t huge = ~std::uint64_t{0} >> 8;
  std::memcpy(&payload[zone_len_at], &huge, 8);
  CHECK_THROWS_WITH_AS(detail::profile_state_from_payload(payload), doctest::Contains("longer than the bytes left"),
                       format_error);
}
