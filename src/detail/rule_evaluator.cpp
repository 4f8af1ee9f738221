#include "detail/rule_evaluator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "detail/decode.hpp"
#include "detail/text_matcher.hpp"

// The evaluator recurses once per level of the tree (at most 200: the parser's bound), so
// the functions on that path keep small frames: the cases that hold large locals (a text
// matcher, text rows, per-label tables) are functions of their own, kept out of line
// (TIERKIT_NOINLINE), and sit on the path only where they recurse no further.

namespace tierkit::detail {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Working buffers of one block: uninitialized (every element is written before it is read).
std::unique_ptr<double[]> doubles(std::size_t n) { return std::unique_ptr<double[]>(new double[n]); }
std::unique_ptr<std::uint8_t[]> truths(std::size_t n) { return std::unique_ptr<std::uint8_t[]>(new std::uint8_t[n]); }

// Calls f(i, row) for the selected rows (i counts from 0): a dense loop or a gather.
template <class F>
inline void for_rows(const row_selection& s, F&& f) {
  if (s.rows == nullptr) {
    for (std::size_t i = 0; i < s.count; ++i) f(i, s.begin + i);
  } else {
    for (std::size_t i = 0; i < s.count; ++i) f(i, s.begin + s.rows[i]);
  }
}

// out[i] = value for the selected rows a borrowed column holds as null.
template <class T>
void mark_nulls(const column_view& c, const row_selection& s, T* out, T value) {
  if (!c.may_have_nulls()) return;
  for_rows(s, [&](std::size_t i, std::size_t row) {
    if (!c.is_valid(static_cast<std::int64_t>(row))) out[i] = value;
  });
}

// A boolean column's bits as values 0 and 1, indexed like a typed pointer.
struct bit_values {
  const std::uint8_t* bits;
  std::int64_t offset;
  std::uint8_t operator[](std::size_t row) const noexcept {
    const std::int64_t at = offset + static_cast<std::int64_t>(row);
    return (bits[at >> 3] >> (at & 7)) & 1;
  }
};

// The borrowed view holding the selected rows (they lie in one piece: blocks end where
// pieces meet) and the selection with rows counted from that view's start. Offsets are
// unsigned: begin - first may wrap around, begin - first + rows[i] does not.
struct located {
  const column_view* view;
  row_selection rows;
};
located locate(const rule_column& c, const row_selection& s) {
  std::size_t first = 0;
  const column_view* v = c.view_at(s.begin + (s.rows ? s.rows[0] : 0), first);
  return {v, row_selection{s.begin - first, s.count, s.rows}};
}

// Calls f(p, rows) with the values of a number column indexed by row and the selection to
// read: owned doubles, or a borrowed column's buffer typed as stored (past its offset).
// Null rows hold anything; then calls mark(view, rows) for borrowed columns, to mark them.
template <class F, class Mark>
void with_values(const rule_column& c, const row_selection& s, F&& f, Mark&& mark) {
  if (!c.borrowed()) {
    f(c.numbers.data(), s);
    return;
  }
  const located at = locate(c, s);
  const column_view& v = *at.view;
  switch (v.type) {
    case data_type::float64: f(typed_values<double>(v), at.rows); break;
    case data_type::float32: f(typed_values<float>(v), at.rows); break;
    case data_type::date32: f(typed_values<std::int32_t>(v), at.rows); break;
    case data_type::boolean: f(bit_values{static_cast<const std::uint8_t*>(v.values), v.offset}, at.rows); break;
    default: with_int_values(v, [&](const auto* p) { f(p, at.rows); });
  }
  mark(v, at.rows);
}

// Numbers of the selected rows of a number column (null: NaN).
void read_numbers(const rule_column& c, const row_selection& s, double* out) {
  with_values(
      c, s,
      [&](const auto& p, const row_selection& rows) {
        for_rows(rows, [&](std::size_t i, std::size_t row) { out[i] = static_cast<double>(p[row]); });
      },
      [&](const column_view& v, const row_selection& rows) { mark_nulls(v, rows, out, nan); });
}

// Codes of the selected rows of a text column held as codes: owned codes or a dictionary's
// indices (null: -1).
void read_codes(const rule_column& c, const row_selection& s, std::int32_t* out) {
  if (!c.borrowed()) {
    const std::int32_t* codes = c.codes.data();
    for_rows(s, [&](std::size_t i, std::size_t row) { out[i] = codes[row]; });
    return;
  }
  const located at = locate(c, s);
  with_int_values(dictionary_indices(*at.view), [&](const auto* p) {
    for_rows(at.rows, [&](std::size_t i, std::size_t row) { out[i] = static_cast<std::int32_t>(p[row]); });
  });
  mark_nulls(*at.view, at.rows, out, std::int32_t{-1});
}

// Calls f with the comparison of `k` as a function object, so loops are typed per operator.
template <class F>
void with_comparison(op k, F&& f) {
  switch (k) {
    case op::eq: f(std::equal_to<>{}); break;
    case op::ne: f(std::not_equal_to<>{}); break;
    case op::lt: f(std::less<>{}); break;
    case op::le: f(std::less_equal<>{}); break;
    case op::gt: f(std::greater<>{}); break;
    default: f(std::greater_equal<>{}); break;
  }
}

// `literal op x` as `x op' literal`.
op mirrored(op k) {
  switch (k) {
    case op::lt: return op::gt;
    case op::le: return op::ge;
    case op::gt: return op::lt;
    case op::ge: return op::le;
    default: return k;
  }
}

std::uint8_t truth_of_bool(bool b) noexcept { return b ? std::uint8_t{is_true} : std::uint8_t{is_false}; }

// out[i] = (the string is one of the matcher's texts) != negate, for the selected rows of
// a string column; null rows are null.
void strings_in(const column_view& c, const row_selection& s, const text_matcher& m, bool negate,
                std::uint8_t* out) {
  m.with_index_of(c, [&](auto index_of) {
    for_rows(s, [&](std::size_t i, std::size_t row) { out[i] = truth_of_bool((index_of(row) >= 0) != negate); });
  });
  mark_nulls(c, s, out, std::uint8_t{is_null});
}

struct evaluator {
  const rule_table& t;
  const row_selection& s;

