#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/policy.hpp>
#include <tierkit/serialization.hpp>

#include <cmath>

using namespace tierkit;

namespace {
rule_table customers() {
  rule_table t;
  t.add_numbers("monetary", {150000, 20000, 500, 90000, NAN});
  t.add_numbers("frequency", {20, 3, 1, 15, 2});
  t.add_numbers("recency", {10, 30, 400, 90, 50});
  t.add_text("segment", {0, 1, 2, 0, -1}, {"Champions", "Loyal Customers", "Lost"});
  return t;
}
tier_policy example() {
  return tier_policy({{"Diamond", "monetary >= 100000 and frequency >= 12", {{"owner", "VIP desk"}}},
                      {"Gold", "segment in ('Champions', 'Loyal Customers')", {}},
                      {"Silver", "recency <= 180", {}}},
                     "Bronze", {{"owner", "call centre"}});
}
}  // namespace

TEST_CASE("the first rule that holds names the tier; a null condition does not match") {
  const std::vector<std::int32_t> tier = example().assign(customers(), 2);
  CHECK(tier == std::vector<std::int32_t>{0, 1, -1, 1, 2});  // row 4: null segment, recent
  CHECK(example().columns() == std::vector<std::string>{"monetary", "frequency", "segment", "recency"});
}

TEST_CASE("checks count matches, find dead rules on the data and in general") {
  const tier_policy p({{"A", "monetary >= 1000", {}},
                       {"B", "monetary >= 5000 and frequency > 1", {}},   // covered by A
                       {"C", "frequency > 10 and frequency < 5", {}},     // contradictory
                       {"D", "segment = 'Lost'", {}},
                       {"E", "segment in ('Lost') and recency > 100", {}},  // covered by D
                       {"F", "recency > 1 or monetary < 0", {}}},         // not simple: no claim
                      "Z");
  const rule_table t = customers();
  const rule_check c = p.check(&t, 1);
  CHECK(c.matched == std::vector<std::int64_t>{3, 0, 0, 1, 0, 1});
  CHECK(c.would_match == std::vector<std::int64_t>{3, 3, 0, 1, 1, 5});
  CHECK(c.defaulted == 0);
  CHECK(c.unmatched == std::vector<std::size_t>{1, 2, 4});
  CHECK(c.contradictory == std::vector<std::size_t>{2});
  CHECK(c.covered == std::vector<std::pair<std::size_t, std::size_t>>{{1, 0}, {4, 3}});
  const rule_check s = p.check(nullptr);  // static only
  CHECK(s.matched.empty());
  CHECK(s.covered.size() == 2);
}

TEST_CASE("explanations show every rule tried, the parts of its condition and the values") {
  const explanation x = example().explain(customers(), 2);
  CHECK(x.matched == -1);
  CHECK(x.tier == "Bronze");
  REQUIRE(x.tried.size() == 3);
  CHECK(x.tried[0].parts == std::vector<std::pair<std::string, truth>>{{"monetary >= 100000", is_false},
                                                                       {"frequency >= 12", is_false}});
  CHECK(x.tried[2].result == is_false);
  CHECK(x.values == std::vector<std::pair<std::string, std::string>>{
                        {"monetary", "500"}, {"frequency", "1"}, {"segment", "'Lost'"}, {"recency", "400"}});
  const explanation y = example().explain(customers(), 3);
  CHECK(y.matched == 1);
  CHECK(y.tried.size() == 2);
  CHECK(y.tried[0].parts[0].second == is_false);
  CHECK(y.tried[0].parts[1].second == is_true);
}

TEST_CASE("rule errors name the rule; policies round-trip through bytes") {
  CHECK_THROWS_WITH_AS(tier_policy({{"Gold", "monetary >> 5", {}}}, "Bronze"),
                       doctest::Contains("cannot parse rule 1 ('Gold')"), invalid_input);
  const tier_policy p({{"Gold", "monetery > 5", {}}}, "Bronze");
  CHECK_THROWS_WITH_AS(p.assign(customers()), doctest::Contains("rule 1 ('Gold'): no column 'monetery' (did you mean 'monetary'?)"),
                       schema_error);
  CHECK_THROWS_AS(tier_policy({}, ""), invalid_input);
  const tier_policy e = example();
  const tier_policy back = tier_policy_from_bytes(to_bytes(e));
  CHECK(back.rules().size() == 3);
  CHECK(back.rules()[0].attributes.at("owner") == "VIP desk");
  CHECK(back.default_attributes().at("owner") == "call centre");
  CHECK(back.assign(customers()) == e.assign(customers()));
}

