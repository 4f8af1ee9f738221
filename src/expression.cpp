#include "tierkit/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <limits>

#include "detail/decode.hpp"
#include "detail/expr_node.hpp"
#include "detail/text_matcher.hpp"
#include "detail/row_blocks.hpp"
#include "detail/rule_evaluator.hpp"
#include "detail/text.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

const char* value_kind_name(value_kind k) noexcept { return k == value_kind::number ? "number" : "text"; }

void rule_table::admit(const std::string& name, std::size_t n) const {
  if (find(name)) throw schema_error("tierkit.rule_table: column '" + name + "' appears twice");
  if ((rows_fixed_ || !columns_.empty()) && n != rows_) {
    throw schema_error("tierkit.rule_table: column '" + name + "' has " +
                       detail::rows_text(static_cast<std::int64_t>(n)) + " but the table has " +
                       detail::format_count(static_cast<std::int64_t>(rows_)));
  }
}

void rule_table::add_numbers(std::string name, std::vector<double> values) {
  rule_column c;
  c.name = std::move(name);
  c.kind = value_kind::number;
  c.numbers = std::move(values);
  admit(c.name, c.numbers.size());
  rows_ = c.numbers.size();
  columns_.push_back(std::move(c));
}

void rule_table::add_text(std::string name, std::vector<std::int32_t> codes, std::vector<std::string> labels) {
  rule_column c;
  c.name = std::move(name);
  c.kind = value_kind::text;
  c.codes = std::move(codes);
  c.labels = std::move(labels);
  admit(c.name, c.codes.size());
  for (std::int32_t k : c.codes) {
    if (k < -1 || k >= static_cast<std::int32_t>(c.labels.size())) {
      throw schema_error("tierkit.rule_table: column '" + c.name + "' has a code outside its labels");
    }
  }
  rows_ = c.codes.size();
  columns_.push_back(std::move(c));
}

namespace {
// The kind of a borrowed column (and a dictionary's labels), checked: throws schema_error
// for types rules cannot read and for dictionary indices out of range.
value_kind borrowed_kind(const column_view& column, std::vector<std::string>* labels) {
  const data_type t = column.type;
  if (detail::holds_strings(column)) {
    if (t == data_type::dictionary) {
      const column_view& d = *column.dictionary;
      labels->reserve(static_cast<std::size_t>(d.length));
      for (std::int64_t k = 0; k < d.length; ++k) labels->emplace_back(detail::string_value(d, k));
      const column_view ix = detail::dictionary_indices(column);
      std::int64_t bad = 0;
      detail::for_each_int(ix, 0, ix.length, [&](std::int64_t i, std::int64_t k) {
        if (column.is_valid(i) && (k < 0 || k >= d.length || !d.is_valid(k))) ++bad;
      });
      if (bad > 0) {
        throw schema_error("tierkit.rule_table: column '" + column.name + "' has " +
                           detail::rows_text(bad) + " with a dictionary index that is out of range or null");
      }
    }
    return value_kind::text;
  }
  if (is_integer(t) || is_floating(t) || t == data_type::boolean || t == data_type::date32) return value_kind::number;
  throw schema_error("tierkit.rule_table: " + column.describe() +
                     " cannot be read by rules; give numbers, booleans, date32 days or text");
}
}  // namespace

void rule_table::add_column(const column_view& column) {
  add_column(std::make_shared<const column_view>(column));
}

void rule_table::add_column(std::shared_ptr<const column_view> column) {
  rule_column c;
  c.name = column->name;
  c.kind = borrowed_kind(*column, &c.labels);
  admit(c.name, static_cast<std::size_t>(column->length));
  rows_ = static_cast<std::size_t>(column->length);
  c.view = std::move(column);
  columns_.push_back(std::move(c));
}

void rule_table::add_column(const std::string& name, const std::vector<column_view>& pieces) {
  std::vector<column_view> kept;  // empty pieces hold no rows and start nowhere
  for (const column_view& p : pieces) {
    if (p.length > 0) kept.push_back(p);
  }
  if (kept.size() <= 1) {
    column_view one = kept.empty() ? (pieces.empty() ? column_view{} : pieces.front()) : kept.front();
    if (pieces.empty()) one.type = data_type::float64;  // no pieces: an empty number column
    one.name = name;
    add_column(one);
    return;
  }
  rule_column c;
  c.name = name;
  c.piece_starts.push_back(0);
  for (column_view& p : kept) {
    p.name = name;
    if (p.type != kept.front().type || p.type == data_type::dictionary) {
      throw schema_error("tierkit.rule_table: column '" + name + "' comes in pieces of " +
                         (p.type == data_type::dictionary ? std::string("dictionaries; combine them into one first")
                                                          : "different types (" + kept.front().describe() + ", " +
                                                                p.describe() + ")"));
    }
    c.kind = borrowed_kind(p, &c.labels);
    c.piece_starts.push_back(c.piece_starts.back() + static_cast<std::size_t>(p.length));
  }
  c.pieces = std::move(kept);
  const std::size_t n = c.piece_starts.back();
  admit(c.name, n);
  for (std::size_t k = 1; k + 1 < c.piece_starts.size(); ++k) piece_bounds_.push_back(c.piece_starts[k]);
  std::sort(piece_bounds_.begin(), piece_bounds_.end());
  piece_bounds_.erase(std::unique(piece_bounds_.begin(), piece_bounds_.end()), piece_bounds_.end());
  rows_ = n;
  columns_.push_back(std::move(c));
}

