#include "tierkit/service/contacts.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "detail/customer_log.hpp"  // parallel_blocks, threads_for_rows
#include "detail/decode.hpp"
#include "detail/radix_sort.hpp"
#include "detail/text.hpp"
#include "detail/text_matcher.hpp"
#include "service/contacts_impl.hpp"
#include "service/grouping.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

using detail::day_floor;
using detail::event_day;
using detail::event_tag;

constexpr const char* fn = "tierkit.contact_book";

// The contacts of one customer, in day order.
struct run {
  const std::uint32_t* p;
  std::int64_t n;

  bool matches(std::int64_t j, std::int32_t slot) const noexcept {
    return slot < 0 || event_tag(p[j]) == static_cast<std::uint32_t>(slot);
  }
  // First position with day >= d.
  std::int64_t lower(std::int32_t d) const noexcept {
    return std::lower_bound(p, p + n, day_floor(d)) - p;
  }
  // The last contact on `slot` among positions [0, end), or no_day.
  std::int32_t last_before(std::int64_t end, std::int32_t slot) const noexcept {
    for (std::int64_t j = end - 1; j >= 0; --j) {
      if (matches(j, slot)) return event_day(p[j]);
    }
    return no_day;
  }
  // Contacts on `slot` on days [a, b).
  std::int64_t count(std::int32_t a, std::int32_t b, std::int32_t slot) const noexcept {
    const std::int64_t lo = lower(a), hi = lower(b);
    if (slot < 0) return hi - lo;
    std::int64_t k = 0;
    for (std::int64_t j = lo; j < hi; ++j) k += matches(j, slot);
    return k;
  }
};

// An every-N rule's due day after a contact on `last` (no_day: never) for a customer who
// entered its tier on `since` (contacts.hpp).
inline std::int32_t every_due(std::int32_t last, std::int32_t n, std::int32_t since, std::int32_t first) {
  const std::int32_t floor = since + first;
  return last == no_day ? floor : std::max(last + n, floor);
}

// The last day of the period holding `day`.
inline std::int32_t period_last_day(period_kind k, std::int32_t day) {
  return next_period_start(k, day) - 1;
}

// Doubles as unsigned keys in ascending order (NaN above every number).
inline std::uint64_t orderable(double v) {
  if (std::isnan(v)) return ~std::uint64_t{0};
  v += 0.0;  // -0.0 -> 0.0
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return (b >> 63) ? ~b : (b | (std::uint64_t{1} << 63));
}

