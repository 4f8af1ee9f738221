#pragma once
// What the service achieved (服务成效): per period, tier, owner and cadence state (within
// cadence, missed, not judged), the customers, contacts made and planned, complaints and
// survey scores from a feedback log, purchases, sales and buyers from a purchase log.
//
//   tierkit::service_kpis k = tierkit::measure_service(book, config, &owner, &feedback, &sales);
//
// Rows hold additive sums (customers, contacts, planned, complaints, survey_sum, ...), so
// any coarser grouping (per tier and period, per owner, on time versus overdue) is their
// sum; rates are ratios of sums. These are descriptive: customers served on time may differ
// from the others in ways the service did not cause.
//
// Policies: a customer belongs in period [s, e) to the tier (and cadence state) the SLA
// judges it under (contacts.hpp); customers without a tier in the period are left out.
// Events count in the period holding their day, on days before as_of. Contacts made are
// the counted contacts on any channel in the period; planned contacts are, per rule,
// judged days / N for "every N days" and k per judged period for "k per period". A
// purchase is a purchase-log row with amount >= 0; sales are the net sum of amounts (returns
// netted); buyers are customers with a purchase. Feedback rows of kinds that are neither
// complaints nor surveys are counted in the report and otherwise ignored; a survey row
// without a value counts as a survey without a score. Event rows are summed in day and
// value order per customer, so the sums do not depend on the log's row order.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tierkit/column.hpp"
#include "tierkit/service/contacts.hpp"

namespace tierkit {

// An event log: complaints and surveys (kind, value = score), or purchases (value = amount).
struct event_log {
  column_view customer;
  column_view time;
  std::optional<column_view> kind;   // text; feedback logs
  std::optional<column_view> value;  // numbers; survey scores, purchase amounts
};

struct kpi_config {
  sla_config periods;                                  // the periods measured
  std::vector<std::string> complaint_kinds = {"complaint"};
  std::vector<std::string> survey_kinds = {"survey"};
  invalid_policy on_invalid = invalid_policy::drop;    // as for contacts
  unsigned threads = 0;
};

struct event_report {
  std::int64_t rows_read = 0;
  std::int64_t rows_used = 0;
  std::int64_t rows_dropped = 0;       // invalid rows
  std::vector<row_issue> dropped;
  std::int64_t unknown_customers = 0;
  std::int64_t after_as_of = 0;
  std::int64_t other_kinds = 0;        // feedback of other kinds
};

struct service_kpis {
  std::vector<std::int32_t> period;       // first day
  std::vector<std::int32_t> judged_to;    // min(period end, as_of)
  std::vector<std::int32_t> tier;
  std::vector<std::int32_t> owner;        // -1: none
  std::vector<cadence_state> state;
  std::vector<std::int64_t> customers;
  std::vector<std::int64_t> contacts;     // counted contacts made in the period
  std::vector<double> planned;            // contacts the cadence asked for
  std::vector<std::int64_t> complaints;
  std::vector<std::int64_t> surveys;      // survey rows
  std::vector<std::int64_t> scored;       // survey rows with a score
  std::vector<double> survey_sum;         // sum of scores
  std::vector<std::int64_t> purchases;
  std::vector<double> sales;
  std::vector<std::int64_t> buyers;
  event_report feedback_report;
  event_report purchase_report;

  std::size_t size() const noexcept { return period.size(); }
};

// Rows ordered by period, tier rank, owner (-1 first), state. `owner` as for sla();
// `feedback` needs kind (and value for scores); `purchases` needs value. Either may be null.
service_kpis measure_service(const contact_book& book, const kpi_config& config,
                             const std::vector<std::int32_t>* owner = nullptr,
                             const event_log* feedback = nullptr,
                             const event_log* purchases = nullptr);

}  // namespace tierkit