  std::size_t n() const noexcept { return s.count; }

  // A number column compared with a literal, in one pass over the column's own values.
  void column_vs_literal(const rule_column& c, op k, double lit, std::uint8_t* out) const {
    with_values(
        c, s,
        [&](const auto& p, const row_selection& rows) {
          with_comparison(k, [&](auto cmp) {
            for_rows(rows, [&](std::size_t i, std::size_t row) {
              const double x = static_cast<double>(p[row]);
              out[i] = std::isnan(x) ? std::uint8_t{is_null} : truth_of_bool(cmp(x, lit));
            });
          });
        },
        [&](const column_view& v, const row_selection& rows) { mark_nulls(v, rows, out, std::uint8_t{is_null}); });
  }

  // A number column between two literals, in one pass.
  void column_between(const rule_column& c, double lo, double hi, bool negate, std::uint8_t* out) const {
    with_values(
        c, s,
        [&](const auto& p, const row_selection& rows) {
          for_rows(rows, [&](std::size_t i, std::size_t row) {
            const double x = static_cast<double>(p[row]);
            out[i] = std::isnan(x) ? std::uint8_t{is_null} : truth_of_bool(((x >= lo) & (x <= hi)) != negate);
          });
        },
        [&](const column_view& v, const row_selection& rows) { mark_nulls(v, rows, out, std::uint8_t{is_null}); });
  }

  const rule_column* number_column(const expr_node& e) const {
    if (e.kind != op::column) return nullptr;
    const rule_column* c = t.find(e.text);
    return c->kind == value_kind::number ? c : nullptr;
  }

