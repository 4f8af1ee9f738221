#include "tierkit/expression.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>

#include "detail/expr_node.hpp"
#include "detail/row_blocks.hpp"
#include "detail/rule_evaluator.hpp"
#include "detail/rule_syntax.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

using detail::expr_node;
using detail::expr_type;
using detail::node_ptr;
using detail::op;

namespace {

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
  e.root_ = detail::parse_rule_text(text, what);
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
  if (detail::type_of(*root_, schema, text_, what_) == expr_type::text) {
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
  if (detail::type_of(*root_, table, text_, what_) == expr_type::text) {
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
    e.root_ = detail::parse_rule_text(e.text_, what_);
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