#include "tierkit/service/kpis.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "detail/customer_log.hpp"
#include "detail/decode.hpp"
#include "detail/text.hpp"
#include "detail/text_matcher.hpp"
#include "service/contacts_impl.hpp"
#include "service/grouping.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr const char* fn = "tierkit.measure_service";
constexpr std::uint16_t complaint_tag = 0, survey_tag = 1;

// Feedback kinds: complaint, survey, or left out.
detail::event_tagger feedback_tagger(const column_view& kind, const kpi_config& c) {
  const data_type t = kind.type == data_type::dictionary && kind.dictionary ? kind.dictionary->type : kind.type;
  if (!is_string_like(t)) throw schema_error(std::string(fn) + ": the kind column " + kind.describe() + " must hold text");
  std::vector<std::string> texts = c.complaint_kinds;
  texts.insert(texts.end(), c.survey_kinds.begin(), c.survey_kinds.end());
  const auto complaints = static_cast<std::int64_t>(c.complaint_kinds.size());
  auto m = std::make_shared<detail::text_matcher>(texts);
  const bool dict = kind.type == data_type::dictionary;
  // A dictionary's values are looked up once: index -> tag.
  std::vector<std::uint16_t> by_value;
  column_view indices;
  if (dict) {
    indices = detail::dictionary_indices(kind);
    const column_view& values = *kind.dictionary;
    for (std::int64_t k = 0; k < values.length; ++k) {
      const std::int64_t x = values.is_valid(k) ? m->find(detail::string_value(values, k)) : -1;
      by_value.push_back(x < 0 ? detail::reject_tag : (x < complaints ? complaint_tag : survey_tag));
    }
  }
  return [&kind, m, complaints, dict, by_value, indices](std::int64_t begin, std::int64_t n, std::uint16_t* tags) {
    if (dict) {
      const auto size = static_cast<std::int64_t>(by_value.size());
      detail::for_each_int(indices, begin, n, [&](std::int64_t i, std::int64_t k) {
        tags[i] = (k >= 0 && k < size && kind.is_valid(begin + i)) ? by_value[static_cast<std::size_t>(k)]
                                                                   : detail::reject_tag;
      });
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t k = kind.is_valid(begin + i) ? m->find(detail::string_value(kind, begin + i)) : -1;
      tags[i] = k < 0 ? detail::reject_tag : (k < complaints ? complaint_tag : survey_tag);
    }
  };
}

struct kpi_cell {
  std::int64_t customers = 0, contacts = 0, complaints = 0, surveys = 0, scored = 0, purchases = 0, buyers = 0;
  double planned = 0, survey_sum = 0, sales = 0;
  kpi_cell& operator+=(const kpi_cell& o) {
    customers += o.customers;
    contacts += o.contacts;
    complaints += o.complaints;
    surveys += o.surveys;
    scored += o.scored;
    purchases += o.purchases;
    buyers += o.buyers;
    planned += o.planned;
    survey_sum += o.survey_sum;
    sales += o.sales;
    return *this;
  }
  bool empty() const { return customers == 0; }
};

event_report report_of(const detail::indexed_events& e) {
  event_report r;
  r.rows_read = e.rows_read;
  r.rows_used = e.rows_used;
  r.rows_dropped = e.rows_dropped;
  r.dropped = e.dropped;
  r.unknown_customers = e.unknown_customers;
  r.after_as_of = e.after_as_of;
  r.other_kinds = e.rejected;
  return r;
}

// Rows [lo, hi) of customer i's events on days [a, b).
std::pair<std::int64_t, std::int64_t> range_of(const detail::indexed_events& e, std::size_t i, std::int32_t a,
                                               std::int32_t b) {
  const std::uint32_t* p = e.packed.data();
  const std::int64_t lo = e.offsets[i], hi = e.offsets[i + 1];
  const std::int64_t x = std::lower_bound(p + lo, p + hi, detail::day_floor(a)) - p;
  const std::int64_t y = std::lower_bound(p + x, p + hi, detail::day_floor(b)) - p;
  return {x, y};
}

}  // namespace