const column_view* rule_column::view_at(std::size_t row, std::size_t& first) const noexcept {
  first = 0;
  if (pieces.empty()) return view.get();
  const std::size_t k = static_cast<std::size_t>(
      std::upper_bound(piece_starts.begin() + 1, piece_starts.end() - 1, row) - (piece_starts.begin() + 1));
  first = piece_starts[k];
  return &pieces[k];
}

bool rule_column::is_null(std::size_t row) const noexcept {
  std::size_t first = 0;
  if (const column_view* v = view_at(row, first)) {
    if (!v->is_valid(static_cast<std::int64_t>(row - first))) return true;
    return kind == value_kind::number && std::isnan(number_at(row));
  }
  return kind == value_kind::text ? codes[row] < 0 : std::isnan(numbers[row]);
}

double rule_column::number_at(std::size_t row) const noexcept { return detail::number_at(*this, row); }

std::string_view rule_column::text_at(std::size_t row) const noexcept {
  std::size_t first = 0;
  const column_view* v = view_at(row, first);
  if (v && v->type != data_type::dictionary) return detail::string_value(*v, static_cast<std::int64_t>(row - first));
  return labels[static_cast<std::size_t>(detail::code_at(*this, row))];
}

const rule_column* rule_table::find(const std::string& name) const noexcept {
  for (const rule_column& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> rule_table::names() const {
  std::vector<std::string> out;
  for (const rule_column& c : columns_) out.push_back(c.name);
  return out;
}


using detail::expr_node;
using detail::op;
using node_ptr = std::shared_ptr<const expr_node>;

namespace {

// Display width of text[0, pos): code points, East Asian wide ones count two, so the caret
// lands under the character even after Chinese labels.
std::size_t display_width(const std::string& text, std::size_t pos) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < pos && i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    std::uint32_t cp = c;
    if (len == 2) cp = (c & 0x1f) << 6 | (static_cast<unsigned char>(text[i + 1]) & 0x3f);
    if (len == 3 && i + 2 < text.size()) {
      cp = (c & 0x0f) << 12 | (static_cast<unsigned char>(text[i + 1]) & 0x3f) << 6 |
           (static_cast<unsigned char>(text[i + 2]) & 0x3f);
    }
    const bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                      (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6);
    width += wide ? 2 : 1;
    i += len;
  }
  return width;
}

[[noreturn]] void parse_fail(const std::string& what, const std::string& text, std::size_t pos,
                             const std::string& message) {
  // Long texts show a window around the position; line breaks and tabs show as spaces so
  // the caret stays under the problem.
  constexpr std::size_t context = 40;
  auto boundary = [&](std::size_t i) {  // back to the start of a UTF-8 character
    while (i > 0 && i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
    return i;
  };
  std::size_t from = 0, to = text.size();
  if (text.size() > 2 * context + 20) {
    from = pos > context ? boundary(pos - context) : 0;
    to = boundary(std::min(text.size(), pos + context));
  }
  std::string shown = (from > 0 ? "..." : "") + text.substr(from, to - from) + (to < text.size() ? "..." : "");
  for (char& c : shown) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  const std::size_t lead = from > 0 ? 3 : 0;
  std::string caret(lead + display_width(text.substr(from), pos - from), ' ');
  throw invalid_input("tierkit: cannot parse " + what + ": " + message + " at position " +
                      std::to_string(pos + 1) + "\n  " + shown + "\n  " + caret + "^");
}

enum class tok : std::uint8_t { end, number, text, ident, lparen, rparen, comma, plus, minus,
                                star, slash, percent, eq, ne, lt, le, gt, ge };

struct token {
  tok kind = tok::end;
  std::string value;  // identifier (lower-cased keyword check separately), text, number text
  double number = 0;
  bool quoted = false;  // a "quoted" identifier is never a keyword
  std::size_t pos = 0, end = 0;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<token> lex(const std::string& s, const std::string& what) {
  std::vector<token> out;
  std::size_t i = 0;
  while (true) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    token t;
    t.pos = i;
    if (i >= s.size()) {
      t.kind = tok::end;
      t.end = i;
      out.push_back(t);
      return out;
    }
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '_')) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
          j = k;
          while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        }
      }
      std::string digits;
      for (std::size_t k = i; k < j; ++k) {
        if (s[k] != '_') digits += s[k];
      }
      char* endp = nullptr;
      t.number = std::strtod(digits.c_str(), &endp);
      if (endp == nullptr || *endp != '\0' || std::count(digits.begin(), digits.end(), '.') > 1) {
        parse_fail(what, s, i, "malformed number '" + s.substr(i, j - i) + "'");
      }
      // A literal beyond the largest double would be infinity, which no written number
      // means. (One below the smallest rounds to 0 or a subnormal, as in SQL and Python.)
      if (std::isinf(t.number)) {
        const std::string written = j - i > 24 ? s.substr(i, 20) + "... (" + std::to_string(j - i) + " characters)"
                                                : s.substr(i, j - i);
        parse_fail(what, s, i, "the number " + written + " is too large (the largest is about 1.8e308)");
      }
      if (j < s.size() && (std::isalpha(static_cast<unsigned char>(s[j])) || s[j] == '_')) {
        parse_fail(what, s, j, "a number runs into a name");
      }
      t.kind = tok::number;
      t.value = s.substr(i, j - i);
      i = j;
    } else if (c == '\'') {
      std::string v;
      std::size_t j = i + 1;
      while (true) {
        if (j >= s.size()) parse_fail(what, s, i, "unterminated text literal");
        if (s[j] == '\'') {
          if (j + 1 < s.size() && s[j + 1] == '\'') {
            v += '\'';
            j += 2;
            continue;
          }
          break;
        }
        v += s[j++];
      }
      t.kind = tok::text;
      t.value = v;
      i = j + 1;
    } else if (c == '"') {
      const std::size_t close = s.find('"', i + 1);
      if (close == std::string::npos) parse_fail(what, s, i, "unterminated quoted column name");
      if (close == i + 1) parse_fail(what, s, i, "empty quoted column name");
      t.kind = tok::ident;
      t.value = s.substr(i + 1, close - i - 1);
      t.quoted = true;
      i = close + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              static_cast<unsigned char>(s[j]) >= 0x80)) {
        ++j;
      }
      t.kind = tok::ident;
      t.value = s.substr(i, j - i);
      i = j;
    } else {
      auto two = [&](const char* x) { return s.compare(i, 2, x) == 0; };
      if (two("<=")) { t.kind = tok::le; i += 2; }
      else if (two(">=")) { t.kind = tok::ge; i += 2; }
      else if (two("!=") || two("<>")) { t.kind = tok::ne; i += 2; }
      else if (two("==")) { t.kind = tok::eq; i += 2; }
      else {
        switch (c) {
          case '(': t.kind = tok::lparen; break;
          case ')': t.kind = tok::rparen; break;
          case ',': t.kind = tok::comma; break;
          case '+': t.kind = tok::plus; break;
          case '-': t.kind = tok::minus; break;
          case '*': t.kind = tok::star; break;
          case '/': t.kind = tok::slash; break;
          case '%': t.kind = tok::percent; break;
          case '=': t.kind = tok::eq; break;
          case '<': t.kind = tok::lt; break;
          case '>': t.kind = tok::gt; break;
          default: parse_fail(what, s, i, std::string("unexpected character '") + c + "'");
        }
        ++i;
      }
    }
    t.end = i;
    out.push_back(t);
  }
}

