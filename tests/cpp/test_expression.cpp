#include <doctest/doctest.h>
#include <tierkit/calendar.hpp>
#include <tierkit/error.hpp>
#include <tierkit/expression.hpp>

#include <cmath>
#include <exception>
#include <functional>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

using namespace tierkit;

namespace {
rule_table sample() {
  rule_table t;
  t.add_numbers("monetary", {100, 5000, NAN, 250, 0});
  t.add_numbers("frequency", {1, 12, 3, 4, 0});
  t.add_text("segment", {0, 1, 2, -1, 0}, {"Champions", "Loyal Customers", "Lost"});
  t.add_numbers("day", {static_cast<double>(days_from_civil(2024, 1, 1)), 0, 0, 0, 0});
  return t;
}
std::vector<int> eval(const std::string& text) {
  const rule_table t = sample();
  const expression e = expression::parse(text);
  e.check(t);
  const std::vector<std::uint8_t> v = e.evaluate(t, 1);
  return std::vector<int>(v.begin(), v.end());
}
constexpr int F = 0, T = 1, N = 2;
}  // namespace

TEST_CASE("comparisons, arithmetic and three-valued logic") {
  CHECK(eval("monetary >= 250") == std::vector<int>{F, T, N, T, F});
  CHECK(eval("monetary / frequency > 100") == std::vector<int>{F, T, N, F, N});  // x / 0 is null
  CHECK(eval("monetary > 200 and frequency > 3") == std::vector<int>{F, T, F, T, F});  // null and false = false
  CHECK(eval("monetary > 200 or frequency > 2") == std::vector<int>{F, T, T, T, F});
  CHECK(eval("not monetary > 200") == std::vector<int>{T, F, N, F, T});
  CHECK(eval("-monetary + 2 * frequency < -10") == std::vector<int>{T, T, N, T, F});
  CHECK(eval("monetary % 3 = 1") == std::vector<int>{T, F, N, T, F});
  CHECK_THROWS_WITH_AS(eval("frequency < 2 = true"), doctest::Contains("unexpected '='"), invalid_input);
  CHECK(eval("frequency") == std::vector<int>{T, T, T, T, F});  // numbers as conditions
}

TEST_CASE("precedence: not binds looser than comparison, and tighter than or") {
  CHECK(eval("frequency > 2 or frequency < 2 and monetary > 1000") == eval("frequency > 2 or (frequency < 2 and monetary > 1000)"));
  CHECK(eval("1 + 2 * 3 = 7") == std::vector<int>{T, T, T, T, T});
  CHECK(eval("(1 + 2) * 3 = 9") == std::vector<int>{T, T, T, T, T});
  CHECK(eval("not frequency > 2 and monetary > 50") == std::vector<int>{T, F, F, F, F});
}

TEST_CASE("between, in, is null, text and dates") {
  CHECK(eval("frequency between 3 and 4") == std::vector<int>{F, F, T, T, F});
  CHECK(eval("frequency not between 3 and 4") == std::vector<int>{T, T, F, F, T});
  CHECK(eval("segment in ('Champions', 'Lost')") == std::vector<int>{T, F, T, N, T});
  CHECK(eval("segment not in ('Champions')") == std::vector<int>{F, T, T, N, F});
  CHECK(eval("segment = 'Loyal Customers'") == std::vector<int>{F, T, F, N, F});
  CHECK(eval("'Lost' = segment") == std::vector<int>{F, F, T, N, F});
  CHECK(eval("segment is null") == std::vector<int>{F, F, F, T, F});
  CHECK(eval("monetary is not null") == std::vector<int>{T, T, F, T, T});
  CHECK(eval("frequency in (1, 12)") == std::vector<int>{T, T, F, F, F});
  CHECK(eval("day >= date '2024-01-01'") == std::vector<int>{T, F, F, F, F});
  CHECK(eval("segment is null or monetary is null") == std::vector<int>{F, F, T, T, F});
  CHECK(eval("\"monetary\" > 0 AND NOT segment IS NULL") == std::vector<int>{T, T, N, F, F});
}