  // Numbers (NaN = null).
  void number(const expr_node& e, double* out) const {
    const std::size_t n = this->n();
    switch (e.kind) {
      case op::number_lit:
        std::fill(out, out + n, e.number);
        return;
      case op::column:
        read_numbers(*t.find(e.text), s, out);
        return;
      case op::neg:
        number(*e.args[0], out);
        for (std::size_t i = 0; i < n; ++i) out[i] = -out[i];
        return;
      case op::add: case op::sub: case op::mul: case op::div: case op::mod: {
        const auto b = doubles(n);
        number(*e.args[0], out);
        number(*e.args[1], b.get());
        const double* y = b.get();
        switch (e.kind) {  // one loop per operator: each vectorizes
          case op::add: for (std::size_t i = 0; i < n; ++i) out[i] += y[i]; break;
          case op::sub: for (std::size_t i = 0; i < n; ++i) out[i] -= y[i]; break;
          case op::mul: for (std::size_t i = 0; i < n; ++i) out[i] *= y[i]; break;
          case op::div: for (std::size_t i = 0; i < n; ++i) out[i] = y[i] == 0 ? nan : out[i] / y[i]; break;
          default: for (std::size_t i = 0; i < n; ++i) out[i] = y[i] == 0 ? nan : std::fmod(out[i], y[i]); break;
        }
        return;
      }
      default: {  // a condition used as a number: true 1, false 0, null NaN
        const auto c = truths(n);
        truth_of(e, c.get());
        for (std::size_t i = 0; i < n; ++i) out[i] = c[i] == is_null ? nan : c[i];
        return;
      }
    }
  }

  // Text of the selected rows: a literal; codes into labels (owned codes or a dictionary's
  // indices, read for these rows), decided once per label; or strings read row by row.
  struct text_rows {
    const std::string* literal = nullptr;
    const std::vector<std::string>* labels = nullptr;
    std::vector<std::int32_t> codes;
    const column_view* strings = nullptr;
    row_selection s;  // the rows of `strings`, counted from its start

    bool coded() const noexcept { return labels != nullptr; }
    std::size_t row(std::size_t i) const noexcept { return s.begin + (s.rows ? s.rows[i] : i); }
    bool null(std::size_t i) const noexcept {
      if (literal) return false;
      if (strings) return !strings->is_valid(static_cast<std::int64_t>(row(i)));
      return codes[i] < 0;
    }
    std::string_view at(std::size_t i) const noexcept {
      if (literal) return *literal;
      if (strings) return string_value(*strings, static_cast<std::int64_t>(row(i)));
      return (*labels)[static_cast<std::size_t>(codes[i])];
    }
  };
  text_rows text(const expr_node& e) const {
    text_rows v;
    if (e.kind == op::text_lit) {
      v.literal = &e.text;
      return v;
    }
    const rule_column& c = *t.find(e.text);
    const located at = c.borrowed() ? locate(c, s) : located{nullptr, s};
    if (!at.view || at.view->type == data_type::dictionary) {
      v.codes.resize(n());
      read_codes(c, s, v.codes.data());
      v.labels = &c.labels;
    } else {
      v.strings = at.view;
      v.s = at.rows;
    }
    return v;
  }

  // Codes against a per-label truth: out[i] = per_label[code], null codes null.
  void by_label(const text_rows& v, const std::vector<std::uint8_t>& per_label, std::uint8_t* out) const {
    const std::int32_t* codes = v.codes.data();
    for (std::size_t i = 0; i < n(); ++i) {
      out[i] = codes[i] < 0 ? std::uint8_t{is_null} : per_label[static_cast<std::size_t>(codes[i])];
    }
  }