// The contact log's channel slots: the plan's channel, or `other` (also for nulls).
detail::event_tagger contact_tagger(const contact_log& log, const std::vector<std::string>& channels,
                                    const std::vector<std::string>& counted) {
  const auto other = static_cast<std::uint16_t>(channels.size());
  auto matcher_for = [](const column_view& c, const std::vector<std::string>& texts, const char* role) {
    const data_type t = c.type == data_type::dictionary && c.dictionary ? c.dictionary->type : c.type;
    if (!is_string_like(t)) {
      throw schema_error(std::string(fn) + ": the " + role + " column " + c.describe() + " must hold text");
    }
    return std::make_shared<detail::text_matcher>(texts);
  };
  // Index of each row's text in `texts`, or -1 (nulls: -1).
  auto indices = [](const column_view& c, const std::shared_ptr<detail::text_matcher>& m) {
    return [&c, m](std::int64_t begin, std::int64_t n, std::int32_t* out) {
      if (c.type == data_type::dictionary) {
        thread_local std::vector<std::int32_t> by_value;
        const column_view& values = *c.dictionary;
        by_value.resize(static_cast<std::size_t>(values.length));
        for (std::int64_t k = 0; k < values.length; ++k) {
          by_value[static_cast<std::size_t>(k)] =
              values.is_valid(k) ? static_cast<std::int32_t>(m->find(detail::string_value(values, k))) : -1;
        }
        const column_view ix = detail::dictionary_indices(c);
        detail::for_each_int(ix, begin, n, [&](std::int64_t i, std::int64_t k) {
          out[i] = (k >= 0 && k < values.length && c.is_valid(begin + i)) ? by_value[static_cast<std::size_t>(k)] : -1;
        });
        return;
      }
      if (m->branch_free() && (c.type == data_type::utf8 || c.type == data_type::large_utf8)) {
        column_view part = c;
        part.offset = c.offset + begin;
        part.length = n;
        m->with_index_of(part, [&](auto index_of) {
          for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<std::int32_t>(index_of(static_cast<std::size_t>(i)));
        });
      } else {
        for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<std::int32_t>(m->find(detail::string_value(c, begin + i)));
      }
      if (c.may_have_nulls()) {
        for (std::int64_t i = 0; i < n; ++i) {
          if (!c.is_valid(begin + i)) out[i] = -1;
        }
      }
    };
  };
  std::function<void(std::int64_t, std::int64_t, std::int32_t*)> channel_of, outcome_of;
  if (log.channel && !channels.empty()) channel_of = indices(*log.channel, matcher_for(*log.channel, channels, "channel"));
  else if (log.channel) matcher_for(*log.channel, {}, "channel");  // type check only
  if (!counted.empty()) {
    if (!log.outcome) {
      throw schema_error(std::string(fn) + ": the plan counts contacts by outcome (counted_outcomes), "
                         "but the log has no outcome column");
    }
    outcome_of = indices(*log.outcome, matcher_for(*log.outcome, counted, "outcome"));
  }
  return [channel_of, outcome_of, other](std::int64_t begin, std::int64_t n, std::uint16_t* tags) {
    thread_local std::vector<std::int32_t> buf;
    buf.resize(static_cast<std::size_t>(n));
    if (channel_of) {
      channel_of(begin, n, buf.data());
      for (std::int64_t i = 0; i < n; ++i) {
        tags[i] = buf[static_cast<std::size_t>(i)] < 0 ? other : static_cast<std::uint16_t>(buf[static_cast<std::size_t>(i)]);
      }
    } else {
      std::fill(tags, tags + n, other);
    }
    if (outcome_of) {
      outcome_of(begin, n, buf.data());
      for (std::int64_t i = 0; i < n; ++i) {
        if (buf[static_cast<std::size_t>(i)] < 0) tags[i] = detail::reject_tag;
      }
    }
  };
}

}  // namespace

const std::vector<std::uint32_t>& contact_book::impl::ranks() const {
  std::call_once(rank_once, [&] {
    const std::vector<std::uint32_t> order = dictionary.sorted_order();
    key_rank.resize(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) key_rank[order[k]] = static_cast<std::uint32_t>(k);
  });
  return key_rank;
}

contact_book::impl::judged contact_book::impl::judge(std::size_t i, std::int32_t s, std::int32_t e) const {
  judged out;
  if (s < e) {
    const std::int32_t b[2] = {s, e};
    judge_periods(i, b, 1, &out);
  }
  return out;
}