TEST_CASE("parse errors show the position with a caret") {
  try {
    expression::parse("monetary >= 100 and ) frequency", "rule 2 ('Gold')");
    FAIL("expected invalid_input");
  } catch (const invalid_input& e) {
    const std::string m = e.what();
    CHECK(m.find("cannot parse rule 2 ('Gold'): expected a value, found ')' at position 21") != std::string::npos);
    CHECK(m.find("\n  monetary >= 100 and ) frequency\n                      ^") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(expression::parse("segment = 'Loyal"), doctest::Contains("unterminated text literal at position 11"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a between 1 or 2"), doctest::Contains("expected 'and' in 'between ... and ...'"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a in (1, 'x')"), doctest::Contains("the list mixes text and numbers"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a is nul"), doctest::Contains("expected 'null' after 'is'"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a > 1 b"), doctest::Contains("unexpected 'b'"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a > 1.2.3"), doctest::Contains("malformed number"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a > date '2024-02-30'"), doctest::Contains("expected a date 'YYYY-MM-DD'"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse(""), doctest::Contains("found end of text"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("a > 1 and"), doctest::Contains("found end of text at position 10"), invalid_input);
  // the caret accounts for wide characters before the problem
  try {
    expression::parse("segment = '重要价值客户' and )");
    FAIL("expected invalid_input");
  } catch (const invalid_input& e) {
    const std::string m = e.what();
    CHECK(m.find("\n  " + std::string(29, ' ') + "^") != std::string::npos);  // 6 wide characters
  }
}

TEST_CASE("literals beyond the range of numbers are refused at the literal, not read as infinity") {
  CHECK_THROWS_WITH_AS(expression::parse("monetary > 1e400", "rule 1 ('A')"),
                       doctest::Contains("cannot parse rule 1 ('A'): the number 1e400 is too large (the largest is "
                                         "about 1.8e308) at position 12\n  monetary > 1e400\n             ^"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("monetary > -1E+309"), doctest::Contains("the number 1E+309 is too large"),
                       invalid_input);
  const std::string digits(400, '9');
  CHECK_THROWS_WITH_AS(expression::parse("frequency in (1, " + digits + ")"),
                       doctest::Contains("the number 99999999999999999999... (400 characters) is too large"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("1_000e400 < monetary"), doctest::Contains("at position 1\n"), invalid_input);
  // The largest finite literals and those that round to zero are numbers.
  CHECK(eval("monetary < 1.7976931348623157e308") == std::vector<int>{T, T, N, T, T});
  CHECK(eval("monetary > -" + std::string(308, '9')) == std::vector<int>{T, T, N, T, T});
  CHECK(eval("monetary > 1e-400") == std::vector<int>{T, T, N, T, F});
}

TEST_CASE("unknown columns suggest close names; type mismatches name both types") {
  const rule_table t = sample();
  CHECK_THROWS_WITH_AS(expression::parse("monetery > 5").check(t), doctest::Contains("no column 'monetery' (did you mean 'monetary'?)"),
                       schema_error);
  CHECK_THROWS_WITH_AS(expression::parse("segment > 5").check(t),
                       doctest::Contains("cannot compare text column 'segment' with number 5"), schema_error);
  CHECK_THROWS_WITH_AS(expression::parse("segment + 1 > 2").check(t),
                       doctest::Contains("'+' needs numbers, but text column 'segment' is text"), schema_error);
  CHECK_THROWS_WITH_AS(expression::parse("frequency in ('a')").check(t),
                       doctest::Contains("cannot look for number column 'frequency' in a list of text"), schema_error);
  CHECK_THROWS_WITH_AS(expression::parse("segment and monetary > 1").check(t),
                       doctest::Contains("'and' needs conditions, but text column 'segment' is text"), schema_error);
}

TEST_CASE("constraints of simple conjunctions, and conjuncts") {
  bool simple = false;
  const auto c = expression::parse("monetary >= 100 and monetary < 500 and segment in ('A', 'B') and 10 < frequency").constraints(simple);
  REQUIRE(simple);
  REQUIRE(c.size() == 3);
  CHECK(c[0].lo == 100);
  CHECK(c[0].hi == 500);
  CHECK(c[0].hi_open);
  CHECK(c[1].texts == std::vector<std::string>{"A", "B"});
  CHECK(c[2].lo == 10);
  CHECK(c[2].lo_open);
  expression::parse("monetary > 1 or frequency > 2").constraints(simple);
  CHECK_FALSE(simple);
  const auto parts = expression::parse("a > 1 and (b < 2 or c = 3) and d is null").conjuncts();
  REQUIRE(parts.size() == 3);
  CHECK(parts[1].text() == "(b < 2 or c = 3)");
  // A part ending in parentheses keeps them.
  const auto whole = expression::parse("s in ('a') or (x between 1 and 2 and not (t = 'n'))").conjuncts();
  REQUIRE(whole.size() == 1);
  CHECK(whole[0].text() == "s in ('a') or (x between 1 and 2 and not (t = 'n'))");
}

TEST_CASE("numbers: arithmetic per row, conditions as 1/0, text refused") {
  const rule_table t = sample();
  const std::vector<double> v = expression::parse("monetary * 2 - frequency").evaluate_numbers(t, 2);
  REQUIRE(v.size() == 5);
  CHECK(v[0] == 199);
  CHECK(v[1] == 9988);
  CHECK(std::isnan(v[2]));
  CHECK(v[4] == 0);
  const std::vector<double> c = expression::parse("monetary > 200").evaluate_numbers(t);
  CHECK(c[0] == 0);
  CHECK(c[1] == 1);
  CHECK(std::isnan(c[2]));
  CHECK_THROWS_WITH_AS(expression::parse("segment").evaluate_numbers(t),
                       doctest::Contains("is text; a number or a condition is needed"), schema_error);
}

TEST_CASE("borrowed Arrow-layout columns give the same truth as owned ones") {
  // The sample table, borrowed: int64 and float64 numbers with validity bitmaps, text as
  // utf8 strings and as a dictionary with int8 indices, days as date32.
  const std::vector<double> monetary = {100, 5000, 0, 250, 0};
  const std::uint8_t monetary_valid = 0b11011;  // row 2 null
  const std::vector<std::int64_t> frequency = {1, 12, 3, 4, 0};
  const std::string chars = "ChampionsLoyal CustomersLostChampions";
  const std::vector<std::int32_t> offsets = {0, 9, 24, 28, 28, 37};
  const std::uint8_t segment_valid = 0b10111;  // row 3 null
  column_view segment;
  segment.name = "segment";
  segment.type = data_type::utf8;
  segment.length = 5;
  segment.values = offsets.data();
  segment.chars = chars.data();
  segment.validity = &segment_valid;
  const std::vector<std::string_view> labels = {"Champions", "Loyal Customers", "Lost"};
  const std::vector<std::int8_t> indices = {0, 1, 2, 0, 0};
  column_view coded = segment;
  coded.type = data_type::dictionary;
  coded.values = indices.data();
  coded.chars = nullptr;
  coded.index_type = data_type::int8;
  coded.dictionary = std::make_shared<const column_view>(string_column("labels", labels.data(), labels.size()));
  const std::vector<std::int32_t> days = {static_cast<std::int32_t>(days_from_civil(2024, 1, 1)), 0, 0, 0, 0};

  for (const bool dictionary : {false, true}) {
    rule_table b;
    b.add_column(float64_column("monetary", monetary.data(), monetary.size(), &monetary_valid));
    b.add_column(int64_column("frequency", frequency.data(), frequency.size()));
    column_view s = dictionary ? coded : segment;
    b.add_column(s);
    b.add_column(day_column("day", days.data(), days.size()));
    const rule_table owned = sample();
    for (const char* text : {"monetary >= 250", "monetary / frequency > 100", "segment = 'Champions'",
                             "segment in ('Lost', 'Loyal Customers')", "segment not in ('Lost')",
                             "segment is null", "segment > 'Loyal'", "'Lost' = segment",
                             "day >= date '2024-01-01'", "segment = segment and frequency > 1"}) {
      const expression e = expression::parse(text);
      CAPTURE(text);
      CAPTURE(dictionary);
      CHECK(e.evaluate(b, 1) == e.evaluate(owned, 1));
    }
    CHECK(std::isnan(b.columns()[0].number_at(2)));
    CHECK(b.columns()[2].is_null(3));
    CHECK(b.columns()[2].text_at(1) == "Loyal Customers");
  }
  rule_table bad;
  const std::vector<std::int64_t> stamps = {1};
  CHECK_THROWS_WITH_AS(bad.add_column(timestamp_column("when", stamps.data(), 1, time_unit::second, true)),
                       doctest::Contains("cannot be read by rules"), schema_error);
  const std::vector<std::int8_t> out_of_range = {0, 7};
  column_view broken = coded;
  broken.length = 2;
  broken.validity = nullptr;
  broken.values = out_of_range.data();
  CHECK_THROWS_WITH_AS(bad.add_column(broken), doctest::Contains("1 row with a dictionary index"), schema_error);
}

TEST_CASE("nesting is bounded: deep input is an error, not a stack overflow") {
  auto chain = [](std::size_t terms) {
    std::string s = "frequency = 0";
    for (std::size_t i = 1; i < terms; ++i) s += " or frequency = " + std::to_string(i);
    return s;
  };
  CHECK(expression::parse(chain(150)).evaluate(sample(), 1).size() == 5);
  CHECK_THROWS_WITH_AS(expression::parse(chain(100000)), doctest::Contains("nests deeper than 200 levels"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse(std::string(100000, '(') + "x"), doctest::Contains("nests deeper"), invalid_input);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  CHECK_THROWS_WITH_AS(expression::parse(nots + "x > 1"), doctest::Contains("nests deeper"), invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse(std::string(100000, '-') + "1 > 0"), doctest::Contains("nests deeper"), invalid_input);
}

namespace {
std::string repeat(const std::string& s, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += s;
  return out;
}
// Expressions whose tree is exactly `depth` levels deep, one per kind of node that has
// operands (the operand a chain of additions, or the node kind repeated).
std::vector<std::string> exactly_deep(std::size_t depth) {
  const std::string sum = "frequency" + repeat(" + 1", depth - 2);  // depth - 1 levels
  return {
      "frequency" + repeat(" + 1", depth - 1),
      "frequency" + repeat(" * 1", depth - 1),
      sum + " in (1, 5)",
      sum + " not in (1, 5)",
      sum + " > 3",
      sum + " between 0 and 200",
      sum + " is null",
      sum + " is not null",
      repeat("not ", depth - 1) + "frequency",
      repeat("-", depth - 1) + "frequency",
      "frequency = 0" + repeat(" or frequency = 1", depth - 2),
      "frequency = 0" + repeat(" and frequency >= 0", depth - 2),
  };
}
}  // namespace

TEST_CASE("the nesting bound holds for every kind of node, not only parentheses") {
  // The tree at the bound parses, checks, evaluates and answers every walk of it.
  const rule_table t = sample();
  for (const std::string& text : exactly_deep(200)) {
    CAPTURE(text.substr(0, 60));
    const expression e = expression::parse(text, "rule 1 ('A')");
    e.check(t);
    CHECK(e.evaluate(t, 1).size() == 5);
    CHECK(e.evaluate_numbers(t, 1).size() == 5);
    CHECK(e.columns() == std::vector<std::string>{"frequency"});
    bool simple = false;
    e.constraints(simple);
    CHECK(!e.conjuncts().empty());
  }
  // One level more is refused, whichever kind of node adds it.
  for (const std::string& text : exactly_deep(201)) {
    CAPTURE(text.substr(0, 60));
    CHECK_THROWS_WITH_AS(expression::parse(text, "rule 1 ('A')"),
                         doctest::Contains("cannot parse rule 1 ('A'): the expression nests deeper than 200 levels"),
                         invalid_input);
  }
  // `in` adds a level above its operand: lists wrapped in parentheses and lengthened again
  // cannot build a tree of any depth (this one would be 99 * 200 levels, 40 KB of text).
  std::string e = "x" + repeat("+1", 198) + " in (1)";
  CHECK_NOTHROW(expression::parse(e));
  for (int i = 0; i < 99; ++i) e = "(" + e + ")" + repeat("+1", 198) + " in (1)";
  CHECK_THROWS_WITH_AS(expression::parse(e, "rule 1 ('A')"), doctest::Contains("nests deeper than 200 levels"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(expression::parse("(" + repeat("frequency + ", 199) + "1) in (1)"),
                       doctest::Contains("nests deeper than 200 levels"), invalid_input);
}

#if defined(__unix__) || defined(__APPLE__)
namespace {
// Runs f on a thread with a stack of `bytes`; a walk deeper than that would crash the test.
void on_small_stack(std::size_t bytes, const std::function<void()>& f) {
  struct job {
    const std::function<void()>* f;
    std::exception_ptr error;
  } j{&f, nullptr};
  pthread_attr_t attr;
  REQUIRE(pthread_attr_init(&attr) == 0);
  REQUIRE(pthread_attr_setstacksize(&attr, bytes) == 0);
  pthread_t thread;
  const int started = pthread_create(&thread, &attr, [](void* p) -> void* {
    auto* jb = static_cast<job*>(p);
    try {
      (*jb->f)();
    } catch (...) {
      jb->error = std::current_exception();
    }
    return nullptr;
  }, &j);
  pthread_attr_destroy(&attr);
  REQUIRE(started == 0);
  pthread_join(thread, nullptr);
  if (j.error) std::rethrow_exception(j.error);
}
}  // namespace

TEST_CASE("every walk of a tree at the nesting bound fits a 512 KB thread stack") {
  // 512 KB is the default stack of a secondary thread on macOS, the smallest among the
  // platforms a Python wheel commonly runs on; worker threads evaluate rules with it.
  std::vector<std::string> texts = exactly_deep(200);
  texts.push_back(repeat("(", 199) + "frequency" + repeat(")", 199) + " > 0");  // the parser's bound
  texts.push_back("frequency" + repeat(" + 1", 197) + " in (" + repeat("1, ", 100) + "2)");
  on_small_stack(512 * 1024, [&] {
    const rule_table t = sample();
    for (const std::string& text : texts) {
      const expression e = expression::parse(text);
      e.check(t);
      std::vector<std::uint8_t> out(5);
      e.evaluate(t, 0, 5, out.data());
      e.columns();
      bool simple = false;
      e.constraints(simple);
      for (const expression& part : e.conjuncts()) part.evaluate(t, 0, 5, out.data());
    }
  });
}
#endif

TEST_CASE("errors in long or multi-line texts show a window around the position") {
  std::string text = "monetary > 1";
  for (int i = 0; i < 30; ++i) text += "\nand frequency > " + std::to_string(i);
  text += " and recency <";
  try {
    expression::parse(text);
    FAIL("no error");
  } catch (const invalid_input& e) {
    const std::string m = e.what();
    const std::size_t line = m.find("\n  ...");
    REQUIRE(line != std::string::npos);
    const std::string shown = m.substr(line + 3, m.find('\n', line + 1) - line - 3);
    const std::string caret = m.substr(m.rfind('\n') + 1);
    CHECK(shown.find('\n') == std::string::npos);
    CHECK(shown.size() < 100);
    CHECK(caret.size() == shown.size() + 2 + 1);  // "  " indent, caret just past the end
    CHECK(m.find("found end of text at position " + std::to_string(text.size() + 1)) != std::string::npos);
  }
}