class parser {
 public:
  parser(const std::string& text, const std::string& what)
      : text_(text), what_(what), toks_(lex(text, what)) {}

  node_ptr parse() {
    node_ptr e = parse_or();
    if (peek().kind != tok::end) fail(peek(), "unexpected " + describe_token(peek()));
    return e;
  }

 private:
  const token& peek(std::size_t ahead = 0) const {
    return toks_[std::min(i_ + ahead, toks_.size() - 1)];
  }
  const token& next() { return toks_[std::min(i_++, toks_.size() - 1)]; }
  bool keyword(const char* k, std::size_t ahead = 0) const {  // k in lower case
    const token& t = peek(ahead);
    if (t.kind != tok::ident || t.quoted || t.value.size() != std::strlen(k)) return false;
    for (std::size_t i = 0; i < t.value.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(t.value[i])) != k[i]) return false;
    }
    return true;
  }
  [[noreturn]] void fail(const token& t, const std::string& message) const {
    parse_fail(what_, text_, t.pos, message);
  }
  void expect(tok kind, const char* what) {
    if (peek().kind != kind) fail(peek(), std::string("expected ") + what + ", found " + describe_token(peek()));
    next();
  }
  std::string describe_token(const token& t) const {
    if (t.kind == tok::end) return "end of text";
    return "'" + text_.substr(t.pos, t.end - t.pos) + "'";
  }

  // Evaluation, type checks, static checks, explanations, columns() and destruction recurse
  // over the tree, so the depth of the tree built is bounded, whatever kind its nodes are (a
  // chain of 200 `or`s, or 200 nested parentheses, is far beyond a readable rule; long lists
  // belong in `in (...)`). Every node with operands is made by make(), which counts the
  // levels below it; leaves are one level; parentheses add none. The parser's own recursion
  // is bounded separately (nesting).
  static constexpr std::size_t max_depth = 200;
  [[noreturn]] void too_deep(std::size_t pos) const {
    parse_fail(what_, text_, pos, "the expression nests deeper than " + std::to_string(max_depth) +
                                      " levels; split it into several rules, or use 'in (...)' for long lists");
  }
  // Out of line, as make() is called on the frames of the recursion through parentheses.
  TIERKIT_NOINLINE std::shared_ptr<expr_node> make(op k, std::vector<node_ptr> args, std::size_t b,
                                                   std::size_t e) const {
    auto n = std::make_shared<expr_node>();
    n->kind = k;
    for (const node_ptr& a : args) n->depth = std::max(n->depth, a->depth + 1);
    if (n->depth > max_depth) too_deep(b);
    n->args = std::move(args);
    n->begin = b;
    n->end = e;
    return n;
  }
  // A node of two operands spanning both (the binary operators).
  TIERKIT_NOINLINE node_ptr binary(op k, const node_ptr& left, const node_ptr& right) const {
    return make(k, {left, right}, left->begin, right->end);
  }
  // A node of one operand, from `b` to the operand's end (not, unary minus).
  TIERKIT_NOINLINE node_ptr unary(op k, std::size_t b, const node_ptr& inner) const {
    return make(k, {inner}, b, inner->end);
  }
  // Counts the parser's own recursion (parentheses, `not not ...`, `- - ...`).
  struct nesting {
    nesting(parser& p, std::size_t pos) : p_(p) {
      if (++p_.nesting_ > max_depth) p_.too_deep(pos);
    }
    ~nesting() { --p_.nesting_; }
    parser& p_;
  };
  std::size_t nesting_ = 0;

  node_ptr parse_or() {
    const nesting guard(*this, peek().pos);
    node_ptr left = parse_and();
    while (keyword("or")) {
      next();
      node_ptr right = parse_and();
      left = binary(op::or_, left, right);
    }
    return left;
  }
  node_ptr parse_and() {
    node_ptr left = parse_not();
    while (keyword("and")) {
      next();
      node_ptr right = parse_not();
      left = binary(op::and_, left, right);
    }
    return left;
  }
  node_ptr parse_not() {
    if (keyword("not")) {
      const nesting guard(*this, peek().pos);
      const std::size_t b = next().pos;
      node_ptr inner = parse_not();
      return unary(op::not_, b, inner);
    }
    return parse_comparison();
  }
  node_ptr parse_comparison() {
    node_ptr left = parse_sum();
    const token& t = peek();
    op k = op::eq;
    switch (t.kind) {
      case tok::eq: k = op::eq; break;
      case tok::ne: k = op::ne; break;
      case tok::lt: k = op::lt; break;
      case tok::le: k = op::le; break;
      case tok::gt: k = op::gt; break;
      case tok::ge: k = op::ge; break;
      default: return parse_postfix(std::move(left));
    }
    next();
    const node_ptr right = parse_sum();
    return binary(k, left, right);
  }
  // `between`, `in (...)` and `is null` after an operand (or the operand alone). Out of line:
  // its locals stay off the frames of the recursion through parentheses.
  TIERKIT_NOINLINE node_ptr parse_postfix(node_ptr left) {
    bool negated = false;
    if (keyword("not") && (keyword("between", 1) || keyword("in", 1))) {
      next();
      negated = true;
    }
    if (keyword("between")) {
      next();
      node_ptr lo = parse_sum();
      if (!keyword("and")) fail(peek(), "expected 'and' in 'between ... and ...', found " + describe_token(peek()));
      next();
      node_ptr hi = parse_sum();
      return make(negated ? op::not_between : op::between, {left, lo, hi}, left->begin, hi->end);
    }
    if (keyword("in")) {
      next();
      expect(tok::lparen, "'(' after 'in'");
      // Through make(), as every node with operands: the list adds a level above its operand.
      auto n = make(negated ? op::not_in : op::in, {left}, left->begin, left->end);
      bool first = true;
      while (true) {
        const token& v = peek();
        bool minus = false;
        if (v.kind == tok::minus) {
          next();
          minus = true;
        }
        const token& lit = next();
        if (lit.kind == tok::number) {
          if (!first && n->set_is_text) fail(lit, "the list mixes text and numbers");
          n->set_numbers.push_back(minus ? -lit.number : lit.number);
        } else if (lit.kind == tok::text && !minus) {
          if (!first && !n->set_is_text) fail(lit, "the list mixes text and numbers");
          n->set_is_text = true;
          n->set_texts.push_back(lit.value);
        } else {
          fail(lit, "expected a number or 'text' in the list, found " + describe_token(lit));
        }
        first = false;
        if (peek().kind == tok::comma) {
          next();
          continue;
        }
        n->end = peek().end;
        expect(tok::rparen, "',' or ')' in the list");
        if (n->set_is_text) n->set_matcher = std::make_shared<const detail::text_matcher>(n->set_texts);
        break;
      }
      return n;
    }
    if (negated) fail(peek(), "expected 'between' or 'in' after 'not'");
    if (keyword("is")) {
      next();
      bool is_not = false;
      if (keyword("not")) {
        next();
        is_not = true;
      }
      if (!keyword("null")) fail(peek(), "expected 'null' after 'is'");
      const std::size_t e = next().end;
      return make(is_not ? op::is_not_null : op::is_null, {left}, left->begin, e);
    }
    return left;
  }
  node_ptr parse_sum() {
    node_ptr left = parse_product();
    while (peek().kind == tok::plus || peek().kind == tok::minus) {
      const op k = next().kind == tok::plus ? op::add : op::sub;
      node_ptr right = parse_product();
      left = binary(k, left, right);
    }
    return left;
  }
  node_ptr parse_product() {
    node_ptr left = parse_unary();
    while (peek().kind == tok::star || peek().kind == tok::slash || peek().kind == tok::percent) {
      const tok t = next().kind;
      const op k = t == tok::star ? op::mul : t == tok::slash ? op::div : op::mod;
      node_ptr right = parse_unary();
      left = binary(k, left, right);
    }
    return left;
  }
  node_ptr parse_unary() {
    if (peek().kind == tok::minus) {
      const nesting guard(*this, peek().pos);
      const std::size_t b = next().pos;
      node_ptr inner = parse_unary();
      return unary(op::neg, b, inner);
    }
    if (peek().kind == tok::plus) next();
    return parse_primary();
  }
  node_ptr parse_primary() {
    if (peek().kind != tok::lparen) return parse_leaf();
    const std::size_t b = next().pos;
    node_ptr inner = parse_or();
    return parenthesized(inner, b);
  }
  // The node inside parentheses from `b` to the closing one: a copy of it whose span covers
  // the parentheses, so the text of a part reads as written.
  TIERKIT_NOINLINE node_ptr parenthesized(const node_ptr& inner, std::size_t b) {
    const std::size_t e = peek().end;
    expect(tok::rparen, "')'");
    auto wrapped = std::make_shared<expr_node>(*inner);
    wrapped->begin = b;
    wrapped->end = e;
    return wrapped;
  }
  // A literal or a column name. Out of line: its locals stay off the frames of the recursion
  // through parentheses.
  TIERKIT_NOINLINE node_ptr parse_leaf() {
    const token& t = peek();
    auto leaf = [&](op k) {
      auto n = std::make_shared<expr_node>();
      n->kind = k;
      n->begin = t.pos;
      n->end = t.end;
      return n;
    };
    switch (t.kind) {
      case tok::number: {
        auto n = leaf(op::number_lit);
        n->number = t.number;
        next();
        return n;
      }
      case tok::text: {
        auto n = leaf(op::text_lit);
        n->text = t.value;
        next();
        return n;
      }
      case tok::ident: {
        if (!t.quoted) {
          const std::string k = lower(t.value);
          if (k == "true" || k == "false") {
            auto n = leaf(op::number_lit);
            n->number = k == "true" ? 1 : 0;
            next();
            return n;
          }
          if (k == "date" && peek(1).kind == tok::text) {
            next();
            const token& lit = next();
            int y = 0, m = 0, d = 0;
            char extra = 0;
            if (std::sscanf(lit.value.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 ||
                m > 12 || d < 1 || d > 31 || civil_from_days(days_from_civil(y, m, d)).day != d) {
              fail(lit, "expected a date 'YYYY-MM-DD', found '" + lit.value + "'");
            }
            auto n = std::make_shared<expr_node>();
            n->kind = op::number_lit;
            n->number = days_from_civil(y, m, d);
            n->begin = t.pos;
            n->end = lit.end;
            return n;
          }
          static const char* reserved[] = {"and", "or", "not", "between", "in", "is", "null"};
          for (const char* r : reserved) {
            if (k == r) fail(t, "expected a value, found the keyword '" + t.value + "'");
          }
        }
        auto n = leaf(op::column);
        n->text = t.value;
        next();
        return n;
      }
      case tok::end:
        fail(t, "expected a value, found end of text");
      default:
        fail(t, "expected a value, found " + describe_token(t));
    }
  }

  const std::string& text_;
  const std::string& what_;
  std::vector<token> toks_;
  std::size_t i_ = 0;
};