// All periods of one customer in one pass: contacts and period bounds are both in day
// order, so each rule walks the customer's contacts once for a run of periods judged under
// the same spell, marking the periods its overdue days fall in.
void contact_book::impl::judge_periods(std::size_t i, const std::int32_t* bounds, std::size_t periods,
                                       judged* out, bool counts) const {
  const service_tiers& t = *tiers;
  const run r{events.packed.data() + events.offsets[i], events.offsets[i + 1] - events.offsets[i]};
  for (std::size_t k = 0; k < periods; ++k) out[k] = judged{};
  if (counts) {  // contacts made per period (any channel)
    std::int64_t j = r.lower(bounds[0]);
    for (std::size_t k = 0; k < periods; ++k) {
      const std::int64_t from = j;
      while (j < r.n && event_day(r.p[j]) < bounds[k + 1]) ++j;
      out[k].made = j - from;
    }
  }
  thread_local std::vector<std::uint8_t> missed, judged_here;
  std::size_t k = 0;
  std::int64_t sp = t.offsets[i];
  const std::int64_t spells_end = t.offsets[i + 1];
  while (k < periods) {
    // The first spell overlapping period k (spells and periods both in day order).
    while (sp < spells_end && t.to[static_cast<std::size_t>(sp)] != no_day &&
           t.to[static_cast<std::size_t>(sp)] <= bounds[k]) {
      ++sp;
    }
    if (sp == spells_end) break;
    if (t.from[static_cast<std::size_t>(sp)] >= bounds[k + 1]) {
      ++k;
      continue;
    }
    // The run of periods [k, k2) whose first spell this is: those it still overlaps.
    std::size_t k2 = k + 1;
    const std::int32_t sp_to = t.to[static_cast<std::size_t>(sp)];
    while (k2 < periods && (sp_to == no_day || sp_to > bounds[k2])) ++k2;
    const std::int32_t tier = t.tier[static_cast<std::size_t>(sp)];
    const std::int32_t since = t.from[static_cast<std::size_t>(sp)];
    for (std::size_t q = k; q < k2; ++q) out[q].tier = tier;
    const tier_service* plan_of = by_tier[static_cast<std::size_t>(tier)];
    if (!plan_of || plan_of->cadence.empty()) {
      k = k2;
      continue;
    }
    missed.assign(k2 - k, 0);
    judged_here.assign(k2 - k, 0);
    const std::vector<std::int32_t>& slots = rule_slot[static_cast<std::size_t>(tier)];
    const std::int32_t g0 = bounds[k], g1 = bounds[k2];
    for (std::size_t ri = 0; ri < plan_of->cadence.size(); ++ri) {
      const contact_rule& rule = plan_of->cadence[ri];
      const std::int32_t slot = slots[ri];
      if (rule.every_days > 0) {
        const std::int32_t n = rule.every_days;
        for (std::size_t q = k; q < k2; ++q) {
          const std::int32_t a = std::max(bounds[q], since);
          if (a < bounds[q + 1]) {
            judged_here[q - k] = 1;
            if (counts) out[q].planned += static_cast<double>(bounds[q + 1] - a) / n;
          }
        }
        // Overdue days: [due(last) + 1, next contact] between contacts, and after the last
        // contact through the end. Their starts never decrease, so `first` only moves on.
        std::size_t first = k;
        auto mark = [&](std::int32_t lo, std::int32_t hi) {
          lo = std::max(lo, g0);
          hi = std::min(hi, g1 - 1);
          if (lo > hi) return;
          while (first < k2 && bounds[first + 1] <= lo) ++first;
          for (std::size_t q = first; q < k2 && bounds[q] <= hi; ++q) {
            // lo > since always (due >= since): the judged days of q are [max(start, since), end).
            missed[q - k] = 1;
          }
        };
        std::int64_t j = r.lower(g0);
        std::int32_t last = r.last_before(j, slot);
        for (; j < r.n; ++j) {
          const std::int32_t d = event_day(r.p[j]);
          if (d >= g1) break;
          if (!r.matches(j, slot)) continue;
          mark(every_due(last, n, since, plan_of->first_contact_days) + 1, d);
          last = d;
        }
        mark(every_due(last, n, since, plan_of->first_contact_days) + 1, g1 - 1);
      } else {
        // Whole periods of the rule that began on or after the customer entered the tier and
        // ended within a judged period; each is counted in the period it ends in.
        for (std::size_t q = k; q < k2; ++q) {
          const std::int32_t e = bounds[q + 1];
          for (std::int32_t ps = period_start(rule.period, bounds[q]);;) {
            const std::int32_t pe = next_period_start(rule.period, ps);
            if (pe > e) break;
            if (ps >= since && pe > bounds[q]) {
              judged_here[q - k] = 1;
              out[q].planned += rule.per_period;
              if (r.count(ps, pe, slot) < rule.per_period) missed[q - k] = 1;
            }
            ps = pe;
          }
        }
      }
    }
    for (std::size_t q = k; q < k2; ++q) {
      if (judged_here[q - k]) out[q].state = missed[q - k] ? cadence_state::missed : cadence_state::within;
    }
    k = k2;
  }
}

