#include <doctest/doctest.h>

#include <limits>

#include "helpers.hpp"

using namespace tierkit;

TEST_CASE("schema checks name the column, the expected and the found type") {
  owned_batch b;
  b.customer = {1, 2};
  b.day = {10, 11};
  b.amount = {1.0, 2.0};
  transactions tx = b.view();
  CHECK_NOTHROW(tx.check_schema("test"));
  transactions wrong_time = tx;
  wrong_time.time = float64_column("when", b.amount.data(), 2);
  CHECK_THROWS_WITH_AS(wrong_time.check_schema("test"),
                       doctest::Contains("column 'when' (float64) has an unsupported type; "
                                         "expected a date32, date64 or timestamp column"),
                       schema_error);
  transactions short_amount = tx;
  short_amount.amount.length = 1;
  CHECK_THROWS_WITH_AS(short_amount.check_schema("test"),
                       doctest::Contains("has 1 row but the customer column has 2"),
                       schema_error);
}

TEST_CASE("invalid policies parse by name") {
  CHECK(parse_invalid_policy("drop") == invalid_policy::drop);
  CHECK_THROWS_AS(parse_invalid_policy("ignore"), invalid_input);
}

TEST_CASE("reports add counts of the same column and problem") {
  validation_report a, b;
  a.rows_read = 10;
  a.dropped = {{"amount", "NaN", 2}};
  b.rows_read = 5;
  b.dropped = {{"amount", "NaN", 1}, {"customer", "null", 3}};
  a.merge(b);
  CHECK(a.rows_read == 15);
  REQUIRE(a.dropped.size() == 2);
  CHECK(a.dropped[0].rows == 3);
  CHECK(a.dropped[1].column == "customer");
}

TEST_CASE("merging validation reports saturates instead of overflowing (counts read from crafted bytes)") {
  validation_report a;
  a.rows_read = std::numeric_limits<std::int64_t>::max() - 1;
  a.rows_used = std::numeric_limits<std::int64_t>::min() + 1;
  a.dropped.push_back(row_issue{"amount", "NaN", std::numeric_limits<std::int64_t>::max()});
  validation_report b = a;
  a.merge(b);
  CHECK(a.rows_read == std::numeric_limits<std::int64_t>::max());
  CHECK(a.rows_used == std::numeric_limits<std::int64_t>::min());
  CHECK(a.dropped.at(0).rows == std::numeric_limits<std::int64_t>::max());
  validation_report c;
  c.rows_read = 3;
  c.merge(validation_report{4, 4, 0, 0, {}});
  CHECK(c.rows_read == 7);
}