// ---- types ---------------------------------------------------------------------------------
enum class type : std::uint8_t { number, text, boolean };

const char* type_name(type t) {
  return t == type::number ? "number" : t == type::text ? "text" : "condition";
}

std::string source(const std::string& text, const expr_node& n) {
  return text.substr(n.begin, n.end - n.begin);
}

std::string describe_operand(const std::string& text, const expr_node& n, type t) {
  if (n.kind == op::column) return std::string(type_name(t)) + " column '" + n.text + "'";
  if (n.kind == op::number_lit || n.kind == op::text_lit) {
    return std::string(type_name(t)) + " " + source(text, n);
  }
  return std::string(type_name(t)) + " '" + source(text, n) + "'";
}

// The type checker recurses once per level of the tree; its error messages are built out
// of line (TIERKIT_NOINLINE), so that their strings stay off the recursion's frames.
struct type_checker {
  const rule_table& schema;
  const std::string& text;
  const std::string& what;

  [[noreturn]] TIERKIT_NOINLINE void fail(const std::string& m) const {
    throw schema_error("tierkit: " + what + ": " + m);
  }
  [[noreturn]] TIERKIT_NOINLINE void no_column(const expr_node& n) const {
    fail("no column '" + n.text + "'" + detail::suggest_names(n.text, schema.names()));
  }
  [[noreturn]] TIERKIT_NOINLINE void needs_numbers(const char* role, const expr_node& a, type t) const {
    fail(std::string(role) + " needs numbers, but " + describe_operand(text, a, t) + " is text");
  }
  [[noreturn]] TIERKIT_NOINLINE void cannot_compare(const expr_node& n, type a, type b) const {
    fail("cannot compare " + describe_operand(text, *n.args[0], a) + " with " + describe_operand(text, *n.args[1], b));
  }
  [[noreturn]] TIERKIT_NOINLINE void cannot_look_for(const expr_node& n, type a) const {
    fail("cannot look for " + describe_operand(text, *n.args[0], a) + " in a list of " +
         (n.set_is_text ? "text" : "numbers"));
  }
  [[noreturn]] TIERKIT_NOINLINE void needs_conditions(const expr_node& n, const expr_node& a, type t) const {
    fail(std::string("'") + (n.kind == op::and_ ? "and" : n.kind == op::or_ ? "or" : "not") +
         "' needs conditions, but " + describe_operand(text, a, t) + " is text");
  }

