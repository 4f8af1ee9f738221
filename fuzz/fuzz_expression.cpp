// libFuzzer target for the rule expression language (include/tierkit/expression.hpp) and tier
// policies built on it (include/tierkit/policy.hpp).
//
// The input bytes are an expression's text. Rejecting bad input with tierkit::invalid_input or
// tierkit::schema_error is the documented behaviour and is ignored; anything else is a finding:
// a crash, an AddressSanitizer or UndefinedBehaviorSanitizer report, a leak, a hang, any other
// exception escaping (it reaches std::terminate), or a broken invariant below (abort):
//   - an expression that parsed has conjuncts that parse again, type-check when the whole
//     does, and whose three-valued `and` is the whole's truth on every row;
//   - evaluate() and evaluate_numbers() agree (null = NaN, true = non-zero);
//   - borrowed Arrow-layout columns (rule_table::add_column) give the owned columns' truth;
//   - a policy's explanation of row 0 names the first rule that holds on row 0, as assign() does.
// Build and run: see fuzz/CMakeLists.txt (cmake -DTIERKIT_BUILD_FUZZERS=ON, ctest -R fuzz).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/error.hpp"
#include "tierkit/expression.hpp"
#include "tierkit/policy.hpp"

namespace {

// Four rows with nulls (NaN, code -1), zeros, negatives, infinities and a label with a quote.
const tierkit::rule_table& table() {
  static const tierkit::rule_table t = [] {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double inf = std::numeric_limits<double>::infinity();
    tierkit::rule_table r;
    r.add_numbers("monetary", {150000, nan, 0, -2.5});
    r.add_numbers("frequency", {12, 0, nan, 3});
    r.add_numbers("recency", {0, 30, 400, nan});
    r.add_numbers("x", {inf, -1e308, -0.0, 7});
    r.add_text("segment", {0, 1, -1, 2}, {"Champions", "O'Brien", ""});
    r.add_text("lifecycle", {-1, 0, 1, 1}, {"active", "churned"});
    return r;
  }();
  return t;
}

// The same rows as borrowed Arrow-layout columns: numbers as float64 and int64 views, text
// as an Arrow utf8 column with a validity bitmap and as a dictionary with int8 indices.
// The utf8 characters sit in a buffer of exactly their size (the null row holds 30 bytes
// of junk, as Arrow allows): rows at least 24 bytes before its end are matched by reading
// 24 bytes from their start, and ASan sees any read past the buffer.
const tierkit::rule_table& borrowed() {
  static const double nan = std::numeric_limits<double>::quiet_NaN();
  static const double inf = std::numeric_limits<double>::infinity();
  static const std::vector<double> monetary = {150000, nan, 0, -2.5}, x = {inf, -1e308, -0.0, 7};
  static const std::vector<std::int64_t> frequency = {12, 0, 0, 3}, recency = {0, 30, 400, 0};
  static const std::uint8_t frequency_valid = 0b1011, recency_valid = 0b0111, segment_valid = 0b1011,
                            lifecycle_valid = 0b1110;
  static const std::string segment_text = "ChampionsO'Brien" + std::string(30, 'x');
  static const std::vector<char> segment_chars(segment_text.begin(), segment_text.end());
  static const std::vector<std::int32_t> segment_offsets = {0, 9, 16, 46, 46};
  static const std::vector<std::string_view> lifecycle_labels = {"active", "churned"};
  static const std::vector<std::int8_t> lifecycle_codes = {0, 0, 1, 1};
  static const tierkit::rule_table t = [] {
    tierkit::rule_table r;
    r.add_column(tierkit::float64_column("monetary", monetary.data(), 4));
    r.add_column(tierkit::int64_column("frequency", frequency.data(), 4, &frequency_valid));
    r.add_column(tierkit::int64_column("recency", recency.data(), 4, &recency_valid));
    r.add_column(tierkit::float64_column("x", x.data(), 4));
    tierkit::column_view segment;
    segment.name = "segment";
    segment.type = tierkit::data_type::utf8;
    segment.length = 4;
    segment.values = segment_offsets.data();
    segment.chars = segment_chars.data();
    segment.validity = &segment_valid;
    r.add_column(segment);
    tierkit::column_view life;
    life.name = "lifecycle";
    life.type = tierkit::data_type::dictionary;
    life.length = 4;
    life.values = lifecycle_codes.data();
    life.validity = &lifecycle_valid;
    life.index_type = tierkit::data_type::int8;
    life.dictionary = std::make_shared<const tierkit::column_view>(
        tierkit::string_column("labels", lifecycle_labels.data(), lifecycle_labels.size()));
    r.add_column(life);
    return r;
  }();
  return t;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_expression: invariant broken: %s\n", what);
    std::abort();
  }
}

