#include "detail/rule_syntax.hpp"

#include <memory>
#include <string>
#include <vector>

#include "detail/expr_node.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "tierkit/expression.hpp"

namespace tierkit::detail {

namespace {

using type = expr_type;

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

}  // namespace

expr_type type_of(const expr_node& n, const rule_table& schema, const std::string& text, const std::string& what) {
  return type_checker{schema, text, what}.of(n);
}

}  // namespace tierkit::detail