contact_book::contact_book(const service_plan& plan, const service_tiers& tiers, const contact_log& log,
                           const contact_config& config)
    : impl_(std::make_unique<impl>()) {
  plan.validate(fn);
  if (!is_supported_day(config.as_of)) {
    throw invalid_input(std::string(fn) + ": as_of must lie within 0001-01-01 to 9999-12-31; got day " +
                        std::to_string(config.as_of));
  }
  impl& m = *impl_;
  m.plan = &plan;
  m.tiers = &tiers;
  m.config = config;
  m.channels = plan.channels();
  std::int64_t repeated = 0;
  m.dictionary = detail::dictionary_of(tiers.customers, &repeated);
  tiers.validate_spells(fn);  // the keys' repeats are counted by the dictionary above
  if (repeated) {
    throw invalid_input(std::string(fn) + ": the tiers' customer keys repeat (" + detail::rows_text(repeated) +
                        " repeat an earlier key); one row per customer is needed");
  }
  m.by_tier.assign(tiers.tier_names.size(), nullptr);
  m.rule_slot.assign(tiers.tier_names.size(), {});
  for (std::size_t t = 0; t < tiers.tier_names.size(); ++t) {
    m.by_tier[t] = plan.find(tiers.tier_names[t]);
    if (!m.by_tier[t]) continue;
    for (const contact_rule& r : m.by_tier[t]->cadence) {
      const auto it = std::find(m.channels.begin(), m.channels.end(), r.channel);
      m.rule_slot[t].push_back(r.channel.empty() ? -1 : static_cast<std::int32_t>(it - m.channels.begin()));
    }
  }
  detail::event_source src;
  src.function = fn;
  src.customer = &log.customer;
  src.time = &log.time;
  src.zone = &config.zone;
  src.as_of = config.as_of;
  src.on_invalid = config.on_invalid;
  src.threads = config.threads;
  m.events = detail::index_events(m.dictionary, tiers.size(), src,
                                  contact_tagger(log, m.channels, plan.counted_outcomes));
  contact_report& r = m.report;
  r.rows_read = m.events.rows_read;
  r.rows_used = m.events.rows_used;
  r.rows_dropped = m.events.rows_dropped;
  r.dropped = m.events.dropped;
  r.unknown_customers = m.events.unknown_customers;
  r.after_as_of = m.events.after_as_of;
  r.not_counted = m.events.rejected;
  const auto other = static_cast<std::uint32_t>(m.channels.size());
  for (std::uint32_t p : m.events.packed) r.other_channels += event_tag(p) == other;
}

contact_book::~contact_book() = default;
contact_book::contact_book(contact_book&&) noexcept = default;
contact_book& contact_book::operator=(contact_book&&) noexcept = default;

const contact_report& contact_book::report() const noexcept { return impl_->report; }
std::int32_t contact_book::as_of() const noexcept { return impl_->config.as_of; }
const service_plan& contact_book::plan() const noexcept { return *impl_->plan; }
const service_tiers& contact_book::tiers() const noexcept { return *impl_->tiers; }
const std::vector<std::string>& contact_book::channels() const noexcept { return impl_->channels; }
const std::vector<std::int64_t>& contact_book::offsets() const noexcept { return impl_->events.offsets; }
const std::vector<std::uint32_t>& contact_book::contacts() const noexcept { return impl_->events.packed; }
std::int32_t contact_book::day_of(std::uint32_t packed) noexcept { return event_day(packed); }
std::uint32_t contact_book::slot_of(std::uint32_t packed) noexcept { return event_tag(packed); }

namespace {

// The due row of one rule (every-N or per-period) of a customer at as_of.
struct rule_row {
  std::int32_t last, due, remaining;
};

rule_row rule_at(const run& r, const contact_rule& rule, std::int32_t slot, std::int32_t since,
                 std::int32_t first_contact_days, std::int32_t as_of) {
  const std::int32_t last = r.last_before(r.n, slot);
  if (rule.every_days > 0) return {last, every_due(last, rule.every_days, since, first_contact_days), 1};
  const std::int32_t ps = period_start(rule.period, as_of);
  const std::int32_t next = next_period_start(rule.period, ps);
  if (since > ps) return {last, period_last_day(rule.period, next), rule.per_period};
  const auto done = static_cast<std::int32_t>(r.count(ps, as_of, slot));
  if (done < rule.per_period) return {last, next - 1, rule.per_period - done};
  return {last, period_last_day(rule.period, next), rule.per_period};
}

}  // namespace

