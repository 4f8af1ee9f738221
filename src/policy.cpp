#include "tierkit/policy.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include "detail/cancel_point.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.tier_policy";

std::string rule_name(std::size_t i, const tier_rule& r) {
  return "rule " + std::to_string(i + 1) + " ('" + r.tier + "')";
}

// Does constraint `inner` imply constraint `outer` (every value inner allows, outer allows)?
bool implies(const column_constraint& inner, const column_constraint& outer) {
  if (inner.kind != outer.kind) return false;
  if (inner.kind == value_kind::text) {
    if (!outer.texts_given) return true;
    if (!inner.texts_given) return false;
    for (const std::string& s : inner.texts) {
      if (std::find(outer.texts.begin(), outer.texts.end(), s) == outer.texts.end()) return false;
    }
    return true;
  }
  const bool lo_ok = inner.lo > outer.lo || (inner.lo == outer.lo && (inner.lo_open || !outer.lo_open));
  const bool hi_ok = inner.hi < outer.hi || (inner.hi == outer.hi && (inner.hi_open || !outer.hi_open));
  return lo_ok && hi_ok;
}

bool empty(const column_constraint& c) {
  if (c.kind == value_kind::text) return c.texts_given && c.texts.empty();
  return c.lo > c.hi || (c.lo == c.hi && (c.lo_open || c.hi_open));
}

std::string value_text(const rule_column& c, std::size_t row) {
  if (c.is_null(row)) return "null";
  if (c.kind == value_kind::text) return "'" + std::string(c.text_at(row)) + "'";
  return detail::format_number(c.number_at(row));
}
}  // namespace

tier_policy::tier_policy(std::vector<tier_rule> rules, std::string default_tier,
                         std::map<std::string, std::string> default_attributes)
    : rules_(std::move(rules)),
      default_tier_(std::move(default_tier)),
      default_attributes_(std::move(default_attributes)) {
  if (default_tier_.empty()) throw invalid_input(std::string(fn) + ": the default tier has no name");
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].tier.empty()) throw invalid_input(std::string(fn) + ": rule " + std::to_string(i + 1) + " has no tier name");
  }
  compile();
}

void tier_policy::compile() {
  compiled_.clear();
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    compiled_.push_back(expression::parse(rules_[i].condition, rule_name(i, rules_[i])));
  }
}

