// Internals: row validation, checked in shares of the rows on several threads.
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "detail/validate.hpp"

using namespace tierkit;

namespace {
void set_null(std::vector<std::uint8_t>& bits, std::size_t row) {
  bits[row >> 3] = static_cast<std::uint8_t>(bits[row >> 3] & ~(1u << (row & 7)));
}
}  // namespace

TEST_CASE("validation finds the same issues, in the same order, on any number of threads") {
  const std::size_t n = 300'007;  // several shares, not a multiple of the block
  std::vector<std::int64_t> key(n, 1);
  std::vector<std::int32_t> day(n, 19000);
  std::vector<double> amount(n, 1.5), quantity(n, 2.0);
  std::vector<std::uint8_t> key_valid((n + 7) / 8, 0xff), day_valid((n + 7) / 8, 0xff);
  std::mt19937_64 rng(31);
  // Expected by hand: per (column, problem) the rows, and every invalid row once.
  std::vector<std::uint8_t> invalid(n, 0);
  std::int64_t key_null = 0, day_null = 0, day_after = 0, nan = 0, inf = 0, big = 0, q_nan = 0;
  // The first issues of the amount column come late (a thread's share other than the first)
  // in one order, and the quantity's issue only in the first share.
  for (int k = 0; k < 400; ++k) {
    const std::size_t r = rng() % n;
    switch (k % 6) {
      case 0:
        if ((key_valid[r >> 3] >> (r & 7)) & 1) ++key_null;
        set_null(key_valid, r);
        break;
      case 1:
        if ((day_valid[r >> 3] >> (r & 7)) & 1) {
          ++day_null;
          if (day[r] >= 20000) --day_after;
        }
        set_null(day_valid, r);
        break;
      case 2:
        if (((day_valid[r >> 3] >> (r & 7)) & 1) && day[r] < 20000) {
          day[r] = 20001;  // on or after as_of
          ++day_after;
        }
        break;
      default: {
        if (r < n / 2) continue;  // amounts: second half only
        if (!std::isfinite(amount[r]) || std::fabs(amount[r]) > 1e18) break;
        if (k % 6 == 3) {
          amount[r] = std::numeric_limits<double>::quiet_NaN();
          ++nan;
        } else if (k % 6 == 4) {
          amount[r] = std::numeric_limits<double>::infinity();
          ++inf;
        } else {
          amount[r] = 1e19;
          ++big;
        }
      }
    }
    invalid[r] = (k % 6 < 3 || r >= n / 2) ? 1 : invalid[r];
  }
  for (std::size_t r = 0; r < 1000; r += 7) {
    quantity[r] = std::numeric_limits<double>::quiet_NaN();
    ++q_nan;
    invalid[r] = 1;
  }
  std::int64_t invalid_rows = 0;
  for (std::uint8_t v : invalid) invalid_rows += v;

  transactions tx;
  tx.customer = int64_column("customer", key.data(), n, key_valid.data());
  tx.time = day_column("day", day.data(), n, day_valid.data());
  tx.amount = float64_column("amount", amount.data(), n);
  tx.quantity = float64_column("quantity", quantity.data(), n);
  const time_zone utc;  // default: UTC
  detail::validation_options o;
  o.zone = &utc;
  o.as_of = 20000;
  o.threads = 1;
  const detail::validation_result one = detail::validate_transactions(tx, o);
  CHECK(one.invalid_rows == invalid_rows);
  CHECK(one.invalid == invalid);
  REQUIRE(one.issues.size() == 7);
  CHECK(one.issues[0].column == "customer");
  CHECK(one.issues[0].rows == key_null);
  CHECK(one.issues[1].column == "day");  // day issues in order of their first row
  std::int64_t day_issues = 0;
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(one.issues[i].column == "day");
    day_issues += one.issues[i].rows;
  }
  CHECK(day_issues == day_null + day_after);
  std::int64_t amount_issues = 0;
  for (std::size_t i = 3; i < 6; ++i) {
    CHECK(one.issues[i].column == "amount");
    amount_issues += one.issues[i].rows;
  }
  CHECK(amount_issues == nan + inf + big);
  CHECK(one.issues[6].column == "quantity");
  CHECK(one.issues[6].rows == q_nan);
  for (const unsigned threads : {2u, 3u, 5u, 0u}) {
    o.threads = threads;
    const detail::validation_result many = detail::validate_transactions(tx, o);
    CHECK(many.invalid_rows == one.invalid_rows);
    CHECK(many.invalid == one.invalid);
    REQUIRE(many.issues.size() == one.issues.size());
    for (std::size_t i = 0; i < one.issues.size(); ++i) {
      CHECK(many.issues[i].column == one.issues[i].column);
      CHECK(many.issues[i].problem == one.issues[i].problem);
      CHECK(many.issues[i].rows == one.issues[i].rows);
    }
  }
  // Clean data: no issues and no mask, on any number of threads.
  std::vector<double> clean(n, 3.0);
  std::vector<std::int32_t> past(n, 19000);
  tx.customer = int64_column("customer", key.data(), n);
  tx.time = day_column("day", past.data(), n);
  tx.amount = float64_column("amount", clean.data(), n);
  tx.quantity.reset();
  for (const unsigned threads : {1u, 2u, 0u}) {
    o.threads = threads;
    const detail::validation_result ok = detail::validate_transactions(tx, o);
    CHECK(ok.issues.empty());
    CHECK(ok.invalid.empty());
    CHECK(ok.invalid_rows == 0);
  }
}

