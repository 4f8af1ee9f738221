#pragma once
// Rule tables from tierkit's results: every column of a profile, ready for tier rules, with
// missing values as nulls exactly as the Python API has them.
//
//   tierkit::rule_table t;
//   tierkit::add_profile_columns(t, profile);        // borrows: keep the profile alive
//   policy.assign(t);
//
// Nulls (a rule reading them does not match, SQL's three-valued logic): first_purchase,
// last_purchase, recency and tenure of customers without a purchase line (only returns);
// previous_purchase and median_gap with fewer than two purchase days; average_order_value
// with frequency 0. The profile's own columns hold sentinels there (no_day, NaN): never put
// those columns into a rule table by hand with int32_column, or `recency <= 90` would match
// customers who never bought.
#include <string>
#include <vector>

#include "tierkit/expression.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

// Adds the profile's columns (all of them, or those named) under their profile names:
// first_purchase, last_purchase, recency, tenure, previous_purchase, median_gap, frequency,
// purchase_days, transactions, returns, monetary, gross_sales, returns_value,
// average_order_value, and quantity, channels, categories when computed. Dates are day
// numbers (compare them with date 'YYYY-MM-DD'). Columns are borrowed (the profile must
// outlive the table); the validity masks are the table's. schema_error names a column the
// profile does not have (and why: a setting that left it out).
void add_profile_columns(rule_table& table, const profile& p, const std::vector<std::string>& only = {});

// Adds a strategy's scores (score_table: rows in the order of the metric table it was
// applied to, which for a metric_table::from_profile is the profile's) to a rule table,
// copied: integer and number columns as numbers with null where a customer is unscored
// (NaN in the table), label columns as text (codes, -1 = null). `only`: these columns, in
// this order (default: every column). schema_error names a column the scores do not have;
// a length differing from the table's columns is refused as for any column.
void add_score_columns(rule_table& table, const score_table& scores, const std::vector<std::string>& only = {});

}  // namespace tierkit
