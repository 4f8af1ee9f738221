#pragma once
// The parsed form of a rule expression (include/tierkit/expression.hpp): a tree of nodes,
// built by the parser in expression.cpp and read by the evaluator (rule_evaluator.hpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// Functions kept out of line so that their locals stay off the frames of a recursion
// (the parser's and the evaluator's recursion per level of the tree).
#if defined(_MSC_VER)
#define TIERKIT_NOINLINE __declspec(noinline)
#else
#define TIERKIT_NOINLINE __attribute__((noinline))
#endif

namespace tierkit::detail {

class text_matcher;  // detail/text_matcher.hpp

enum class op : std::uint8_t {
  number_lit, text_lit, column, neg, add, sub, mul, div, mod,
  eq, ne, lt, le, gt, ge, between, not_between, in, not_in, is_null, is_not_null,
  and_, or_, not_
};

struct expr_node {
  op kind = op::number_lit;
  double number = 0;
  std::string text;  // text literal or column name
  std::vector<std::shared_ptr<const expr_node>> args;
  std::vector<double> set_numbers;
  std::vector<std::string> set_texts;
  // The lookup of set_texts, built once by the parser (building it searches for a perfect
  // hash: too costly for every block of rows); null for nodes made otherwise.
  std::shared_ptr<const text_matcher> set_matcher;
  bool set_is_text = false;
  std::size_t begin = 0, end = 0;  // source span
  std::size_t depth = 1;           // levels of the tree below and including this node
};

}  // namespace tierkit::detail