std::vector<std::string> tier_policy::columns() const {
  std::vector<std::string> out;
  for (const expression& e : compiled_) {
    for (const std::string& c : e.columns()) {
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
  }
  return out;
}

void tier_policy::check_schema(const rule_table& table) const {
  for (const expression& e : compiled_) e.check(table);
}

std::vector<std::int32_t> tier_policy::assign(const rule_table& table, unsigned threads) const {
  std::vector<std::int32_t> out(table.rows());
  assign_into(table, out.data(), out.size(), -1, threads);
  return out;
}

void tier_policy::assign_into(const rule_table& table, std::int32_t* out, std::size_t out_size,
                              std::int32_t unmatched, unsigned threads) const {
  check_schema(table);
  const std::size_t n = table.rows();
  if (out_size != n) {
    throw invalid_input("tierkit.tier_policy.assign_into: the output holds " + std::to_string(out_size) +
                        " values for a table of " + std::to_string(n) + " rows");
  }
  detail::cancel_point cancel("tierkit.tier_policy.assign");
  // Asked once on the calling thread before any block: the blocks' own checks ask the hook
  // only where the calling thread runs them, and workers may take every block of a small
  // table (a request made before the call was then missed, depending on scheduling).
  cancel.check();
  detail::for_row_blocks(n, table.piece_bounds(), threads, [&](std::size_t b, std::size_t e) {
    cancel.check();  // before a block: a cancelled call's output is discarded by the caller
    const std::size_t count = e - b;
    std::int32_t* tier = out + b;
    std::fill(tier, tier + count, -1);
    const std::unique_ptr<std::uint8_t[]> truth(new std::uint8_t[count]);
    // Each rule reads only the rows no earlier rule took. While most rows are open, a rule
    // runs over the whole block (dense loops beat gathers); then over the list of open rows.
    const std::unique_ptr<std::uint32_t[]> open(new std::uint32_t[count]);
    std::size_t left = count;
    bool dense = true;
    for (std::size_t r = 0; r < compiled_.size() && left > 0; ++r) {
      const auto rule = static_cast<std::int32_t>(r);
      std::size_t kept = 0;
      if (dense) {
        compiled_[r].evaluate(table, b, e, truth.get());
        {
          // Restrict: within this scope the tiers are accessed through `t` only.
          std::int32_t* __restrict t = tier;
          const std::uint8_t* __restrict holds = truth.get();
          for (std::size_t i = 0; i < count; ++i) {  // branch-free masks (rows are unpredictable)
            const std::int32_t was = t[i];
            const std::int32_t take = -static_cast<std::int32_t>((was < 0) & (holds[i] == is_true));
            const std::int32_t now = (was & ~take) | (rule & take);
            t[i] = now;
            kept += static_cast<std::size_t>(now < 0);
          }
        }
        if (kept * 4 <= count * 3) {
          std::size_t j = 0;
          for (std::size_t i = 0; i < count; ++i) {
            open[j] = static_cast<std::uint32_t>(i);
            j += static_cast<std::size_t>(tier[i] < 0);
          }
          dense = false;
        }
      } else {
        compiled_[r].evaluate_selected(table, b, open.get(), left, truth.get());
        for (std::size_t j = 0; j < left; ++j) {
          const std::uint32_t i = open[j];
          const std::int32_t take = -static_cast<std::int32_t>(truth[j] == is_true);
          tier[i] = (tier[i] & ~take) | (rule & take);
          open[kept] = i;
          kept += static_cast<std::size_t>(take == 0);
        }
      }
      left = kept;
    }
    if (unmatched != -1) {
      for (std::size_t i = 0; i < count; ++i) tier[i] = tier[i] < 0 ? unmatched : tier[i];
    }
  });
}

const std::string& tier_policy::tier_of(std::int32_t rule_index) const {
  if (rule_index == -1) return default_tier_;
  if (rule_index < 0 || static_cast<std::size_t>(rule_index) >= rules_.size()) {
    throw invalid_input("tierkit::tier_policy::tier_of: rule index " + std::to_string(rule_index) +
                        " is not -1 (the default) or a rule of this policy (0 to " +
                        std::to_string(rules_.size()) + " - 1)");
  }
  return rules_[static_cast<std::size_t>(rule_index)].tier;
}

std::vector<tier_count> tier_policy::summarize(const std::vector<std::int32_t>& assigned,
                                               const std::vector<double>* value) const {
  constexpr const char* f = "tierkit::tier_policy::summarize";
  if (value != nullptr && value->size() != assigned.size()) {
    throw invalid_input(std::string(f) + ": value has " + std::to_string(value->size()) +
                        " rows, the assignment " + std::to_string(assigned.size()));
  }
  // Tiers in order of first naming; slot_of_rule maps rule index + 1 (0: the default) to them.
  std::vector<tier_count> out;
  std::vector<std::size_t> slot_of_rule(rules_.size() + 1);
  auto slot = [&](const std::string& tier) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i].tier == tier) return i;
    }
    out.push_back(tier_count{tier, {}, 0, 0, 0, 0});
    return out.size() - 1;
  };
  for (std::size_t r = 0; r < rules_.size(); ++r) {
    slot_of_rule[r + 1] = slot(rules_[r].tier);
    out[slot_of_rule[r + 1]].rules.push_back(r);
  }
  slot_of_rule[0] = slot(default_tier_);
  std::vector<double> sums(out.size(), 0.0);
  std::int64_t bad = 0;
  double total = 0;
  for (std::size_t i = 0; i < assigned.size(); ++i) {
    const std::int32_t r = assigned[i];
    if (r < -1 || r >= static_cast<std::int32_t>(rules_.size())) {
      ++bad;
      continue;
    }
    const std::size_t s = slot_of_rule[static_cast<std::size_t>(r + 1)];
    ++out[s].customers;
    if (value != nullptr && !std::isnan((*value)[i])) {
      sums[s] += (*value)[i];
      total += (*value)[i];
    }
  }
  if (bad > 0) {
    throw invalid_input(std::string(f) + ": " + std::to_string(bad) + " rows hold a rule index the "
                        "policy does not have (its " + std::to_string(rules_.size()) + " rules and -1)");
  }
  for (std::size_t s = 0; s < out.size(); ++s) {
    out[s].share = assigned.empty() ? 0.0 : static_cast<double>(out[s].customers) / static_cast<double>(assigned.size());
    out[s].value = sums[s];
    out[s].value_share = total != 0 ? sums[s] / total : 0.0;
  }
  return out;
}

