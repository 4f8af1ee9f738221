#pragma once
// Forward declarations of tierkit's public types.
namespace tierkit {
struct column_view;
class time_zone;
struct transactions;
struct validation_report;
struct row_issue;
struct customer_keys;
struct attribute_column;
class customer_attributes;
struct profile_config;
struct profile;
class profile_state;
struct demo_config;
struct demo_transactions;
struct transition_rules;
struct customer_state;
struct tier_overrides;
struct policy_version;
class tier_ledger;
}  // namespace tierkit
