#pragma once
// Households: roll members' measures up to their household, and hand a household's tier
// back to its members (the Python package's tierkit.Households, python/tierkit/households.py,
// does the key matching and calls these).
//
//   household_membership hm{household_of_row, data_row_of_row, weights, households};
//   household_rollup r = roll_up(metrics, hm, {{"balance", rollup_how::sum}});
//   member_tiers t = hand_back(customer_of_row, customers, household_rank_of_row,
//                              own_rank, hand_back_rule::higher);
//
// Treatments:
// - sum adds the members' values, max takes the largest, weighted adds value x weight (the
//   membership row's weight; 1 when no weights are given). A member's missing value (NaN) is
//   left out; a household none of whose members has a value for a measure gets no value
//   there (valid 0, not 0), so strategies leave it unscored. Values add in membership-row
//   order.
// - A customer in several households counts in each of them (with that membership's weight).
// - A member missing from the data (data row -1) contributes nothing and is counted in the
//   report; a household without members with data keeps its row with no values.
// - Tiers are ranks, 0 the highest, -1 none. Rule "household": a member takes the household's
//   tier (the best among their households); one whose households have no tier keeps their own.
//   Rule "higher": the better of their own and the household's, so handing back never lowers
//   a tier.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tierkit/metric_table.hpp"

namespace tierkit {

// One entry per membership row (customer, household).
struct household_membership {
  std::vector<std::int64_t> household;  // the household, in [0, households)
  std::vector<std::int64_t> data_row;   // the member's row in the data; -1: not in the data
  std::vector<double> weight;           // finite, >= 0; empty: every weight is 1
  std::size_t households = 0;
  // Only the rows marked 1 add their values (members with a chosen role); empty: all.
  std::vector<std::uint8_t> counts;

  std::size_t rows() const noexcept { return household.size(); }
  // Throws invalid_input naming `what`, the problem and the row count: lists of other
  // lengths, households or data rows out of range, negative or non-finite weights.
  void check(const std::string& what, std::size_t data_rows) const;
};

enum class rollup_how : std::uint8_t { sum, max, weighted };
// "sum" / "max" / "weighted"; parse throws invalid_input naming `what` and the text.
const char* rollup_how_name(rollup_how h) noexcept;
rollup_how parse_rollup_how(const std::string& text, const std::string& what);

struct rollup_measure {
  std::string column;
  rollup_how how = rollup_how::sum;
};

struct household_rollup {
  std::vector<std::int64_t> members;            // membership rows per household
  std::vector<std::int64_t> members_with_data;  // of which found in the data
  // Per measure (in the order asked): one value per household, valid 0 where no member had
  // a value.
  std::vector<std::vector<double>> values;
  std::vector<std::vector<std::uint8_t>> valid;
  std::int64_t members_missing = 0;          // membership rows not found in the data
  std::int64_t households_without_data = 0;  // households with no member found
};

// Throws schema_error for a measure column `data` lacks, invalid_input for a bad membership.
household_rollup roll_up(const metric_table& data, const household_membership& membership,
                         const std::vector<rollup_measure>& measures);

enum class hand_back_rule : std::uint8_t { household, higher };
const char* hand_back_rule_name(hand_back_rule r) noexcept;
hand_back_rule parse_hand_back_rule(const std::string& text, const std::string& what);

struct member_tiers {
  std::vector<std::int32_t> tier;            // the rank handed back (-1: none)
  std::vector<std::int32_t> household_tier;  // the best rank among the customer's households
  // The membership row whose household was considered (its tier reached household_tier;
  // the first such row), else the customer's first membership row, else -1.
  std::vector<std::int64_t> household_row;
  std::vector<std::uint8_t> from_household;  // 1: the tier came from the household
  std::int64_t members = 0;  // customers with at least one membership row
  std::int64_t raised = 0, lowered = 0, without_own_tier = 0;
};

// `customer[i]`: the customer (in [0, customers)) of membership row i; `household_rank[i]`:
// the rank of that row's household (-1: no tier); `own_rank`: one per customer (-1: none).
// Throws invalid_input naming the problem and the row count for lists of other lengths and
// customers out of range.
member_tiers hand_back(const std::vector<std::int64_t>& customer, const std::vector<std::int32_t>& household_rank,
                       const std::vector<std::int32_t>& own_rank, hand_back_rule rule);

}  // namespace tierkit