  static bool compare_text(op k, std::string_view a, std::string_view b) {
    const int c = a.compare(b);
    switch (k) {
      case op::eq: return c == 0;
      case op::ne: return c != 0;
      case op::lt: return c < 0;
      case op::le: return c <= 0;
      case op::gt: return c > 0;
      default: return c >= 0;
    }
  }

  TIERKIT_NOINLINE void compare_texts(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const text_rows a = text(*e.args[0]), b = text(*e.args[1]);
    if (a.literal && b.literal) {
      std::fill(out, out + n, truth_of_bool(compare_text(e.kind, *a.literal, *b.literal)));
    } else if ((a.literal && b.coded()) || (b.literal && a.coded())) {
      // Coded column against a literal: decide once per label.
      const text_rows& col = a.literal ? b : a;
      const std::string& lit = a.literal ? *a.literal : *b.literal;
      std::vector<std::uint8_t> per_label(col.labels->size());
      for (std::size_t k = 0; k < per_label.size(); ++k) {
        per_label[k] = truth_of_bool(a.literal ? compare_text(e.kind, lit, (*col.labels)[k])
                                               : compare_text(e.kind, (*col.labels)[k], lit));
      }
      by_label(col, per_label, out);
    } else if ((e.kind == op::eq || e.kind == op::ne) && (a.literal || b.literal)) {
      // Strings against a literal: a typed equality loop.
      const text_rows& col = a.literal ? b : a;
      strings_in(*col.strings, col.s, text_matcher({a.literal ? *a.literal : *b.literal}), e.kind == op::ne, out);
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = (a.null(i) || b.null(i)) ? std::uint8_t{is_null} : truth_of_bool(compare_text(e.kind, a.at(i), b.at(i)));
      }
    }
  }