  void need_number(const expr_node& a, const char* role) const {
    const type t = of(a);
    if (t == type::text) needs_numbers(role, a, t);
  }

  type of(const expr_node& n) const {
    switch (n.kind) {
      case op::number_lit: return type::number;
      case op::text_lit: return type::text;
      case op::column: {
        const rule_column* c = schema.find(n.text);
        if (!c) no_column(n);
        return c->kind == value_kind::number ? type::number : type::text;
      }
      case op::neg:
        need_number(*n.args[0], "'-'");
        return type::number;
      case op::add: case op::sub: case op::mul: case op::div: case op::mod: {
        const char* sym = n.kind == op::add ? "'+'" : n.kind == op::sub ? "'-'" : n.kind == op::mul ? "'*'"
                          : n.kind == op::div ? "'/'" : "'%'";
        need_number(*n.args[0], sym);
        need_number(*n.args[1], sym);
        return type::number;
      }
      case op::eq: case op::ne: case op::lt: case op::le: case op::gt: case op::ge: {
        type a = of(*n.args[0]), b = of(*n.args[1]);
        if (a == type::boolean) a = type::number;
        if (b == type::boolean) b = type::number;
        if (a != b) cannot_compare(n, a, b);
        return type::boolean;
      }
      case op::between: case op::not_between:
        for (const auto& a : n.args) need_number(*a, "'between'");
        return type::boolean;
      case op::in: case op::not_in: {
        const type a = of(*n.args[0]);
        if ((a == type::text) != n.set_is_text) cannot_look_for(n, a);
        return type::boolean;
      }
      case op::is_null: case op::is_not_null:
        of(*n.args[0]);
        return type::boolean;
      case op::and_: case op::or_: case op::not_:
        for (const auto& a : n.args) {
          const type t = of(*a);
          if (t == type::text) needs_conditions(n, *a, t);
        }
        return type::boolean;
    }
    return type::boolean;
  }
};