contact_status contact_book::status() const {
  const impl& m = *impl_;
  const service_tiers& t = *m.tiers;
  const std::size_t n = t.size();
  const std::size_t channels = m.channels.size();
  const std::int32_t as_of = m.config.as_of;
  contact_status s;
  s.as_of = as_of;
  s.channels = m.channels;
  s.tier.assign(n, -1);
  s.since.assign(n, no_day);
  s.last_contact.assign(n, no_day);
  s.contacts.assign(n, 0);
  s.last_by_channel.assign(n * channels, no_day);
  // Rows per customer first (the rules of its tier on as_of), then filled in parallel.
  std::vector<std::int64_t> first_row(n + 1, 0);
  std::vector<std::int64_t> spell(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    spell[i] = t.at(i, as_of);
    std::int64_t k = 0;
    if (spell[i] >= 0) {
      const tier_service* p = m.by_tier[static_cast<std::size_t>(t.tier[static_cast<std::size_t>(spell[i])])];
      k = p ? static_cast<std::int64_t>(p->cadence.size()) : 0;
    }
    first_row[i + 1] = first_row[i] + k;
  }
  const auto rows = static_cast<std::size_t>(first_row[n]);
  s.customer.resize(rows);
  s.rule.resize(rows);
  s.last.resize(rows);
  s.due.resize(rows);
  s.remaining.resize(rows);
  const unsigned threads = detail::threads_for_rows(n, m.config.threads);
  constexpr std::size_t block = 1 << 14;
  detail::parallel_blocks((n + block - 1) / block, threads, [&](std::size_t b, unsigned) {
    for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      const run r{m.events.packed.data() + m.events.offsets[i], m.events.offsets[i + 1] - m.events.offsets[i]};
      s.contacts[i] = r.n;
      if (r.n) s.last_contact[i] = event_day(r.p[r.n - 1]);
      std::int32_t* lbc = s.last_by_channel.data() + i * channels;
      for (std::int64_t j = 0; j < r.n; ++j) {
        const std::uint32_t slot = event_tag(r.p[j]);
        if (slot < channels) lbc[slot] = event_day(r.p[j]);
      }
      if (spell[i] < 0) continue;
      const auto sp = static_cast<std::size_t>(spell[i]);
      const std::int32_t tier = t.tier[sp];
      s.tier[i] = tier;
      s.since[i] = t.from[sp];
      const tier_service* p = m.by_tier[static_cast<std::size_t>(tier)];
      if (!p) continue;
      for (std::size_t k = 0; k < p->cadence.size(); ++k) {
        const auto row = static_cast<std::size_t>(first_row[i]) + k;
        const rule_row rr = rule_at(r, p->cadence[k], m.rule_slot[static_cast<std::size_t>(tier)][k], t.from[sp],
                                    p->first_contact_days, as_of);
        s.customer[row] = static_cast<std::uint32_t>(i);
        s.rule[row] = static_cast<std::int32_t>(k);
        s.last[row] = rr.last;
        s.due[row] = rr.due;
        s.remaining[row] = rr.remaining;
      }
    }
  });
  return s;
}