TEST_CASE("columns without nulls: a block with nothing to report is skipped, one issue is not") {
  // Blocks of 4096 rows without nulls are swept once; one bad value anywhere in a block
  // (first row, last row, last row of the column) sends it through the row-by-row checks.
  const std::size_t n = 3 * 4096 + 5;
  std::vector<std::int64_t> key(n, 1);
  std::vector<std::int32_t> day(n, 19000);
  std::vector<double> amount(n, 2.5);
  for (const std::size_t r : {std::size_t{4095}, std::size_t{4096}, n - 1}) {
    day[r] = 20000;  // = as_of
    amount[r] = std::numeric_limits<double>::quiet_NaN();
  }
  day[9000] = 2'000'000'000;  // far outside the supported range
  transactions tx;
  tx.customer = int64_column("customer", key.data(), n);
  tx.time = day_column("day", day.data(), n);
  tx.amount = float64_column("amount", amount.data(), n);
  const time_zone utc;
  detail::validation_options o;
  o.zone = &utc;
  o.as_of = 20000;
  for (const unsigned threads : {1u, 2u}) {
    o.threads = threads;
    const detail::validation_result r = detail::validate_transactions(tx, o);
    REQUIRE(r.issues.size() == 3);
    CHECK(r.issues[0].column == "day");
    CHECK(r.issues[0].rows == 3);  // on or after as_of
    CHECK(r.issues[1].column == "day");
    CHECK(r.issues[1].rows == 1);  // outside the supported range
    CHECK(r.issues[2].column == "amount");
    CHECK(r.issues[2].problem == std::string("NaN"));
    CHECK(r.issues[2].rows == 3);
    CHECK(r.invalid_rows == 4);
  }
}

TEST_CASE("valid_days: the block sweep skips only blocks within the range; a day past either edge is named with it") {
  const std::size_t n = 3 * 4096 + 5;
  std::vector<std::int64_t> key(n, 1);
  std::vector<std::int32_t> day(n, 19000);
  std::vector<double> amount(n, 2.5);
  const day_range range;  // 1900-01-01 .. 2200-12-31
  day[0] = range.first;        // the edges are valid
  day[n - 1] = range.last;
  day[4096] = range.first - 1;  // supported days, but outside the range
  day[8191] = range.last + 1;
  day[8192] = range.last + 1;
  transactions tx;
  tx.customer = int64_column("customer", key.data(), n);
  tx.time = day_column("day", day.data(), n);
  tx.amount = float64_column("amount", amount.data(), n);
  const time_zone utc;
  detail::validation_options o;
  o.zone = &utc;
  o.valid_days = range;
  for (const unsigned threads : {1u, 2u}) {
    o.threads = threads;
    const detail::validation_result r = detail::validate_transactions(tx, o);
    REQUIRE(r.issues.size() == 2);
    CHECK(r.issues[0].problem == "dated before 1900-01-01 (the first of valid_dates)");
    CHECK(r.issues[0].rows == 1);
    CHECK(r.issues[1].problem == "dated after 2200-12-31 (the last of valid_dates)");
    CHECK(r.issues[1].rows == 2);
    CHECK(r.invalid_rows == 3);
    CHECK(r.invalid[4096] == 1);
    CHECK(r.invalid[0] == 0);
    CHECK(r.invalid[n - 1] == 0);
  }
  // Without valid_days (callers with no range setting), only unsupported days are invalid.
  o.valid_days.reset();
  const detail::validation_result r = detail::validate_transactions(tx, o);
  CHECK(r.issues.empty());
}