type type_of(const expr_node& n, const rule_table& schema, const std::string& text, const std::string& what) {
  return type_checker{schema, text, what}.of(n);
}

void collect_columns(const expr_node& n, std::vector<std::string>& out) {
  if (n.kind == op::column && std::find(out.begin(), out.end(), n.text) == out.end()) out.push_back(n.text);
  for (const auto& a : n.args) collect_columns(*a, out);
}

void collect_conjuncts(const node_ptr& n, std::vector<node_ptr>& out) {
  if (n->kind == op::and_) {
    collect_conjuncts(n->args[0], out);
    collect_conjuncts(n->args[1], out);
  } else {
    out.push_back(n);
  }
}

}  // namespace

expression::expression() = default;
expression::~expression() = default;
expression::expression(const expression&) = default;
expression& expression::operator=(const expression&) = default;
expression::expression(expression&&) noexcept = default;
expression& expression::operator=(expression&&) noexcept = default;

expression expression::parse(const std::string& text, const std::string& what) {
  expression e;
  e.text_ = text;
  e.what_ = what;
  e.root_ = parser(text, what).parse();
  return e;
}

std::vector<std::string> expression::columns() const {
  std::vector<std::string> out;
  if (root_) collect_columns(*root_, out);
  return out;
}

void expression::check(const rule_table& schema) const {
  if (!root_) throw invalid_input("tierkit: " + what_ + ": empty expression");
  // A condition must be a condition or a number: text has no truth (and evaluating it would
  // read a text column's codes as numbers).
  if (type_of(*root_, schema, text_, what_) == type::text) {
    throw schema_error("tierkit: " + what_ + ": '" + text_ + "' is text; a condition is needed");
  }
}

