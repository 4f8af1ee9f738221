// Internals: enum names as tables, and the name/parse pairs that read them.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

#include "detail/enum_names.hpp"
#include "tierkit/abc.hpp"
#include "tierkit/asset_bands.hpp"
#include "tierkit/balances.hpp"
#include "tierkit/binning.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"
#include "tierkit/service/plan.hpp"
#include "tierkit/transactions.hpp"

using namespace tierkit;

namespace {
enum class colour { red, green, blue };
constexpr detail::enum_table<colour, 3> colours{
    {{colour::red, "red"}, {colour::green, "green"}, {colour::blue, "blue"}}};
constexpr detail::enum_table<colour, 1> one{{{colour::red, "red"}}};
}  // namespace

TEST_CASE("an enum table names, finds and parses, and lists its choices") {
  static_assert(colours.name(colour::green)[0] == 'g', "names are known at compile time");
  CHECK(std::string(colours.name(colour::blue)) == "blue");
  CHECK(std::string(colours.name(static_cast<colour>(7))) == "unknown");
  CHECK(std::string(colours.name(static_cast<colour>(7), "?")) == "?");
  CHECK(colours.find("red") == colour::red);
  CHECK(!colours.find("Red").has_value());  // names are exact
  CHECK(!colours.find("").has_value());
  CHECK(colours.choices() == "'red', 'green' or 'blue'");
  CHECK(one.choices() == "'red'");
  CHECK(colours.parse("green", "f: colour") == colour::green);
  CHECK_THROWS_WITH_AS(colours.parse("pink", "f: colour"), "f: colour must be 'red', 'green' or 'blue'; got 'pink'",
                       invalid_input);
}

// Every value's name parses back to it, for each pair read from a table.
template <class E, class Name, class Parse>
void round_trip(std::initializer_list<E> values, Name name, Parse parse) {
  for (E v : values) CHECK(parse(name(v)) == v);
}

TEST_CASE("the name/parse pairs read from tables round-trip and keep their messages") {
  round_trip({abc_mode::value, abc_mode::count}, abc_mode_name, parse_abc_mode);
  round_trip({nonpositive_policy::own_class, nonpositive_policy::lowest_class, nonpositive_policy::unclassified},
             nonpositive_policy_name, parse_nonpositive_policy);
  round_trip({balance_input::daily, balance_input::after_movement, balance_input::movements}, balance_input_name,
             parse_balance_input);
  round_trip({invalid_policy::raise, invalid_policy::drop}, invalid_policy_name, parse_invalid_policy);
  round_trip({bin_method::quantiles, bin_method::percentiles, bin_method::fixed, bin_method::mean, bin_method::median},
             bin_method_name, parse_bin_method);
  round_trip({interval_closure::right, interval_closure::left}, closure_name, parse_closure);
  round_trip({quantile_rule::inverted_cdf, quantile_rule::linear_r, quantile_rule::linear_numpy}, quantile_rule_name,
             parse_quantile_rule);
  round_trip({period_kind::day, period_kind::week, period_kind::month, period_kind::quarter, period_kind::year},
             period_name, parse_period);
  round_trip({comparison::less, comparison::less_equal, comparison::greater_equal, comparison::greater},
             comparison_symbol, parse_comparison);
  for (owner_change c : {owner_change::keep, owner_change::reassign}) {
    CHECK(parse_owner_change(owner_change_name(c), "f") == c);
  }
  // The messages are those written out before the tables.
  CHECK_THROWS_WITH_AS(parse_abc_mode("x"), "tierkit.abc: mode must be 'value' or 'count'; got 'x'", invalid_input);
  CHECK_THROWS_WITH_AS(parse_nonpositive_policy("x"),
                       "tierkit.abc: nonpositive must be 'own_class', 'lowest_class' or 'unclassified'; got 'x'",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_balance_input("x"),
                       doctest::Contains(": input must be 'daily', 'after_movement' or 'movements'; got 'x'"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_invalid_policy("x"), "tierkit: on_invalid must be 'raise' or 'drop'; got 'x'",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_bin_method("x"),
                       "tierkit: binning method must be 'quantiles', 'percentiles', 'fixed', 'mean' or 'median'; "
                       "got 'x'",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_closure("x"),
                       "tierkit: closed must be 'right' (bins (lo, hi]) or 'left' (bins [lo, hi)); got 'x'",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_quantile_rule("x"),
                       "tierkit: quantile rule must be 'inverted_cdf', 'linear_r' or 'linear_numpy'; got 'x'",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_period("x"),
                       "tierkit: period must be one of 'day', 'week', 'month', 'quarter', 'year'; got 'x'",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_comparison("=="),
                       "tierkit.asset_bands: a condition's comparison must be '<', '<=', '>=' or '>'; got '=='",
                       invalid_input);
  CHECK_THROWS_WITH_AS(parse_owner_change("x", "f"), "f: expected 'keep' or 'reassign'; got 'x'", invalid_input);
}
