#pragma once
// Tier rules and policies: an ordered list of rules (tier name, condition, attached data) and
// a default tier; the first rule whose condition is true names the customer's tier (a null
// condition does not match).
//
// Checks: per rule, the customers it matched and those it would have matched but an earlier
// rule took; rules that can never match on the data; and, where decidable in general (rules
// whose conditions are conjunctions of column-op-literal constraints), rules that can never
// match because their constraints contradict or an earlier rule covers them. Explanations: for
// one customer, every rule tried, the truth of each part of its condition and the values it
// read.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tierkit/expression.hpp"

namespace tierkit {

struct tier_rule {
  std::string tier;
  std::string condition;
  std::map<std::string, std::string> attributes;  // owner role, service level, ...

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & tier & condition & attributes;
  }
};

struct rule_check {
  std::vector<std::int64_t> matched;         // per rule: customers it named
  std::vector<std::int64_t> would_match;     // per rule: customers whose condition was true
  std::int64_t defaulted = 0;                // customers no rule matched
  std::vector<std::size_t> unmatched;        // rules that matched nobody on this data
  std::vector<std::size_t> contradictory;    // rules whose constraints can never all hold
  std::vector<std::pair<std::size_t, std::size_t>> covered;  // (rule, earlier rule covering it)
};

// One tier's share of an assignment (tier_policy::summarize).
struct tier_count {
  std::string tier;
  std::vector<std::size_t> rules;  // the rules naming this tier (none for the default alone)
  std::int64_t customers = 0;
  double share = 0;                // of all customers assigned
  double value = 0;                // the sum of the value column over them (with a value)
  double value_share = 0;          // of the value summed over all customers
};

struct rule_trial {
  std::size_t rule;
  truth result;
  std::vector<std::pair<std::string, truth>> parts;  // each conjunct of the condition
};

struct explanation {
  std::int64_t matched = -1;                 // rule index, -1 = the default tier
  std::string tier;
  std::vector<rule_trial> tried;             // the rules up to and including the match
  std::vector<std::pair<std::string, std::string>> values;  // columns read, as text
};

class tier_policy {
 public:
  tier_policy() = default;
  // Parses every condition; invalid_input names the rule and shows the position.
  tier_policy(std::vector<tier_rule> rules, std::string default_tier,
              std::map<std::string, std::string> default_attributes = {});

  const std::vector<tier_rule>& rules() const noexcept { return rules_; }
  const std::string& default_tier() const noexcept { return default_tier_; }
  const std::map<std::string, std::string>& default_attributes() const noexcept { return default_attributes_; }
  // Every column some rule reads, in order of first use.
  std::vector<std::string> columns() const;

  // Type-checks every rule against the table (schema_error names the rule).
  void check_schema(const rule_table& table) const;
  // Per row: the index of the rule that matched, or -1 for the default tier.
  std::vector<std::int32_t> assign(const rule_table& table, unsigned threads = 0) const;
  // The same into out[0, out_size), with `unmatched` for rows no rule takes; out_size must
  // be table.rows() (invalid_input otherwise). Every element is written, block by block on
  // the threads that evaluate it: fresh memory (an uninitialized numpy array) is first
  // touched on all cores.
  void assign_into(const rule_table& table, std::int32_t* out, std::size_t out_size, std::int32_t unmatched,
                   unsigned threads = 0) const;
  // The tier a rule index of assign() names: the rule's tier, or the default for -1.
  // invalid_input for any other index.
  const std::string& tier_of(std::int32_t rule_index) const;
  // Per tier, in policy order (a tier named by several rules once, where first named), then
  // the default tier unless a rule names it too: customers, share and, with `value` (one
  // per assigned row; NaN counts as 0), the value and its share. An empty assignment has
  // zero shares. invalid_input for a rule index the policy does not have, or a value
  // span of another length.
  std::vector<tier_count> summarize(const std::vector<std::int32_t>& assigned,
                                    const std::vector<double>* value = nullptr) const;
  // Static checks, and with a table the counts of check().
  rule_check check(const rule_table* table = nullptr, unsigned threads = 0) const;
  explanation explain(const rule_table& table, std::size_t row) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & rules_ & default_tier_ & default_attributes_;
    if constexpr (!Archive::is_saving::value) compile();
  }

 private:
  void compile();
  std::vector<tier_rule> rules_;
  std::string default_tier_;
  std::map<std::string, std::string> default_attributes_;
  std::vector<expression> compiled_;
};

}  // namespace tierkit