due_list contact_book::due(std::int32_t within_days) const {
  const impl& m = *impl_;
  if (within_days < 0 || within_days > 36'525) {
    throw invalid_input(std::string(fn) + ".due: within_days must be from 0 to 36,525; got " +
                        std::to_string(within_days));
  }
  const service_tiers& t = *m.tiers;
  const std::size_t n = t.size();
  const std::int32_t as_of = m.config.as_of;
  const std::int32_t through = as_of + within_days;
  struct row {
    std::uint32_t customer;
    std::int32_t tier, rule, last, due, remaining;
  };
  const unsigned threads = detail::threads_for_rows(n, m.config.threads);
  constexpr std::size_t block = 1 << 14;
  const std::size_t blocks = (n + block - 1) / block;
  std::vector<std::vector<row>> parts(blocks);
  detail::parallel_blocks(blocks, threads, [&](std::size_t b, unsigned) {
    std::vector<row>& out = parts[b];
    for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      const std::int64_t sp = t.at(i, as_of);
      if (sp < 0) continue;
      const std::int32_t tier = t.tier[static_cast<std::size_t>(sp)];
      const tier_service* p = m.by_tier[static_cast<std::size_t>(tier)];
      if (!p || p->cadence.empty()) continue;
      const run r{m.events.packed.data() + m.events.offsets[i], m.events.offsets[i + 1] - m.events.offsets[i]};
      for (std::size_t k = 0; k < p->cadence.size(); ++k) {
        const rule_row rr = rule_at(r, p->cadence[k], m.rule_slot[static_cast<std::size_t>(tier)][k],
                                    t.from[static_cast<std::size_t>(sp)], p->first_contact_days, as_of);
        if (rr.due <= through) {
          out.push_back(row{static_cast<std::uint32_t>(i), tier, static_cast<std::int32_t>(k), rr.last, rr.due,
                            rr.remaining});
        }
      }
    }
  });
  std::vector<row> rows;
  {
    std::size_t total = 0;
    for (const auto& p : parts) total += p.size();
    rows.reserve(total);
    for (auto& p : parts) {
      rows.insert(rows.end(), p.begin(), p.end());
      p = {};
    }
  }
  // Order: tier rank, days overdue (most first), value (highest first, none last), key, rule.
  // Stable radix sorts from the least significant key to the most (rows are generated in
  // customer and rule order, which the key sort keeps within a customer).
  struct keyed {
    std::uint64_t primary, value;
    std::uint32_t key, row;
  };
  std::vector<keyed> order(rows.size());
  const bool have_value = !t.value.empty();
  std::vector<std::uint32_t> rank_storage;
  const std::vector<std::uint32_t>* rank = nullptr;
  const bool int_keys = !t.customers.is_string;
  if (!int_keys) rank = &m.ranks();
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const row& r = rows[k];
    const auto overdue = static_cast<std::uint32_t>(as_of - r.due) ^ 0x80000000u;  // ascending overdue
    keyed& o = order[k];
    o.primary = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(r.tier)) << 32) | (0xffffffffu - overdue);
    o.value = have_value ? ~orderable(t.value[r.customer]) : 0;
    if (have_value && std::isnan(t.value[r.customer])) o.value = ~std::uint64_t{0};  // none last
    o.key = int_keys ? 0 : (*rank)[r.customer];
    o.row = static_cast<std::uint32_t>(k);
  }
  if (int_keys) {
    detail::radix_sort_by(order, [&](const keyed& o) {
      return static_cast<std::uint64_t>(t.customers.ints[rows[o.row].customer]) ^ (std::uint64_t{1} << 63);
    });
  } else {
    detail::radix_sort_by(order, [](const keyed& o) { return static_cast<std::uint64_t>(o.key); });
  }
  if (have_value) detail::radix_sort_by(order, [](const keyed& o) { return o.value; });
  detail::radix_sort_by(order, [](const keyed& o) { return o.primary; });
  due_list d;
  d.as_of = as_of;
  d.through = through;
  const std::size_t z = order.size();
  d.customer.resize(z);
  d.tier.resize(z);
  d.rule.resize(z);
  d.last.resize(z);
  d.due.resize(z);
  d.days_overdue.resize(z);
  d.remaining.resize(z);
  for (std::size_t k = 0; k < z; ++k) {
    const row& r = rows[order[k].row];
    d.customer[k] = r.customer;
    d.tier[k] = r.tier;
    d.rule[k] = r.rule;
    d.last[k] = r.last;
    d.due[k] = r.due;
    d.days_overdue[k] = as_of - r.due;
    d.remaining[k] = r.remaining;
  }
  return d;
}