void expression::evaluate(const rule_table& table, std::size_t begin, std::size_t end,
                          std::uint8_t* out) const {
  if (begin > end || end > table.rows()) {
    throw invalid_input("tierkit: " + what_ + ": rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                        ") are not within the table's " + std::to_string(table.rows()) + " rows");
  }
  // In blocks, so that the evaluator's working buffers stay small, ending where pieces of a
  // column meet.
  const std::vector<std::size_t>& bounds = table.piece_bounds();
  auto next_bound = std::upper_bound(bounds.begin(), bounds.end(), begin);
  for (std::size_t b = begin; b < end;) {
    while (next_bound != bounds.end() && *next_bound <= b) ++next_bound;
    const std::size_t limit = next_bound == bounds.end() ? end : std::min(end, *next_bound);
    const std::size_t count = std::min(limit - b, detail::rule_block_rows);
    detail::evaluate_truth(table, *root_, detail::row_selection{b, count, nullptr}, out + (b - begin));
    b += count;
  }
}

void expression::evaluate_rows(const rule_table& table, std::size_t begin, const std::uint32_t* rows,
                               std::size_t count, std::uint8_t* out) const {
  // The rows must ascend and lie inside the table (one compare per row: the evaluation that
  // follows costs many times that).
  std::size_t unordered = 0;
  for (std::size_t i = 1; i < count; ++i) unordered += rows[i] <= rows[i - 1];
  if (unordered > 0 || (count > 0 && begin + rows[count - 1] >= table.rows())) {
    throw invalid_input("tierkit: " + what_ + ": the rows to evaluate must ascend and lie within the table's " +
                        std::to_string(table.rows()) + " rows (" + std::to_string(unordered) +
                        " out of order, the last at " +
                        std::to_string(count > 0 ? begin + rows[count - 1] : begin) + ")");
  }
  evaluate_selected(table, begin, rows, count, out);
}

void expression::evaluate_selected(const rule_table& table, std::size_t begin, const std::uint32_t* rows,
                                   std::size_t count, std::uint8_t* out) const {
  // Runs of rows within one piece of every column, at most a block's worth at a time (the
  // evaluator's working buffers are as long as the run).
  const std::vector<std::size_t>& bounds = table.piece_bounds();
  for (std::size_t i = 0; i < count;) {
    const auto next_bound = std::upper_bound(bounds.begin(), bounds.end(), begin + rows[i]);
    std::size_t j = count;
    if (next_bound != bounds.end()) {
      j = static_cast<std::size_t>(std::lower_bound(rows + i, rows + count, *next_bound - begin,
                                                    [](std::uint32_t r, std::size_t v) { return r < v; }) - rows);
    }
    j = std::min(j, i + detail::rule_block_rows);
    detail::evaluate_truth(table, *root_, detail::row_selection{begin, j - i, rows + i}, out + i);
    i = j;
  }
}

std::vector<std::uint8_t> expression::evaluate(const rule_table& table, unsigned threads) const {
  check(table);
  const std::size_t n = table.rows();
  std::vector<std::uint8_t> out(n);
  detail::for_row_blocks(n, table.piece_bounds(), threads,
                         [&](std::size_t b, std::size_t e) { evaluate(table, b, e, out.data() + b); });
  return out;
}

