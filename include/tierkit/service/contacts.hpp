#pragma once
// Contacts and due lists (联系与待办): from a contact log and the tiers at dates, each
// customer's last contact (overall and per channel), the next contact due under its tier's
// cadence, days overdue; the due list for a day or the next N days; occasions (birthdays,
// account anniversaries); and SLA compliance per tier and owner per period.
//
//   tierkit::contact_book book(plan, tiers, log, {as_of});
//   book.status()        // per customer: tier, last contacts; per customer and rule: due
//   book.due(7)          // rows due by as_of + 7, ordered (see due())
//   book.sla({period_kind::month, 12}, &owner_of_customer)
//
// Policies (each tested in tests/cpp/service/test_contacts.cpp):
// - as_of is the day the due list is for. Contacts on days before as_of count; contacts on
//   or after it are left out (counted in the report), as transactions after a profile's
//   as_of are. A contact counts when its outcome is one of the plan's counted_outcomes
//   (all count when that list is empty); otherwise it is an attempt (counted in the report).
// - A rule "every N days" on channel c (any channel when c is empty) is met on day d when a
//   counted contact on c falls in [d - N, d) (as the due list sees it at the start of day
//   d). Its next due day is
//       due = max(last + N, since + first_contact_days)
//   where last is the last counted contact on c before as_of and since the day the customer
//   entered its current tier (the spell's start; an assignment's given day). So a tier
//   change restarts nothing: the clock runs from the last contact, whatever the tier was
//   then, under the current tier's N; a customer who moves to a tier with a shorter
//   cadence and whose last contact is already too old for it is due first_contact_days
//   after the change (0: on the day of the change), never before it. A customer never
//   contacted is due first_contact_days after entering its tier.
// - A rule "k per period" applies from the first whole period the customer holds the tier
//   (a customer who entered mid-period owes nothing for that period). Its due day is the
//   last day of the first period, current or next, whose k contacts are not all made yet;
//   it is never overdue within a period (a missed period shows in the SLA).
// - days_overdue = as_of - due: positive overdue, 0 due today, negative days left.
// - Contacts of customers the tiers do not know, and rows with a null customer or time or a
//   time outside the supported days, are left out and counted (on_invalid = drop, the
//   default: a contact log records work done, not the data tiers come from), or rejected
//   with one invalid_input naming every problem and its row count (on_invalid = raise).
// - SLA of a period [s, e): each customer is judged under the first tier spell that
//   overlaps the period, over the days [max(s, spell start), min(e, as_of)), once per
//   period. It is within cadence when on no judged day an "every N days" rule is overdue
//   (overdue on day d: d > max(last contact before d + N, since + first_contact_days), the
//   due list's view at the start of day d: a contact on the day after the due day leaves
//   that day overdue)
//   and every "k per period" rule met k in each of its periods that began on or after the
//   customer entered the tier and ended within the judged days. Customers without a tier,
//   or whose tier has no cadence, are not judged.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tierkit/column.hpp"
#include "tierkit/service/plan.hpp"
#include "tierkit/service/tiers.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit {

// A contact log: one row per contact. Columns are read in place.
struct contact_log {
  column_view customer;                 // keys of the tiers' kind (integers or text)
  column_view time;                     // date32, date64 or timestamps
  std::optional<column_view> channel;   // text (or dictionary of text); null: no channel
  std::optional<column_view> outcome;   // text; read when the plan lists counted_outcomes
};

struct contact_config {
  std::int32_t as_of = 0;   // the day the due list is for; contacts before it count
  time_zone zone;           // days of UTC-instant timestamps
  invalid_policy on_invalid = invalid_policy::drop;
  unsigned threads = 0;     // 0: every CPU the process may use
};

// What happened to the log's rows: rows_read = rows_used + rows_dropped + unknown_customers
// + after_as_of + not_counted.
struct contact_report {
  std::int64_t rows_read = 0;
  std::int64_t rows_used = 0;          // counted contacts of known customers before as_of
  std::int64_t rows_dropped = 0;       // invalid rows (null customer or time, days out of range)
  std::vector<row_issue> dropped;      // per column and problem
  std::int64_t unknown_customers = 0;  // rows of customers the tiers do not hold
  std::int64_t after_as_of = 0;        // rows on or after as_of
  std::int64_t not_counted = 0;        // attempts: outcomes not among counted_outcomes
  std::int64_t other_channels = 0;     // used rows on channels the plan does not name (they
                                       // count for any-channel rules only)
};

// Per customer at as_of, and per customer and cadence rule of its tier.
struct contact_status {
  std::int32_t as_of = 0;
  std::vector<std::string> channels;          // the plan's channels (columns of last_by_channel)
  // per customer, in the tiers' order
  std::vector<std::int32_t> tier;             // tier on as_of; -1: none
  std::vector<std::int32_t> since;            // the start of that spell; no_day without a tier
  std::vector<std::int32_t> last_contact;     // last counted contact before as_of; no_day
  std::vector<std::int64_t> contacts;         // counted contacts before as_of
  std::vector<std::int32_t> last_by_channel;  // customers x channels, row-major; no_day
  // per (customer, rule of its tier): customers ascending, rules in plan order
  std::vector<std::uint32_t> customer;
  std::vector<std::int32_t> rule;             // index into the tier's cadence
  std::vector<std::int32_t> last;             // last contact counting for the rule; no_day
  std::vector<std::int32_t> due;              // next due day
  std::vector<std::int32_t> remaining;        // contacts still owed by `due` (1 for every-N rules)