  TIERKIT_NOINLINE void compare_numbers(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const bool right_literal = e.args[1]->kind == op::number_lit;
    if (right_literal || e.args[0]->kind == op::number_lit) {
      const double lit = right_literal ? e.args[1]->number : e.args[0]->number;
      const op k = right_literal ? e.kind : mirrored(e.kind);
      const expr_node& x = right_literal ? *e.args[0] : *e.args[1];
      if (const rule_column* c = number_column(x)) {
        column_vs_literal(*c, k, lit, out);
        return;
      }
      const auto v = doubles(n);
      number(x, v.get());
      with_comparison(k, [&](auto cmp) {
        for (std::size_t i = 0; i < n; ++i) out[i] = std::isnan(v[i]) ? std::uint8_t{is_null} : truth_of_bool(cmp(v[i], lit));
      });
      return;
    }
    const auto a = doubles(n), b = doubles(n);
    number(*e.args[0], a.get());
    number(*e.args[1], b.get());
    with_comparison(e.kind, [&](auto cmp) {
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = (std::isnan(a[i]) || std::isnan(b[i])) ? std::uint8_t{is_null} : truth_of_bool(cmp(a[i], b[i]));
      }
    });
  }

  bool textual(const expr_node& a) const {
    return a.kind == op::text_lit || (a.kind == op::column && t.find(a.text)->kind == value_kind::text);
  }

  TIERKIT_NOINLINE unsigned column_cost(const expr_node& e) const {
    const rule_column& c = *t.find(e.text);
    const bool strings = c.kind == value_kind::text && c.borrowed() &&
                         (c.view ? c.view->type : c.pieces.front().type) != data_type::dictionary;
    return strings ? 7 : 1;
  }

  // A rough cost per row of evaluating a node, in units of one pass over a number column:
  // a fused comparison with a literal costs 2, one on strings read row by row about 8.
  unsigned cost(const expr_node& e) const {
    switch (e.kind) {
      case op::number_lit: case op::text_lit: return 0;
      case op::column: return column_cost(e);
      case op::div: case op::mod: return cost(*e.args[0]) + cost(*e.args[1]) + 4;
      default: {
        unsigned c = 1;
        for (const auto& a : e.args) c += cost(*a);
        return c;
      }
    }
  }

  // `a and b`, `a or b`: b is evaluated only on the rows a leaves undecided (and: not false;
  // or: not true). Gathering those rows costs about three units per row of the block, so a
  // selection is made only when b's cost on the rows it skips is larger.
  TIERKIT_NOINLINE void logical(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    truth_of(*e.args[0], out);
    const bool is_and = e.kind == op::and_;
    const std::uint8_t decided = is_and ? is_false : is_true;
    std::size_t open = 0;
    for (std::size_t i = 0; i < n; ++i) open += out[i] != decided;
    if (open == 0) return;
    // Three-valued logic on the codes false 0, true 1, null 2.
    auto combine = [is_and](std::uint8_t x, std::uint8_t y) -> std::uint8_t {
      if (is_and) return (x == is_false || y == is_false) ? std::uint8_t{is_false} : std::max(x, y);
      return (x == is_true || y == is_true) ? std::uint8_t{is_true} : std::max(x, y);
    };
    const auto b = truths(n);
    const std::size_t right_cost = cost(*e.args[1]);
    if (open * right_cost + 3 * n >= n * right_cost) {
      evaluator{t, s}.truth_of(*e.args[1], b.get());
      for (std::size_t i = 0; i < n; ++i) out[i] = combine(out[i], b[i]);
      return;
    }
    // n entries, not `open`: the branch-free loop writes one past the last open row.
    const std::unique_ptr<std::uint32_t[]> rows(new std::uint32_t[n]), at(new std::uint32_t[n]);
    std::size_t j = 0;
    for (std::size_t i = 0; i < n; ++i) {
      rows[j] = s.rows ? s.rows[i] : static_cast<std::uint32_t>(i);
      at[j] = static_cast<std::uint32_t>(i);
      j += out[i] != decided;  // branch-free: which rows are open is unpredictable
    }
    const row_selection sub{s.begin, open, rows.get()};
    evaluator{t, sub}.truth_of(*e.args[1], b.get());
    for (std::size_t k = 0; k < open; ++k) out[at[k]] = combine(out[at[k]], b[k]);
  }

  // A comparison: of texts (a leaf: reads columns and literals only) or of numbers.
  TIERKIT_NOINLINE void compare(const expr_node& e, std::uint8_t* out) const {
    const bool texts = e.args[0]->kind == op::text_lit || e.args[1]->kind == op::text_lit || textual(*e.args[0]);
    if (texts) {
      compare_texts(e, out);
    } else {
      compare_numbers(e, out);
    }
  }

  TIERKIT_NOINLINE void between(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const bool negate = e.kind == op::not_between;
    const rule_column* c = number_column(*e.args[0]);
    if (c && e.args[1]->kind == op::number_lit && e.args[2]->kind == op::number_lit) {
      column_between(*c, e.args[1]->number, e.args[2]->number, negate, out);
      return;
    }
    const auto x = doubles(n), lo = doubles(n), hi = doubles(n);
    number(*e.args[0], x.get());
    number(*e.args[1], lo.get());
    number(*e.args[2], hi.get());
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(x[i]) || std::isnan(lo[i]) || std::isnan(hi[i])) {
        out[i] = is_null;
      } else {
        out[i] = truth_of_bool((x[i] >= lo[i] && x[i] <= hi[i]) != negate);
      }
    }
  }

  // `x [not] in (texts)`: a leaf (x is a text column or literal).
  TIERKIT_NOINLINE void in_texts(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const bool negate = e.kind == op::not_in;
    const text_rows v = text(*e.args[0]);
    if (v.literal) {
      const bool r = std::find(e.set_texts.begin(), e.set_texts.end(), *v.literal) != e.set_texts.end();
      std::fill(out, out + n, truth_of_bool(r != negate));
    } else if (v.coded()) {
      std::vector<std::uint8_t> per_label(v.labels->size());
      for (std::size_t k = 0; k < per_label.size(); ++k) {
        const bool r = std::find(e.set_texts.begin(), e.set_texts.end(), (*v.labels)[k]) != e.set_texts.end();
        per_label[k] = truth_of_bool(r != negate);
      }
      by_label(v, per_label, out);
    } else if (e.set_matcher) {
      strings_in(*v.strings, v.s, *e.set_matcher, negate, out);
    } else {
      strings_in(*v.strings, v.s, text_matcher(e.set_texts), negate, out);
    }
  }

  TIERKIT_NOINLINE void in_numbers(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const bool negate = e.kind == op::not_in;
    const auto x = doubles(n);
    number(*e.args[0], x.get());
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(x[i])) {
        out[i] = is_null;
        continue;
      }
      const bool r = std::find(e.set_numbers.begin(), e.set_numbers.end(), x[i]) != e.set_numbers.end();
      out[i] = truth_of_bool(r != negate);
    }
  }

  // `x is [not] null` for a text column or literal: a leaf.
  TIERKIT_NOINLINE void text_is_null(const expr_node& e, std::uint8_t* out) const {
    const bool want_null = e.kind == op::is_null;
    const text_rows v = text(*e.args[0]);
    for (std::size_t i = 0; i < n(); ++i) out[i] = truth_of_bool(v.null(i) == want_null);
  }

  TIERKIT_NOINLINE void number_is_null(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const bool want_null = e.kind == op::is_null;
    const auto x = doubles(n);
    number(*e.args[0], x.get());
    for (std::size_t i = 0; i < n; ++i) out[i] = truth_of_bool(std::isnan(x[i]) == want_null);
  }

  // A number used as a condition: non-zero is true.
  TIERKIT_NOINLINE void number_as_truth(const expr_node& e, std::uint8_t* out) const {
    const std::size_t n = this->n();
    const auto x = doubles(n);
    number(e, x.get());
    for (std::size_t i = 0; i < n; ++i) out[i] = std::isnan(x[i]) ? std::uint8_t{is_null} : truth_of_bool(x[i] != 0);
  }

  void truth_of(const expr_node& e, std::uint8_t* out) const {
    switch (e.kind) {
      case op::eq: case op::ne: case op::lt: case op::le: case op::gt: case op::ge:
        compare(e, out);
        return;
      case op::between: case op::not_between:
        between(e, out);
        return;
      case op::in: case op::not_in:
        if (e.set_is_text) {
          in_texts(e, out);
        } else {
          in_numbers(e, out);
        }
        return;
      case op::is_null: case op::is_not_null:
        if (textual(*e.args[0])) {
          text_is_null(e, out);
        } else {
          number_is_null(e, out);
        }
        return;
      case op::and_: case op::or_:
        logical(e, out);
        return;
      case op::not_: {
        truth_of(*e.args[0], out);
        const std::size_t n = this->n();
        for (std::size_t i = 0; i < n; ++i) out[i] = out[i] == is_null ? is_null : out[i] == is_true ? is_false : is_true;
        return;
      }
      default:
        number_as_truth(e, out);
        return;
    }
  }
};
}  // namespace

void evaluate_truth(const rule_table& t, const expr_node& e, const row_selection& s, std::uint8_t* out) {
  if (s.count > 0) evaluator{t, s}.truth_of(e, out);
}

void evaluate_numbers(const rule_table& t, const expr_node& e, const row_selection& s, double* out) {
  if (s.count > 0) evaluator{t, s}.number(e, out);
}

double number_at(const rule_column& c, std::size_t row) noexcept {
  double v = nan;
  read_numbers(c, row_selection{row, 1, nullptr}, &v);
  return v;
}

std::int32_t code_at(const rule_column& c, std::size_t row) noexcept {
  std::int32_t k = -1;
  read_codes(c, row_selection{row, 1, nullptr}, &k);
  return k;
}

}  // namespace tierkit::detail