std::vector<double> expression::evaluate_numbers(const rule_table& table, unsigned threads) const {
  if (!root_) throw invalid_input("tierkit: " + what_ + ": empty expression");
  if (type_of(*root_, table, text_, what_) == type::text) {
    throw schema_error("tierkit: " + what_ + ": '" + text_ + "' is text; a number or a condition is needed");
  }
  const std::size_t n = table.rows();
  std::vector<double> out(n);
  detail::for_row_blocks(n, table.piece_bounds(), threads, [&](std::size_t b, std::size_t e) {
    detail::evaluate_numbers(table, *root_, detail::row_selection{b, e - b, nullptr}, out.data() + b);
  });
  return out;
}

std::vector<expression> expression::conjuncts() const {
  std::vector<node_ptr> parts;
  if (root_) collect_conjuncts(root_, parts);
  std::vector<expression> out;
  for (const node_ptr& p : parts) {
    expression e;
    e.text_ = text_.substr(p->begin, p->end - p->begin);
    e.what_ = what_;
    // Re-parse the part's own text so that its spans start at 0 (needed for messages).
    e.root_ = parser(e.text_, what_).parse();
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<column_constraint> expression::constraints(bool& simple) const {
  simple = true;
  std::vector<column_constraint> out;
  std::vector<node_ptr> parts;
  if (root_) collect_conjuncts(root_, parts);
  auto slot = [&](const std::string& col, value_kind kind) -> column_constraint* {
    for (column_constraint& c : out) {
      if (c.column == col) return c.kind == kind ? &c : nullptr;
    }
    column_constraint c;
    c.column = col;
    c.kind = kind;
    out.push_back(c);
    return &out.back();
  };
  auto tighten_lo = [](column_constraint& c, double v, bool open) {
    if (v > c.lo || (v == c.lo && open)) {
      c.lo = v;
      c.lo_open = open;
    }
  };
  auto tighten_hi = [](column_constraint& c, double v, bool open) {
    if (v < c.hi || (v == c.hi && open)) {
      c.hi = v;
      c.hi_open = open;
    }
  };
  for (const node_ptr& p : parts) {
    const expr_node& e = *p;
    const bool cmp = e.kind == op::eq || e.kind == op::lt || e.kind == op::le || e.kind == op::gt || e.kind == op::ge;
    if (cmp && e.args[0]->kind == op::column && e.args[1]->kind == op::number_lit) {
      column_constraint* c = slot(e.args[0]->text, value_kind::number);
      if (!c) { simple = false; continue; }
      const double v = e.args[1]->number;
      switch (e.kind) {
        case op::eq: tighten_lo(*c, v, false); tighten_hi(*c, v, false); break;
        case op::lt: tighten_hi(*c, v, true); break;
        case op::le: tighten_hi(*c, v, false); break;
        case op::gt: tighten_lo(*c, v, true); break;
        default: tighten_lo(*c, v, false); break;
      }
    } else if (cmp && e.args[1]->kind == op::column && e.args[0]->kind == op::number_lit) {
      column_constraint* c = slot(e.args[1]->text, value_kind::number);
      if (!c) { simple = false; continue; }
      const double v = e.args[0]->number;  // v op column
      switch (e.kind) {
        case op::eq: tighten_lo(*c, v, false); tighten_hi(*c, v, false); break;
        case op::lt: tighten_lo(*c, v, true); break;
        case op::le: tighten_lo(*c, v, false); break;
        case op::gt: tighten_hi(*c, v, true); break;
        default: tighten_hi(*c, v, false); break;
      }
    } else if (e.kind == op::between && e.args[0]->kind == op::column &&
               e.args[1]->kind == op::number_lit && e.args[2]->kind == op::number_lit) {
      column_constraint* c = slot(e.args[0]->text, value_kind::number);
      if (!c) { simple = false; continue; }
      tighten_lo(*c, e.args[1]->number, false);
      tighten_hi(*c, e.args[2]->number, false);
    } else if ((e.kind == op::in || (e.kind == op::eq && e.args[1]->kind == op::text_lit)) &&
               e.args[0]->kind == op::column && (e.kind == op::eq || e.set_is_text)) {
      column_constraint* c = slot(e.args[0]->text, value_kind::text);
      if (!c) { simple = false; continue; }
      std::vector<std::string> allowed = e.kind == op::eq ? std::vector<std::string>{e.args[1]->text} : e.set_texts;
      if (!c->texts_given) {
        c->texts = allowed;
        c->texts_given = true;
      } else {
        std::vector<std::string> keep;
        for (const std::string& s : c->texts) {
          if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) keep.push_back(s);
        }
        c->texts = keep;
      }
    } else if (e.kind == op::is_not_null && e.args[0]->kind == op::column) {
      // implied by every other constraint (a comparison with a null never matches)
    } else if (e.kind == op::number_lit && e.number != 0) {
      // `true`: no constraint
    } else {
      simple = false;
    }
  }
  return out;
}

}  // namespace tierkit