  std::size_t rows() const noexcept { return customer.size(); }
};

// Rows of the status due by a day, ordered by tier rank (highest first), days overdue (most
// first), value (highest first, none last), customer key (ascending), rule.
struct due_list {
  std::int32_t as_of = 0;
  std::int32_t through = 0;                   // rows with due <= through
  std::vector<std::uint32_t> customer;
  std::vector<std::int32_t> tier;
  std::vector<std::int32_t> rule;
  std::vector<std::int32_t> last;
  std::vector<std::int32_t> due;
  std::vector<std::int32_t> days_overdue;     // as_of - due
  std::vector<std::int32_t> remaining;

  std::size_t size() const noexcept { return customer.size(); }
};

// Periods judged by the SLA: `periods` periods of `period` kind, the last one holding
// as_of - 1 (judged through as_of - 1 when incomplete).
struct sla_config {
  period_kind period = period_kind::month;
  std::int32_t periods = 12;
};

// Per period, tier and owner with judged customers: how many were within cadence.
struct sla_table {
  std::vector<std::int32_t> period;      // first day
  std::vector<std::int32_t> judged_to;   // judged through the day before: min(period end, as_of)
  std::vector<std::int32_t> tier;
  std::vector<std::int32_t> owner;       // as given per customer; -1: none
  std::vector<std::int64_t> customers;   // judged
  std::vector<std::int64_t> within;      // within cadence on every judged day

  std::size_t size() const noexcept { return period.size(); }
};

// Compliance of one customer in one period.
enum class cadence_state : std::uint8_t { not_judged = 0, within = 1, missed = 2 };

class contact_book {
 public:
  // Reads the log once: validates it, finds each contact's customer, and keeps the counted
  // contacts before as_of of known customers, by customer in day order. `plan` and `tiers`
  // are borrowed (they must outlive the book) and validated; a log whose customer keys are
  // of the other kind (text for integer tiers) is a schema_error.
  contact_book(const service_plan& plan, const service_tiers& tiers, const contact_log& log,
               const contact_config& config);
  ~contact_book();
  contact_book(contact_book&&) noexcept;
  contact_book& operator=(contact_book&&) noexcept;

  const contact_report& report() const noexcept;
  std::int32_t as_of() const noexcept;
  const service_plan& plan() const noexcept;
  const service_tiers& tiers() const noexcept;
  // The plan's channels; a contact's channel slot is its index there, or channels().size()
  // for any other channel (or none).
  const std::vector<std::string>& channels() const noexcept;
  // The kept contacts: customer i's are [offsets()[i], offsets()[i + 1]) of contacts(), in
  // day order, each packed with its channel slot (day_of, slot_of read them back).
  const std::vector<std::int64_t>& offsets() const noexcept;
  const std::vector<std::uint32_t>& contacts() const noexcept;
  static std::int32_t day_of(std::uint32_t packed) noexcept;
  static std::uint32_t slot_of(std::uint32_t packed) noexcept;

  contact_status status() const;
  // Rows due on or before as_of + within_days (within_days >= 0; 0: due today or overdue).
  due_list due(std::int32_t within_days) const;
  // Per customer: its compliance over [from, to) (to <= as_of), judged as the SLA judges a
  // period (see the header).
  std::vector<cadence_state> within_cadence(std::int32_t from, std::int32_t to) const;
  // The SLA per period, tier and owner. `owner` (per customer, in the tiers' order, -1:
  // none) groups the rows; without it every row has owner -1.
  sla_table sla(const sla_config& config, const std::vector<std::int32_t>* owner = nullptr) const;
  // The first days of the SLA's periods and the day after the last (as_of when the last
  // period is incomplete): periods k is [bounds[k], bounds[k + 1]).
  std::vector<std::int32_t> sla_bounds(const sla_config& config) const;

  struct impl;  // internal (src/service/contacts_impl.hpp)
  const impl& internals() const noexcept { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

// Occasions (生日、开户周年): attribute dates per customer whose anniversary falls within
// [as_of, as_of + days). A 29 February date falls on 28 February in other years. Rows with
// years < 1 (the date itself, or later) are not occasions.
struct occasion_dates {
  customer_keys customers;                       // unique, of the tiers' kind
  std::vector<std::string> names;                // one per date column ("birthday", ...)
  std::vector<std::vector<std::int32_t>> dates;  // per name, per customer; no_day: none
};

struct occasion_list {
  std::vector<std::uint32_t> customer;  // index in the tiers
  std::vector<std::int32_t> tier;       // tier on as_of (-1: none)
  std::vector<std::int32_t> occasion;   // index into names
  std::vector<std::int32_t> date;       // the attribute's date
  std::vector<std::int32_t> on;         // the anniversary's day
  std::vector<std::int32_t> years;      // years since the date
  std::int64_t unknown_customers = 0;   // attribute rows of customers the tiers do not hold

  std::size_t size() const noexcept { return customer.size(); }
};

// Ordered by day, tier rank (customers without a tier last), customer key, occasion.
// `days` in [0, 366]; invalid_input otherwise, or for repeated keys or lengths that differ.
occasion_list find_occasions(const service_tiers& tiers, const occasion_dates& dates,
                             std::int32_t as_of, std::int32_t days);

// The day of the anniversary of `date` in `year` (29 February -> 28 February in years
// without it).
std::int32_t anniversary_in(std::int32_t date, std::int32_t year) noexcept;

}  // namespace tierkit
