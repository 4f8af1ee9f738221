// The columnar evaluator (src/detail/rule_evaluator.hpp) against an independent oracle:
// random expressions are generated together with a row-at-a-time function that computes
// what SQL's three-valued logic says for each row. Blocks of several thousand rows make the
// evaluator gather selections (the right side of and/or on undecided rows, a policy's later
// rules on open rows) and use its fused column-versus-literal loops; the oracle does neither.
#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/expression.hpp>
#include <tierkit/policy.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace tierkit;

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint8_t F = is_false, T = is_true, N = is_null;

// Every kind of column the evaluator reads: float64 with NaN and a validity bitmap, int64
// and int32 with validity, date32 days, float32, booleans, owned numbers with NaN; utf8
// strings with validity (texts of equal lengths and longer than 16 and 32 bytes), a
// dictionary with int16 indices and owned codes.
struct random_table {
  static constexpr std::size_t rows = 10'007;  // three blocks of 4,096 and a partial one
  std::vector<double> m;
  std::vector<std::int64_t> f;
  std::vector<std::int32_t> k, d;
  std::vector<float> g;
  std::vector<std::uint8_t> m_valid, f_valid, k_valid, s_valid, b_bits, c_valid;
  std::vector<double> o;
  std::string chars;
  std::vector<std::int32_t> offsets;
  std::vector<std::int16_t> c_codes;
  std::vector<std::int32_t> t_codes;
  std::vector<std::string_view> c_labels;
  // What the oracle reads: numbers (NaN = null) and texts (nullopt = null).
  std::vector<std::vector<double>> numbers;
  std::vector<std::vector<std::optional<std::string>>> texts;
  rule_table table;

  static const std::vector<std::string>& words() {
    static const std::vector<std::string> w = {
        "Champions", "Lost", "At Risk", "Loyal Customers", "Potential Loyalist", "Hibernating",
        "Promising", "Need Attention", "About To Sleep", "Cannot Lose Them, premium tier",
        "a customer segment named with forty bytes", "", "lost", "Lose",
        "Exactly twenty-four byte", "Exactly twenty-five bytes"};  // the matcher's word limit, and one past it
    return w;
  }