TEST_CASE("a rule nested beyond the bound is refused naming the rule; one at the bound tiers") {
  auto repeat = [](const std::string& s, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += s;
    return out;
  };
  std::string deep = "frequency" + repeat("+1", 198) + " in (1)";
  for (int i = 0; i < 99; ++i) deep = "(" + deep + ")" + repeat("+1", 198) + " in (1)";
  CHECK_THROWS_WITH_AS(tier_policy({{"Gold", "recency < 100", {}}, {"A", deep, {}}}, "B"),
                       doctest::Contains("cannot parse rule 2 ('A'): the expression nests deeper than 200 levels"),
                       invalid_input);
  // At the bound: assign, check, explain and columns all walk the 200 levels.
  const std::string at_bound = "frequency" + repeat(" + 1", 198) + " in (218, 213)";
  const tier_policy p({{"A", at_bound, {}}, {"C", "not (" + repeat("not ", 197) + "recency > 60)", {}}}, "B");
  const rule_table t = customers();
  CHECK(p.assign(t, 1) == std::vector<std::int32_t>{0, -1, 1, 0, -1});
  const rule_check c = p.check(&t, 1);
  CHECK(c.matched == std::vector<std::int64_t>{2, 1});
  CHECK(p.explain(customers(), 0).tier == "A");
  CHECK(p.columns() == std::vector<std::string>{"frequency", "recency"});
  const tier_policy back = tier_policy_from_bytes(to_bytes(p));
  CHECK(back.assign(customers(), 1) == p.assign(customers(), 1));
}

TEST_CASE("a table of known size tiers rules that read no column; lengths must agree") {
  rule_table t(3);
  const tier_policy p({{"All", "1 = 1", {}}}, "None");
  CHECK(p.assign(t) == std::vector<std::int32_t>{0, 0, 0});
  CHECK_THROWS_AS(t.add_numbers("x", {1, 2}), schema_error);
  t.add_numbers("x", {1, 2, 3});
  CHECK_THROWS_AS(t.add_numbers("x", {1, 2, 3}), schema_error);
}

TEST_CASE("text is not a condition: a bare text rule or expression is refused, not evaluated") {
  // Found by fuzz/fuzz_expression.cpp: check() let a text-typed expression through, and
  // evaluating it recursed without end ('Champions') or read a text column as numbers (segment).
  const rule_table t = customers();
  for (const char* text : {"'Champions'", "segment", "(segment)"}) {
    const expression e = expression::parse(text, "rule 1 ('Gold')");
    const std::string message = "rule 1 ('Gold'): '" + std::string(text) + "' is text; a condition is needed";
    CHECK_THROWS_WITH_AS(e.check(t), doctest::Contains(message.c_str()), schema_error);
    CHECK_THROWS_AS(e.evaluate(t, 1), schema_error);
    CHECK_THROWS_AS(e.evaluate_numbers(t, 1), schema_error);
    const tier_policy p({{"Gold", text, {}}}, "Bronze");
    CHECK_THROWS_AS(p.assign(t, 1), schema_error);
    CHECK_THROWS_AS(p.check(&t, 1), schema_error);
    CHECK_THROWS_AS(p.explain(t, 0), schema_error);
  }
  // Text inside a condition is fine.
  CHECK(expression::parse("segment = 'Champions' or 'a' < 'b'").evaluate(t, 1).size() == 5);
}

TEST_CASE("summarize counts each tier once, in policy order, with value shares; tier_of names rule indices") {
  const tier_policy p({{"Gold", "x >= 10", {}}, {"Silver", "x >= 5", {}}, {"Gold", "y = 1", {}}}, "Bronze");
  const std::vector<std::int32_t> assigned = {0, 1, 2, -1, -1, 0};
  const std::vector<double> value = {100, 20, 30, 5, std::nan(""), 45};
  const std::vector<tier_count> s = p.summarize(assigned, &value);
  REQUIRE(s.size() == 3);
  CHECK(s[0].tier == "Gold");
  CHECK(s[0].rules == std::vector<std::size_t>{0, 2});
  CHECK(s[0].customers == 3);
  CHECK(s[0].share == doctest::Approx(0.5));
  CHECK(s[0].value == doctest::Approx(175));
  CHECK(s[0].value_share == doctest::Approx(175.0 / 200));
  CHECK(s[1].tier == "Silver");
  CHECK(s[1].customers == 1);
  CHECK(s[2].tier == "Bronze");
  CHECK(s[2].rules.empty());
  CHECK(s[2].customers == 2);
  CHECK(s[2].value == doctest::Approx(5));   // NaN counts as 0
  CHECK(p.tier_of(-1) == "Bronze");
  CHECK(p.tier_of(2) == "Gold");
  CHECK_THROWS_AS(p.tier_of(3), invalid_input);
  CHECK_THROWS_WITH_AS(p.summarize({0, 7}), doctest::Contains("1 rows hold a rule index"), invalid_input);
  const std::vector<double> short_value = {1};
  CHECK_THROWS_AS(p.summarize(assigned, &short_value), invalid_input);
  CHECK(p.summarize({}).at(0).share == 0);
  // A default tier that a rule also names is one tier.
  const tier_policy q({{"Bronze", "x >= 1", {}}}, "Bronze");
  CHECK(q.summarize({0, -1}).size() == 1);
  CHECK(q.summarize({0, -1})[0].customers == 2);
}
