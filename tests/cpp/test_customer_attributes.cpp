#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"

using namespace tierkit;

TEST_CASE("attributes copy typed columns, keep nulls, and look customers up") {
  const std::vector<std::int64_t> keys = {30, 10, 20};
  const std::vector<double> assets = {1e6, std::nan(""), 5e4};
  const std::vector<std::int32_t> age = {61, 45, 30};
  const std::uint8_t age_valid = 0b101;  // row 1 missing
  const std::vector<std::string_view> card = {"gold", "", "platinum"};
  const customer_attributes a = customer_attributes::from_columns(
      int64_column("customer", keys.data(), 3),
      {float64_column("assets", assets.data(), 3), int32_column("age", age.data(), 3, &age_valid),
       string_column("card", card.data(), 3)});
  REQUIRE(a.size() == 3);
  CHECK(a.column("assets").kind == attribute_kind::number);
  CHECK_FALSE(a.column("assets").is_valid(1));  // NaN counts as missing
  CHECK(a.column("age").kind == attribute_kind::integer);
  CHECK_FALSE(a.column("age").is_valid(1));
  CHECK(a.column("age").integers[2] == 30);
  CHECK(a.column("card").text_at(2) == "platinum");

  owned_batch b;
  b.customer = {20, 99, 30};
  b.day = {1, 1, 1};
  b.amount = {1, 1, 1};
  const profile p = make_profile(b.view());  // keys 20, 30, 99
  CHECK(a.rows_of(p.customer) == std::vector<std::int64_t>{2, 0, -1});
}

TEST_CASE("attribute errors: duplicate and null keys, unknown columns, key kinds") {
  const std::vector<std::int64_t> dup = {1, 2, 1, 1};
  CHECK_THROWS_WITH_AS(customer_attributes::from_columns(int64_column("id", dup.data(), 4), {}),
                       doctest::Contains("2 rows repeating an earlier key (first: row 3 repeats row 1)"),
                       invalid_input);
  const std::uint8_t valid = 0b0111;
  CHECK_THROWS_WITH_AS(
      customer_attributes::from_columns(int64_column("id", dup.data(), 4, &valid), {}),
      doctest::Contains("1 row with a null key"), invalid_input);
  const std::vector<std::int64_t> keys = {1, 2};
  const std::vector<double> x = {1, 2};
  const customer_attributes a =
      customer_attributes::from_columns(int64_column("id", keys.data(), 2),
                                        {float64_column("assets", x.data(), 2)});
  CHECK_THROWS_WITH_AS(a.column("asset"), doctest::Contains("did you mean 'assets'?"),
                       schema_error);
  customer_keys text;
  text.is_string = true;
  text.offsets = {0, 1};
  text.chars = "a";
  CHECK_THROWS_AS(a.rows_of(text), schema_error);
  CHECK_THROWS_AS(customer_attributes::from_columns(int64_column("id", keys.data(), 2),
                                                    {float64_column("assets", x.data(), 1)}),
                  schema_error);
}
