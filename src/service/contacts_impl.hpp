#pragma once
// The contact book's state, shared by contacts.cpp and kpis.cpp.
#include <cstdint>
#include <mutex>
#include <vector>

#include "service/event_index.hpp"
#include "tierkit/service/contacts.hpp"

namespace tierkit {

struct contact_book::impl {
  const service_plan* plan = nullptr;
  const service_tiers* tiers = nullptr;
  contact_config config;
  std::vector<std::string> channels;
  std::vector<const tier_service*> by_tier;          // the plan of each tier, or nullptr
  std::vector<std::vector<std::int32_t>> rule_slot;  // per tier and rule: channel slot, -1 any
  contact_report report;
  detail::key_dictionary dictionary;                 // the tiers' keys; index = customer
  detail::indexed_events events;
  mutable std::once_flag rank_once;
  mutable std::vector<std::uint32_t> key_rank;       // position of each customer in key order

  struct judged {
    std::int32_t tier = -1;
    cadence_state state = cadence_state::not_judged;
    double planned = 0;
    std::int64_t made = 0;
  };
  // The customer's compliance over [s, e), e <= as_of (see contacts.hpp).
  judged judge(std::size_t i, std::int32_t s, std::int32_t e) const;
  // The same for the periods [bounds[k], bounds[k + 1]), k < periods, in one pass.
  // `counts`: also contacts made and planned (the KPIs read them; the SLA does not).
  void judge_periods(std::size_t i, const std::int32_t* bounds, std::size_t periods, judged* out,
                     bool counts = true) const;
  const std::vector<std::uint32_t>& ranks() const;
};

}  // namespace tierkit
