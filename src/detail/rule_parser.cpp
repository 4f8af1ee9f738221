#include "detail/rule_syntax.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detail/expr_node.hpp"
#include "detail/text_matcher.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit::detail {

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

}  // namespace

node_ptr parse_rule_text(const std::string& text, const std::string& what) {
  return parser(text, what).parse();
}

}  // namespace tierkit::detail