service_kpis measure_service(const contact_book& book, const kpi_config& config,
                             const std::vector<std::int32_t>* owner, const event_log* feedback,
                             const event_log* purchases) {
  const contact_book::impl& m = book.internals();
  const std::size_t n = m.tiers->size();
  if (owner && owner->size() != n) {
    throw invalid_input(std::string(fn) + ": owner needs one value per customer (" +
                        detail::format_count(static_cast<std::int64_t>(n)) + "); got " +
                        detail::format_count(static_cast<std::int64_t>(owner->size())));
  }
  const std::vector<std::int32_t> bounds = book.sla_bounds(config.periods);
  const std::size_t periods = bounds.size() - 1;
  service_kpis out;
  detail::indexed_events fb, pu;
  auto source = [&](const event_log& log, const char* what) {
    detail::event_source s;
    s.function = what;
    s.customer = &log.customer;
    s.time = &log.time;
    s.value = log.value ? &*log.value : nullptr;
    s.zone = &m.config.zone;
    s.as_of = m.config.as_of;
    s.on_invalid = config.on_invalid;
    s.threads = config.threads;
    return s;
  };
  if (feedback) {
    if (!feedback->kind) throw schema_error(std::string(fn) + ": the feedback log needs a kind column");
    fb = detail::index_events(m.dictionary, n, source(*feedback, "tierkit.measure_service (feedback)"),
                              feedback_tagger(*feedback->kind, config));
    out.feedback_report = report_of(fb);
  }
  if (purchases) {
    if (!purchases->value) throw schema_error(std::string(fn) + ": the purchase log needs an amount (value) column");
    pu = detail::index_events(m.dictionary, n, source(*purchases, "tierkit.measure_service (purchases)"),
                              [](std::int64_t, std::int64_t k, std::uint16_t* tags) { std::fill(tags, tags + k, 0); });
    out.purchase_report = report_of(pu);
  }
  const auto rows = detail::group_by_owner<kpi_cell>(
      n, owner, periods, m.tiers->tier_names.size(), 3, detail::threads_for_rows(n, config.threads),
      [&](std::uint32_t i, auto&& emit) {
        thread_local std::vector<contact_book::impl::judged> js;
        js.resize(periods);
        m.judge_periods(i, bounds.data(), periods, js.data());
        for (std::size_t k = 0; k < periods; ++k) {
          const std::int32_t s = bounds[k], e = bounds[k + 1];
          const contact_book::impl::judged& j = js[k];
          if (j.tier < 0) continue;
          kpi_cell c;
          c.customers = 1;
          c.contacts = j.made;
          c.planned = j.planned;
          if (feedback) {
            const auto [x, y] = range_of(fb, i, s, e);
            for (std::int64_t r = x; r < y; ++r) {
              if (detail::event_tag(fb.packed[static_cast<std::size_t>(r)]) == complaint_tag) {
                ++c.complaints;
              } else {
                ++c.surveys;
                const double v = fb.values.empty() ? NAN : fb.values[static_cast<std::size_t>(r)];
                if (!std::isnan(v)) {
                  ++c.scored;
                  c.survey_sum += v;
                }
              }
            }
          }
          if (purchases) {
            const auto [x, y] = range_of(pu, i, s, e);
            for (std::int64_t r = x; r < y; ++r) {
              const double v = pu.values[static_cast<std::size_t>(r)];
              if (std::isnan(v)) continue;
              if (v >= 0) ++c.purchases;
              c.sales += v;
            }
            c.buyers = c.purchases > 0;
          }
          emit(k, static_cast<std::size_t>(j.tier), static_cast<std::size_t>(j.state), c);
        }
      });
  for (const auto& r : rows) {
    out.period.push_back(bounds[static_cast<std::size_t>(r.period)]);
    out.judged_to.push_back(bounds[static_cast<std::size_t>(r.period) + 1]);
    out.tier.push_back(r.tier);
    out.owner.push_back(r.owner);
    out.state.push_back(static_cast<cadence_state>(r.state));
    out.customers.push_back(r.cell.customers);
    out.contacts.push_back(r.cell.contacts);
    out.planned.push_back(r.cell.planned);
    out.complaints.push_back(r.cell.complaints);
    out.surveys.push_back(r.cell.surveys);
    out.scored.push_back(r.cell.scored);
    out.survey_sum.push_back(r.cell.survey_sum);
    out.purchases.push_back(r.cell.purchases);
    out.sales.push_back(r.cell.sales);
    out.buyers.push_back(r.cell.buyers);
  }
  return out;
}

}  // namespace tierkit
