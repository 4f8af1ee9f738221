#include <doctest/doctest.h>

#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

#include "detail/int128.hpp"
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

namespace {
using i128 = tierkit::detail::int128;
i128 pow10_128(int k) {
  i128 v = 1;
  for (int i = 0; i < k; ++i) v *= 10;
  return v;
}
// The decimal's text read by strtod (correctly rounded): the reference.
double reference(i128 u, int scale) {
  const bool negative = u < 0;
  tierkit::detail::uint128 m = negative ? 0 - static_cast<tierkit::detail::uint128>(u) : static_cast<tierkit::detail::uint128>(u);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m != 0);
  return std::strtod(((negative ? "-" : "") + digits + "e" + std::to_string(-static_cast<long long>(scale))).c_str(),
                     nullptr);
}
// A decimal128 attribute column of `values` at `scale`.
std::vector<double> decoded(const std::vector<i128>& values, int scale) {
  std::vector<std::int64_t> keys(values.size());
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<std::int64_t>(i);
  column_view d;
  d.name = "balance";
  d.type = data_type::decimal128;
  d.decimal_scale = scale;
  d.length = static_cast<std::int64_t>(values.size());
  d.values = values.data();
  const customer_attributes a =
      customer_attributes::from_columns(int64_column("customer", keys.data(), keys.size()), {d});
  return a.column("balance").numbers;
}
}  // namespace

TEST_CASE("decimal attributes are the nearest double over the whole decimal128 range and every scale") {
  const i128 max38 = pow10_128(38) - 1;  // the largest decimal(38, s) unscaled value
  const i128 e30 = pow10_128(30);
  CHECK(decoded({e30, -e30, max38, -max38}, 0) == std::vector<double>{1e30, -1e30, 1e38, -1e38});
  CHECK(decoded({1234, -5, 100000, 0}, 2) == std::vector<double>{12.34, -0.05, 1000.0, 0.0});
  CHECK(decoded({max38}, 38) == std::vector<double>{1.0});
  CHECK(decoded({e30}, -5) == std::vector<double>{1e35});
  CHECK(decoded({7}, -400) == std::vector<double>{INFINITY});  // beyond doubles, as a float would be
  CHECK(decoded({7}, 400) == std::vector<double>{0.0});
  // Every unscaled magnitude class (below and beyond 2^53, 2^64, 2^96, 2^127) at many scales,
  // against strtod of the decimal's text.
  std::vector<i128> values = {1, -1, (i128{1} << 53) - 1, i128{1} << 53, (i128{1} << 53) + 1,
                              (i128{1} << 64) + 1, -(i128{1} << 96) - 12345, max38,
                              static_cast<i128>((~static_cast<tierkit::detail::uint128>(0)) >> 1),  // 2^127 - 1
                              -static_cast<i128>((~static_cast<tierkit::detail::uint128>(0)) >> 1) - 1};  // -2^127
  std::uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 2000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const std::uint64_t y = x * 0x9e3779b97f4a7c15ULL;
    values.push_back(static_cast<i128>((static_cast<tierkit::detail::uint128>(x) << 64 | y) >> (i % 127)));
  }
  for (const int scale : {-30, -22, -10, -1, 0, 1, 2, 9, 15, 22, 23, 30, 38, 45}) {
    const std::vector<double> got = decoded(values, scale);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (got[i] != reference(values[i], scale)) FAIL_CHECK("scale " << scale << " value " << i);
    }
  }
}