std::vector<cadence_state> contact_book::within_cadence(std::int32_t from, std::int32_t to) const {
  const impl& m = *impl_;
  if (!(from < to) || to > m.config.as_of) {
    throw invalid_input(std::string(fn) + ".within_cadence: the days [from, to) must be non-empty and end "
                        "by as_of; got " + format_day(from) + " to " + format_day(to) + " with as_of " +
                        format_day(m.config.as_of));
  }
  const std::size_t n = m.tiers->size();
  std::vector<cadence_state> out(n);
  const unsigned threads = detail::threads_for_rows(n, m.config.threads);
  constexpr std::size_t block = 1 << 14;
  detail::parallel_blocks((n + block - 1) / block, threads, [&](std::size_t b, unsigned) {
    for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) out[i] = m.judge(i, from, to).state;
  });
  return out;
}

std::vector<std::int32_t> contact_book::sla_bounds(const sla_config& c) const {
  if (c.periods < 1 || c.periods > 10'000) {
    throw invalid_input(std::string(fn) + ".sla: periods must be from 1 to 10,000; got " + std::to_string(c.periods));
  }
  const std::int32_t as_of = impl_->config.as_of;
  if (as_of - 1 < first_supported_day) {
    throw invalid_input(std::string(fn) + ".sla: as_of is the first supported day; no period lies before it");
  }
  std::vector<std::int32_t> starts;
  std::int32_t s = period_start(c.period, as_of - 1);
  for (std::int32_t k = 0; k < c.periods; ++k) {
    starts.push_back(s);
    if (s - 1 < first_supported_day) break;
    s = period_start(c.period, s - 1);
  }
  std::reverse(starts.begin(), starts.end());
  starts.push_back(std::min(next_period_start(c.period, starts.back()), as_of));
  return starts;
}

sla_table contact_book::sla(const sla_config& c, const std::vector<std::int32_t>* owner) const {
  const impl& m = *impl_;
  const std::size_t n = m.tiers->size();
  if (owner && owner->size() != n) {
    throw invalid_input(std::string(fn) + ".sla: owner needs one value per customer (" +
                        detail::format_count(static_cast<std::int64_t>(n)) + "); got " +
                        detail::format_count(static_cast<std::int64_t>(owner->size())));
  }
  const std::vector<std::int32_t> bounds = sla_bounds(c);
  const std::size_t periods = bounds.size() - 1;
  struct cell {
    std::int64_t judged = 0, within = 0;
    cell& operator+=(const cell& o) {
      judged += o.judged;
      within += o.within;
      return *this;
    }
    bool empty() const { return judged == 0; }
  };
  const auto rows = detail::group_by_owner<cell>(
      n, owner, periods, m.tiers->tier_names.size(), 1, detail::threads_for_rows(n, m.config.threads),
      [&](std::uint32_t i, auto&& emit) {
        thread_local std::vector<impl::judged> js;
        js.resize(periods);
        m.judge_periods(i, bounds.data(), periods, js.data(), false);
        for (std::size_t k = 0; k < periods; ++k) {
          const impl::judged& j = js[k];
          if (j.state == cadence_state::not_judged) continue;
          emit(k, static_cast<std::size_t>(j.tier), 0, cell{1, j.state == cadence_state::within ? 1 : 0});
        }
      });
  sla_table out;
  for (const auto& r : rows) {
    out.period.push_back(bounds[static_cast<std::size_t>(r.period)]);
    out.judged_to.push_back(bounds[static_cast<std::size_t>(r.period) + 1]);
    out.tier.push_back(r.tier);
    out.owner.push_back(r.owner);
    out.customers.push_back(r.cell.judged);
    out.within.push_back(r.cell.within);
  }
  return out;
}

// --- occasions -------------------------------------------------------------------------------

std::int32_t anniversary_in(std::int32_t date, std::int32_t year) noexcept {
  const civil_date d = civil_from_days(date);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (d.month == 2 && d.day == 29 && !leap) return days_from_civil(year, 2, 28);
  return days_from_civil(year, d.month, d.day);
}