std::uint8_t and3(std::uint8_t a, std::uint8_t b) {
  if (a == tierkit::is_false || b == tierkit::is_false) return tierkit::is_false;
  if (a == tierkit::is_null || b == tierkit::is_null) return tierkit::is_null;
  return tierkit::is_true;
}

void fuzz_expression(const std::string& text) {
  const tierkit::rule_table& t = table();
  tierkit::expression e;
  try {
    e = tierkit::expression::parse(text, "fuzz");
  } catch (const tierkit::invalid_input&) {
    return;  // a parse error with a caret: expected
  }
  // None of these may throw for an expression that parsed.
  (void)e.columns();
  bool simple = false;
  (void)e.constraints(simple);
  const std::vector<tierkit::expression> parts = e.conjuncts();
  require(!parts.empty(), "no conjuncts");

  try {
    e.check(t);
  } catch (const tierkit::schema_error&) {
    return;  // unknown column or type mismatch: expected
  }
  const std::vector<std::uint8_t> truth = e.evaluate(t, 1);
  require(truth.size() == t.rows(), "evaluate: wrong length");
  require(e.evaluate(borrowed(), 1) == truth, "borrowed and owned columns disagree");
  std::vector<std::uint8_t> all(t.rows(), tierkit::is_true);
  for (const tierkit::expression& part : parts) {
    part.check(t);
    const std::vector<std::uint8_t> p = part.evaluate(t, 1);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = and3(all[i], p[i]);
  }
  require(all == truth, "the conjuncts' and differs from the whole");
  try {
    const std::vector<double> numbers = e.evaluate_numbers(t, 1);
    require(numbers.size() == t.rows(), "evaluate_numbers: wrong length");
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      const std::uint8_t want = std::isnan(numbers[i]) ? tierkit::is_null
                                : numbers[i] != 0      ? tierkit::is_true
                                                       : tierkit::is_false;
      require(truth[i] == want, "evaluate and evaluate_numbers disagree");
    }
  } catch (const tierkit::schema_error&) {
    // a text expression has no numbers
  }
}

void fuzz_policy(const std::string& text) {
  const tierkit::rule_table& t = table();
  tierkit::tier_policy policy;
  try {
    policy = tierkit::tier_policy({{"Gold", "monetary >= 100000 and frequency >= 12", {}},
                                   {"Fuzzed", text, {{"owner", "fuzz"}}},
                                   {"Silver", "segment in ('Champions', 'O''Brien')", {}}},
                                  "Bronze");
  } catch (const tierkit::invalid_input&) {
    return;
  }
  (void)policy.columns();
  (void)policy.check(nullptr);  // static checks only: need no table
  try {
    policy.check_schema(t);
  } catch (const tierkit::schema_error&) {
    return;
  }
  const tierkit::rule_check c = policy.check(&t, 1);
  require(c.matched.size() == 3 && c.would_match.size() == 3, "check: wrong sizes");
  const std::vector<std::int32_t> tier = policy.assign(t, 1);
  const tierkit::explanation x = policy.explain(t, 0);
  require(x.matched == tier.at(0), "explain and assign disagree on row 0");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_expression(text);
  fuzz_policy(text);
  return 0;
}