rule_check tier_policy::check(const rule_table* table, unsigned threads) const {
  rule_check c;
  const std::size_t nr = rules_.size();
  // Static: conjunctions of simple constraints.
  std::vector<std::vector<column_constraint>> cons(nr);
  std::vector<bool> simple(nr);
  for (std::size_t r = 0; r < nr; ++r) {
    bool s = false;
    cons[r] = compiled_[r].constraints(s);
    simple[r] = s;
    if (s && std::any_of(cons[r].begin(), cons[r].end(), empty)) c.contradictory.push_back(r);
  }
  for (std::size_t j = 0; j < nr; ++j) {
    if (!simple[j]) continue;
    for (std::size_t i = 0; i < j; ++i) {
      if (!simple[i]) continue;
      // Every constraint of rule i holds whenever rule j's hold: rule i takes all of j's rows.
      bool covers = true;
      for (const column_constraint& ci : cons[i]) {
        bool found = false;
        for (const column_constraint& cj : cons[j]) {
          if (cj.column == ci.column && implies(cj, ci)) found = true;
        }
        if (!found) {
          covers = false;
          break;
        }
      }
      if (covers) {
        c.covered.emplace_back(j, i);
        break;
      }
    }
  }
  if (!table) return c;
  check_schema(*table);
  const std::size_t n = table->rows();
  c.matched.assign(nr, 0);
  c.would_match.assign(nr, 0);
  std::vector<std::int32_t> tier(n, -1);
  for (std::size_t r = 0; r < nr; ++r) {
    const std::vector<std::uint8_t> t = compiled_[r].evaluate(*table, threads);
    for (std::size_t i = 0; i < n; ++i) {
      if (t[i] != is_true) continue;
      ++c.would_match[r];
      if (tier[i] < 0) {
        tier[i] = static_cast<std::int32_t>(r);
        ++c.matched[r];
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) c.defaulted += tier[i] < 0 ? 1 : 0;
  for (std::size_t r = 0; r < nr; ++r) {
    if (c.matched[r] == 0) c.unmatched.push_back(r);
  }
  return c;
}

explanation tier_policy::explain(const rule_table& table, std::size_t row) const {
  check_schema(table);
  if (row >= table.rows()) {
    throw invalid_input(std::string(fn) + ": row " + std::to_string(row) + " is beyond the table's " +
                        detail::format_count(static_cast<std::int64_t>(table.rows())) + " rows");
  }
  explanation x;
  for (const std::string& col : columns()) {
    x.values.emplace_back(col, value_text(*table.find(col), row));
  }
  for (std::size_t r = 0; r < rules_.size(); ++r) {
    rule_trial t;
    t.rule = r;
    std::uint8_t v = 0;
    compiled_[r].evaluate(table, row, row + 1, &v);
    t.result = static_cast<truth>(v);
    for (const expression& part : compiled_[r].conjuncts()) {
      std::uint8_t p = 0;
      part.evaluate(table, row, row + 1, &p);
      t.parts.emplace_back(part.text(), static_cast<truth>(p));
    }
    x.tried.push_back(t);
    if (v == is_true) {
      x.matched = static_cast<std::int64_t>(r);
      x.tier = rules_[r].tier;
      return x;
    }
  }
  x.tier = default_tier_;
  return x;
}

}  // namespace tierkit