occasion_list find_occasions(const service_tiers& tiers, const occasion_dates& dates, std::int32_t as_of,
                             std::int32_t days) {
  const std::string f = "tierkit.find_occasions";
  if (days < 0 || days > 366) throw invalid_input(f + ": days must be from 0 to 366; got " + std::to_string(days));
  if (!is_supported_day(as_of)) throw invalid_input(f + ": as_of must lie within 0001-01-01 to 9999-12-31");
  const std::size_t n = dates.customers.size();
  if (dates.dates.size() != dates.names.size()) {
    throw invalid_input(f + ": one date column per occasion name is needed (" + std::to_string(dates.names.size()) +
                        " names, " + std::to_string(dates.dates.size()) + " columns)");
  }
  for (std::size_t k = 0; k < dates.dates.size(); ++k) {
    if (dates.dates[k].size() != n) {
      throw invalid_input(f + ": the dates of '" + dates.names[k] + "' need one value per customer (" +
                          detail::format_count(static_cast<std::int64_t>(n)) + "); got " +
                          detail::format_count(static_cast<std::int64_t>(dates.dates[k].size())));
    }
  }
  if (n && dates.customers.is_string != tiers.customers.is_string) {
    throw schema_error(f + ": the attributes' customer keys are " +
                       (dates.customers.is_string ? "text" : "integers") + ", the tiers' " +
                       (tiers.customers.is_string ? "text" : "integers"));
  }
  std::int64_t repeated = 0;
  detail::key_dictionary own = detail::dictionary_of(dates.customers, &repeated);
  if (repeated) {
    throw invalid_input(f + ": the attributes' customer keys repeat (" + detail::rows_text(repeated) +
                        " repeat an earlier key); one row per customer is needed");
  }
  detail::key_dictionary tk = detail::dictionary_of(tiers.customers, nullptr);
  occasion_list out;
  const std::int32_t end = as_of + days;
  const std::int32_t year = civil_from_days(as_of).year;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t c = dates.customers.is_string ? tk.find(dates.customers.string_at(i))
                                                      : tk.find(dates.customers.ints[i]);
    if (c == detail::key_dictionary::no_index) {
      ++out.unknown_customers;
      continue;
    }
    const std::int64_t sp = tiers.at(c, as_of);
    for (std::size_t k = 0; k < dates.names.size(); ++k) {
      const std::int32_t d = dates.dates[k][i];
      if (d == no_day || !is_supported_day(d)) continue;
      for (std::int32_t y = year; y <= year + 1; ++y) {
        if (y > 9999) break;
        const std::int32_t on = anniversary_in(d, y);
        if (on < as_of || on >= end) continue;
        const std::int32_t years = y - civil_from_days(d).year;
        if (years < 1) continue;
        out.customer.push_back(c);
        out.tier.push_back(sp < 0 ? -1 : tiers.tier[static_cast<std::size_t>(sp)]);
        out.occasion.push_back(static_cast<std::int32_t>(k));
        out.date.push_back(d);
        out.on.push_back(on);
        out.years.push_back(years);
        break;
      }
    }
  }
  // Order: day, tier rank (none last), key, occasion.
  const std::vector<std::uint32_t> order_keys = tk.sorted_order();
  std::vector<std::uint32_t> rank(order_keys.size());
  for (std::size_t k = 0; k < order_keys.size(); ++k) rank[order_keys[k]] = static_cast<std::uint32_t>(k);
  std::vector<std::size_t> idx(out.customer.size());
  for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const auto ta = static_cast<std::uint32_t>(out.tier[a]), tb = static_cast<std::uint32_t>(out.tier[b]);
    if (out.on[a] != out.on[b]) return out.on[a] < out.on[b];
    if (ta != tb) return ta < tb;  // -1 becomes the largest: last
    if (out.customer[a] != out.customer[b]) return rank[out.customer[a]] < rank[out.customer[b]];
    return out.occasion[a] < out.occasion[b];
  });
  occasion_list sorted;
  sorted.unknown_customers = out.unknown_customers;
  for (std::size_t k : idx) {
    sorted.customer.push_back(out.customer[k]);
    sorted.tier.push_back(out.tier[k]);
    sorted.occasion.push_back(out.occasion[k]);
    sorted.date.push_back(out.date[k]);
    sorted.on.push_back(out.on[k]);
    sorted.years.push_back(out.years[k]);
  }
  return sorted;
}

}  // namespace tierkit