  // in_pieces: m, f, s and b are borrowed in pieces (as Arrow chunks: views with offsets)
  // that end at rows 1,000, 5,000 (inside blocks) and 8,192 (a block's end), and at other
  // rows for s and b, so blocks end where any column's pieces meet.
  // Rows [from, to) of `whole` in buffers of their own, as an Arrow chunk would be, after
  // three rows of garbage that the view's offset skips.
  std::deque<std::vector<std::uint8_t>> piece_bytes;
  std::deque<std::vector<std::int32_t>> piece_offsets;
  std::deque<std::string> piece_chars;
  column_view copy_piece(const column_view& whole, std::size_t from, std::size_t to) {
    constexpr std::size_t pad = 3;
    const std::size_t n = to - from;
    column_view p = whole;
    p.offset = pad;
    p.length = static_cast<std::int64_t>(n);
    auto bits = [&](auto bit_of) {
      std::vector<std::uint8_t>& b = piece_bytes.emplace_back((pad + n) / 8 + 1, std::uint8_t{0xA5});
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t at = pad + i;
        b[at / 8] = static_cast<std::uint8_t>((b[at / 8] & ~(1u << (at % 8))) | (bit_of(from + i) << (at % 8)));
      }
      return b.data();
    };
    if (whole.validity) p.validity = bits([&](std::size_t r) { return whole.is_valid(static_cast<std::int64_t>(r)) ? 1u : 0u; });
    if (whole.type == data_type::boolean) {
      const auto* v = static_cast<const std::uint8_t*>(whole.values);
      p.values = bits([&](std::size_t r) { return static_cast<unsigned>((v[r / 8] >> (r % 8)) & 1); });
    } else if (whole.type == data_type::utf8) {
      const auto* o = static_cast<const std::int32_t*>(whole.values);
      std::string& chars = piece_chars.emplace_back(2 * pad, 'g');  // the garbage rows' characters
      std::vector<std::int32_t>& offsets = piece_offsets.emplace_back();
      for (std::size_t i = 0; i <= pad; ++i) offsets.push_back(static_cast<std::int32_t>(2 * i));
      for (std::size_t r = from; r < to; ++r) {
        chars.append(whole.chars + o[r], static_cast<std::size_t>(o[r + 1] - o[r]));
        offsets.push_back(static_cast<std::int32_t>(chars.size()));
      }
      p.values = offsets.data();
      p.chars = chars.data();
    } else {  // 8-byte values
      std::vector<std::uint8_t>& b = piece_bytes.emplace_back(8 * (pad + n), std::uint8_t{0xAB});
      std::memcpy(b.data() + 8 * pad, static_cast<const std::uint8_t*>(whole.values) + 8 * from, 8 * n);
      p.values = b.data();
    }
    return p;
  }

  explicit random_table(std::uint64_t seed, bool in_pieces = false) {
    std::mt19937_64 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    auto bitmap = [](std::vector<std::uint8_t>& bits, std::size_t i, bool valid) {
      if (bits.size() <= i / 8) bits.resize(i / 8 + 1, 0);
      if (valid) bits[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
    };
    const std::vector<std::string>& w = words();
    numbers.assign(8, std::vector<double>(rows));
    texts.assign(3, std::vector<std::optional<std::string>>(rows));
    offsets.push_back(0);
    for (std::size_t i = 0; i < rows; ++i) {
      const bool m_ok = !chance(0.1);
      m.push_back(chance(0.05) ? nan : uniform(-50, 300) * 0.5);
      bitmap(m_valid, i, m_ok);
      numbers[0][i] = m_ok ? m.back() : nan;
      const bool f_ok = !chance(0.1);
      f.push_back(uniform(0, 30));
      bitmap(f_valid, i, f_ok);
      numbers[1][i] = f_ok ? static_cast<double>(f.back()) : nan;
      const bool k_ok = !chance(0.2);
      k.push_back(uniform(-5, 5));
      bitmap(k_valid, i, k_ok);
      numbers[2][i] = k_ok ? k.back() : nan;
      d.push_back(19'000 + uniform(0, 800));
      numbers[3][i] = d.back();
      g.push_back(static_cast<float>(uniform(0, 40)) * 0.25f);
      numbers[4][i] = g.back();
      const bool b = chance(0.5);
      bitmap(b_bits, i, b);
      numbers[5][i] = b ? 1 : 0;
      o.push_back(chance(0.1) ? nan : uniform(0, 100));
      numbers[6][i] = o.back();
      numbers[7][i] = nan;  // unused slot: keeps indices simple
      const bool s_ok = !chance(0.1);
      const std::string& sw = w[static_cast<std::size_t>(uniform(0, static_cast<int>(w.size()) - 1))];
      chars += s_ok ? sw : std::string("junk under a null");
      offsets.push_back(static_cast<std::int32_t>(chars.size()));
      bitmap(s_valid, i, s_ok);
      if (s_ok) texts[0][i] = sw;
      const bool c_ok = !chance(0.1);
      c_codes.push_back(static_cast<std::int16_t>(uniform(0, static_cast<int>(w.size()) - 1)));
      bitmap(c_valid, i, c_ok);
      if (c_ok) texts[1][i] = w[static_cast<std::size_t>(c_codes.back())];
      t_codes.push_back(chance(0.1) ? -1 : uniform(0, static_cast<int>(w.size()) - 1));
      if (t_codes.back() >= 0) texts[2][i] = w[static_cast<std::size_t>(t_codes.back())];
    }
    for (const std::string& s : w) c_labels.emplace_back(s);
    auto add = [&](const column_view& whole, const std::vector<std::size_t>& ends) {
      if (!in_pieces) {
        table.add_column(whole);
        return;
      }
      std::vector<column_view> pieces;
      std::size_t from = 0;
      for (const std::size_t to : ends) {
        pieces.push_back(copy_piece(whole, from, to));
        from = to;
      }
      table.add_column(whole.name, pieces);
    };
    add(float64_column("m", m.data(), rows, m_valid.data()), {1'000, 5'000, 8'192, rows});
    add(int64_column("f", f.data(), rows, f_valid.data()), {1'000, 1'000, 5'000, rows});  // an empty piece
    table.add_column(int32_column("k", k.data(), rows, k_valid.data()));
    table.add_column(day_column("d", d.data(), rows));
    table.add_column(float32_column("g", g.data(), rows));
    auto raw = [](const char* name, data_type type, const void* values, const std::uint8_t* validity) {
      column_view v;
      v.name = name;
      v.type = type;
      v.length = static_cast<std::int64_t>(rows);
      v.values = values;
      v.validity = validity;
      return v;
    };
    add(raw("b", data_type::boolean, b_bits.data(), nullptr), {3, 4'099, rows});
    table.add_numbers("o", o);
    column_view s = raw("s", data_type::utf8, offsets.data(), s_valid.data());
    s.chars = chars.data();
    add(s, {7'777, rows});
    column_view c = raw("c", data_type::dictionary, c_codes.data(), c_valid.data());
    c.index_type = data_type::int16;
    c.dictionary = std::make_shared<const column_view>(string_column("labels", c_labels.data(), c_labels.size()));
    table.add_column(c);
    table.add_text("t", t_codes, w);
  }
};

// An expression's text with its oracle.
struct number_expr {
  std::string text;
  std::function<double(std::size_t)> at;
};
struct text_expr {
  std::string text;
  std::function<std::optional<std::string>(std::size_t)> at;
};
struct condition {
  std::string text;
  std::function<std::uint8_t(std::size_t)> at;
};

class generator {
 public:
  generator(const random_table& t, std::uint64_t seed) : t_(t), rng_(seed) {}

  condition cond(int depth) {
    const int pick = depth <= 0 ? uniform(0, 5) : uniform(0, 9);
    switch (pick) {
      case 0: case 1: {  // number comparison
        static const char* ops[] = {"=", "<>", "<", "<=", ">", ">="};
        const int o = uniform(0, 5);
        number_expr a = num(depth - 1), b = uniform(0, 2) ? literal() : num(depth - 1);
        if (uniform(0, 3) == 0) std::swap(a, b);  // literal on the left too
        return {a.text + " " + ops[o] + " " + b.text, [a, b, o](std::size_t r) -> std::uint8_t {
                  const double x = a.at(r), y = b.at(r);
                  if (std::isnan(x) || std::isnan(y)) return N;
                  const bool v = o == 0 ? x == y : o == 1 ? x != y : o == 2 ? x < y : o == 3 ? x <= y : o == 4 ? x > y : x >= y;
                  return v ? T : F;
                }};
      }
      case 2: {  // between
        const bool negate = uniform(0, 3) == 0;
        number_expr x = num(depth - 1);
        number_expr lo = uniform(0, 3) ? literal() : num(depth - 1), hi = uniform(0, 3) ? literal() : num(depth - 1);
        return {x.text + (negate ? " not between " : " between ") + lo.text + " and " + hi.text,
                [x, lo, hi, negate](std::size_t r) -> std::uint8_t {
                  const double v = x.at(r), a = lo.at(r), b = hi.at(r);
                  if (std::isnan(v) || std::isnan(a) || std::isnan(b)) return N;
                  return ((v >= a && v <= b) != negate) ? T : F;
                }};
      }
      case 3: {  // text equality, ordering or a list
        text_expr x = text();
        const bool negate = uniform(0, 2) == 0;
        if (uniform(0, 2) == 0) {
          std::vector<std::string> set;
          std::string list;
          for (int i = uniform(1, 4); i > 0; --i) {
            set.push_back(word());
            list += (list.empty() ? "" : ", ") + quoted(set.back());
          }
          return {x.text + (negate ? " not in (" : " in (") + list + ")",
                  [x, set, negate](std::size_t r) -> std::uint8_t {
                    const auto v = x.at(r);
                    if (!v) return N;
                    return ((std::find(set.begin(), set.end(), *v) != set.end()) != negate) ? T : F;
                  }};
        }
        static const char* ops[] = {"=", "<>", "<", ">="};
        const int o = uniform(0, 3);
        text_expr y = uniform(0, 3) ? text_literal() : text();
        if (uniform(0, 3) == 0) std::swap(x, y);
        return {x.text + " " + ops[o] + " " + y.text, [x, y, o](std::size_t r) -> std::uint8_t {
                  const auto a = x.at(r), b = y.at(r);
                  if (!a || !b) return N;
                  const int c = a->compare(*b);
                  const bool v = o == 0 ? c == 0 : o == 1 ? c != 0 : o == 2 ? c < 0 : c >= 0;
                  return v ? T : F;
                }};
      }
      case 4: {  // is [not] null
        const bool want_null = uniform(0, 1) == 0;
        const char* suffix = want_null ? " is null" : " is not null";
        if (uniform(0, 1)) {
          number_expr x = num(depth - 1);
          return {x.text + suffix, [x, want_null](std::size_t r) -> std::uint8_t { return std::isnan(x.at(r)) == want_null ? T : F; }};
        }
        text_expr x = text();
        return {x.text + suffix, [x, want_null](std::size_t r) -> std::uint8_t { return !x.at(r).has_value() == want_null ? T : F; }};
      }
      case 5: {  // number list
        const bool negate = uniform(0, 2) == 0;
        number_expr x = num(depth - 1);
        std::vector<double> set;
        std::string list;
        for (int i = uniform(1, 4); i > 0; --i) {
          set.push_back(uniform(-5, 30));
          list += (list.empty() ? "" : ", ") + std::to_string(static_cast<int>(set.back()));
        }
        return {x.text + (negate ? " not in (" : " in (") + list + ")", [x, set, negate](std::size_t r) -> std::uint8_t {
                  const double v = x.at(r);
                  if (std::isnan(v)) return N;
                  return ((std::find(set.begin(), set.end(), v) != set.end()) != negate) ? T : F;
                }};
      }
      case 6: case 7: case 8: {  // and, or
        const bool is_and = pick != 8;
        condition a = cond(depth - 1), b = cond(depth - 1);
        return {"(" + a.text + (is_and ? ") and (" : ") or (") + b.text + ")", [a, b, is_and](std::size_t r) -> std::uint8_t {
                  const std::uint8_t x = a.at(r), y = b.at(r);
                  if (is_and) return (x == F || y == F) ? F : (x == N || y == N) ? N : T;
                  return (x == T || y == T) ? T : (x == N || y == N) ? N : F;
                }};
      }
      default: {
        condition a = cond(depth - 1);
        return {"not (" + a.text + ")", [a](std::size_t r) -> std::uint8_t {
                  const std::uint8_t x = a.at(r);
                  return x == N ? N : x == T ? F : T;
                }};
      }
    }
  }

 private:
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string word() { return random_table::words()[static_cast<std::size_t>(uniform(0, static_cast<int>(random_table::words().size()) - 1))]; }
  static std::string quoted(const std::string& s) { return "'" + s + "'"; }

  number_expr literal() {
    const double v = uniform(-20, 120) * (uniform(0, 3) == 0 ? 0.25 : 1.0);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return {std::string("(") + buf + ")", [v](std::size_t) { return v; }};
  }
  number_expr num(int depth) {
    static const char* names[] = {"m", "f", "k", "d", "g", "b", "o"};
    const int pick = depth <= 0 ? uniform(0, 3) : uniform(0, 6);
    if (pick <= 2) {
      const int c = uniform(0, 6);
      const std::vector<double>* col = &t_.numbers[static_cast<std::size_t>(c)];
      return {names[c], [col](std::size_t r) { return (*col)[r]; }};
    }
    if (pick == 3) return literal();
    number_expr a = num(depth - 1), b = num(depth - 1);
    static const char* ops[] = {"+", "-", "*", "/"};
    const int o = uniform(0, 3);
    return {"(" + a.text + " " + ops[o] + " " + b.text + ")", [a, b, o](std::size_t r) {
              const double x = a.at(r), y = b.at(r);
              if (std::isnan(x) || std::isnan(y)) return nan;
              return o == 0 ? x + y : o == 1 ? x - y : o == 2 ? x * y : y == 0 ? nan : x / y;
            }};
  }
  text_expr text() {
    static const char* names[] = {"s", "c", "t"};
    const int c = uniform(0, 2);
    const auto* col = &t_.texts[static_cast<std::size_t>(c)];
    return {names[c], [col](std::size_t r) { return (*col)[r]; }};
  }
  text_expr text_literal() {
    const std::string w = word();
    return {quoted(w), [w](std::size_t) { return std::optional<std::string>(w); }};
  }

  const random_table& t_;
  std::mt19937_64 rng_;
};
}  // namespace

TEST_CASE("random conditions: block evaluation agrees with a row-at-a-time oracle") {
  for (const bool in_pieces : {false, true}) {
    CAPTURE(in_pieces);
    const random_table t(20261123, in_pieces);
    if (in_pieces) CHECK(t.table.piece_bounds() == std::vector<std::size_t>{3, 1'000, 4'099, 5'000, 7'777, 8'192});
    generator g(t, 7);
    for (int k = 0; k < 400; ++k) {
      const condition c = g.cond(3);
      CAPTURE(c.text);
      const expression e = expression::parse(c.text);
      e.check(t.table);
      std::vector<std::uint8_t> want(random_table::rows);
      for (std::size_t r = 0; r < want.size(); ++r) want[r] = c.at(r);
      REQUIRE(e.evaluate(t.table, 1) == want);
      REQUIRE(e.evaluate(t.table, 2) == want);
      // Any selection of rows: every third row, from row 5 (across the pieces' bounds).
      std::vector<std::uint32_t> rows;
      for (std::uint32_t r = 0; r + 5 < random_table::rows; r += 3) rows.push_back(r);
      std::vector<std::uint8_t> some(rows.size());
      e.evaluate_rows(t.table, 5, rows.data(), rows.size(), some.data());
      for (std::size_t i = 0; i < rows.size(); ++i) REQUIRE(some[i] == want[5 + rows[i]]);
      // One range across several bounds.
      std::vector<std::uint8_t> range(6'000);
      e.evaluate(t.table, 900, 6'900, range.data());
      REQUIRE(std::equal(range.begin(), range.end(), want.begin() + 900));
    }
  }
}

TEST_CASE("rows outside the table or out of order are refused, not read") {
  const random_table t(5, false);
  const expression e = expression::parse("f > 3");
  e.check(t.table);
  std::vector<std::uint8_t> out(random_table::rows + 1);
  CHECK_THROWS_WITH_AS(e.evaluate(t.table, 10, random_table::rows + 1, out.data()),
                       doctest::Contains("are not within the table's"), invalid_input);
  CHECK_THROWS_AS(e.evaluate(t.table, 20, 10, out.data()), invalid_input);
  const std::vector<std::uint32_t> unordered = {1, 5, 5, 3};
  CHECK_THROWS_WITH_AS(e.evaluate_rows(t.table, 0, unordered.data(), unordered.size(), out.data()),
                       doctest::Contains("(2 out of order"), invalid_input);
  const std::vector<std::uint32_t> beyond = {1, static_cast<std::uint32_t>(random_table::rows - 2)};
  CHECK_THROWS_WITH_AS(e.evaluate_rows(t.table, 2, beyond.data(), beyond.size(), out.data()),
                       doctest::Contains("must ascend and lie within"), invalid_input);
  e.evaluate_rows(t.table, 1, beyond.data(), beyond.size(), out.data());  // the last row: fine
  e.evaluate_rows(t.table, 0, beyond.data(), 0, out.data());             // nothing to do
}

TEST_CASE("random policies: the first rule that holds, as the oracle finds it row by row") {
  for (const bool in_pieces : {false, true}) {
    CAPTURE(in_pieces);
    const random_table t(99, in_pieces);
    generator g(t, 11);
    for (int k = 0; k < 60; ++k) {
      std::vector<tier_rule> rules;
      std::vector<condition> conds;
      for (int r = 0; r < 6; ++r) {
        conds.push_back(g.cond(2));
        rules.push_back({"tier " + std::to_string(r), conds.back().text, {}});
      }
      const tier_policy p(rules, "default");
      std::vector<std::int32_t> want(random_table::rows, -1);
      for (std::size_t row = 0; row < want.size(); ++row) {
        for (std::size_t r = 0; r < conds.size(); ++r) {
          if (conds[r].at(row) == T) {
            want[row] = static_cast<std::int32_t>(r);
            break;
          }
        }
      }
      CAPTURE(k);
      REQUIRE(p.assign(t.table, 1) == want);
      REQUIRE(p.assign(t.table, 2) == want);
      std::vector<std::int32_t> into(random_table::rows, 12'345);  // every element is written
      p.assign_into(t.table, into.data(), into.size(), 99, 2);
      for (std::size_t row = 0; row < want.size(); ++row) REQUIRE(into[row] == (want[row] < 0 ? 99 : want[row]));
      CHECK_THROWS_WITH_AS(p.assign_into(t.table, into.data(), into.size() - 1, 99, 2),
                           doctest::Contains("the output holds"), invalid_input);
    }
  }
}

TEST_CASE("columns in pieces: one row at a time, and pieces that cannot be read") {
  const random_table t(5, true);
  const rule_column& m = *t.table.find("m");
  const rule_column& s = *t.table.find("s");
  for (const std::size_t row : {0, 999, 1'000, 4'999, 5'000, 8'191, 8'192, 10'006}) {
    CAPTURE(row);
    const double want = t.numbers[0][row];
    CHECK((std::isnan(want) ? std::isnan(m.number_at(row)) : m.number_at(row) == want));
    CHECK(s.is_null(row) == !t.texts[0][row].has_value());
    if (t.texts[0][row]) CHECK(s.text_at(row) == *t.texts[0][row]);
  }
  rule_table bad;
  const std::vector<double> x = {1, 2, 3};
  const std::vector<std::int64_t> y = {1, 2, 3};
  CHECK_THROWS_WITH_AS(bad.add_column("x", {float64_column("x", x.data(), 2), int64_column("x", y.data() + 2, 1)}),
                       doctest::Contains("comes in pieces of different types"), schema_error);
  const std::vector<std::int8_t> codes = {0, 0};
  const std::vector<std::string_view> labels = {"a"};
  column_view coded;
  coded.type = data_type::dictionary;
  coded.length = 1;
  coded.values = codes.data();
  coded.index_type = data_type::int8;
  coded.dictionary = std::make_shared<const column_view>(string_column("labels", labels.data(), 1));
  CHECK_THROWS_WITH_AS(bad.add_column("d", {coded, coded}), doctest::Contains("combine them into one first"),
                       schema_error);
  rule_table fine;
  fine.add_column("x", {float64_column("x", x.data(), 2), float64_column("x", x.data() + 2, 1)});
  CHECK(fine.rows() == 3);
  CHECK(fine.piece_bounds() == std::vector<std::size_t>{2});
  CHECK_THROWS_WITH_AS(fine.add_column("y", {float64_column("y", x.data(), 1), float64_column("y", x.data() + 1, 1)}),
                       doctest::Contains("has 2 rows but the table has 3"), schema_error);
}
