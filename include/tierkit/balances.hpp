#pragma once
// Average daily balances (月日均): the balance measure banks tier on.
//
// Input: balance events per account, in one of three forms (balance_input):
//   daily           the account's closing balance on that day;
//   after_movement  the balance after each movement (several a day: the last one, in input
//                   order, closes the day);
//   movements       signed amounts; the balance is the start balance (0 unless given per
//                   account) plus every movement so far.
// Policies:
//   - A day without events carries the last closing balance forward. Before an account's
//     first event its balance is 0 (the account did not hold money yet), or, in the
//     movements form, its start balance.
//   - A period's average daily balance is the sum of the closing balances of its days inside
//     [from_day, through_day) divided by the number of those days; by default from the first
//     day of the period of the first event to the day after the last event, so a partial last
//     period averages over the days it covers (reported as `days`).
//   - Negative balances (overdrafts) count as they are.
//   - Null accounts, days or values, and days outside valid_dates, are invalid input
//     (on_invalid raises or drops, counted).
// Customers: the sum of their accounts' averages through an account -> customer mapping, each
// account optionally weighted by its asset type (a weighted sum of asset balances). Accounts
// without a customer are invalid input; mapped accounts without events count as 0.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit {

enum class balance_input : std::uint8_t { daily, after_movement, movements };
const char* balance_input_name(balance_input b) noexcept;
balance_input parse_balance_input(const std::string& name);

struct balance_events {
  column_view account;  // key column (integers or strings)
  column_view time;     // dates or timestamps
  column_view value;    // balance (daily, after_movement) or signed movement (movements)
};

struct balance_config {
  balance_input input = balance_input::after_movement;
  period_kind period = period_kind::month;
  std::optional<std::int32_t> from_day;     // first day averaged (default: period start of the first event)
  std::optional<std::int32_t> through_day;  // first day not averaged (default: day after the last event)
  time_zone zone;
  invalid_policy on_invalid = invalid_policy::raise;
  // The days an event may be dated, inclusive, as profile_config::valid_dates (default
  // 1900-01-01 to 2200-12-31): an event dated outside is an invalid row (on_invalid). Besides
  // placeholder dates, this keeps a stray 0001-01-01 from making every account carry its
  // balance through two thousand years of days.
  day_range valid_dates;
  unsigned threads = 0;  // 0: every CPU the process may use
};

// Per account (ascending key) and period: the average daily balance and the days averaged.
struct account_balances {
  customer_keys accounts;
  std::vector<std::int64_t> offsets;   // accounts + 1, into the period columns
  std::vector<std::int32_t> period;    // first day of the period
  std::vector<double> average;
  std::vector<std::int32_t> days;      // days of the period inside [from_day, through_day)
  std::int32_t from_day = 0, through_day = 0;
  validation_report report;
};

// Start balances for the movements form: account keys and amounts (accounts not listed
// start at 0).
struct start_balances {
  column_view account;
  column_view balance;
};

account_balances average_daily_balances(const balance_events& events, const balance_config& config,
                                        const start_balances* starts = nullptr);

// The account -> customer mapping, with an optional asset type per account.
struct account_owners {
  column_view account;
  column_view customer;
  std::optional<column_view> asset_type;  // key column; weights by asset type
};

struct customer_balances {
  customer_keys customers;
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> period;
  std::vector<double> average;
  std::int64_t accounts_without_events = 0;
};

// Sums account averages per customer and period. `weights` maps asset types (as text; for
// integer asset types their decimal text) to weights; a type not listed weighs 1 when
// `weights` is empty and is invalid input otherwise.
customer_balances balances_by_customer(const account_balances& balances, const account_owners& owners,
                                       const std::map<std::string, double>& weights = {});

}  // namespace tierkit
