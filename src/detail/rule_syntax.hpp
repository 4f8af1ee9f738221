#pragma once
// The rule language from text to a typed tree: the lexer and parser (rule_parser.cpp) and
// the type checker (rule_types.cpp). tierkit::expression (expression.cpp) holds the tree and
// evaluates it over a rule_table (rule_table.cpp).
#include <cstdint>
#include <memory>
#include <string>

#include "detail/expr_node.hpp"
#include "tierkit/expression.hpp"

namespace tierkit::detail {

using node_ptr = std::shared_ptr<const expr_node>;

// The tree of a rule's text; errors (invalid_input) name `what` and point at the place.
node_ptr parse_rule_text(const std::string& text, const std::string& what);

// What a (sub)expression gives: a number, a text or a condition.
enum class expr_type : std::uint8_t { number, text, boolean };

// The type of `n` over the columns of `schema`; a schema_error names `what` when columns are
// missing or operands do not fit their operator.
expr_type type_of(const expr_node& n, const rule_table& schema, const std::string& text,
                  const std::string& what);

}  // namespace tierkit::detail
