#pragma once
// Sums per (period, tier, owner, state) over customers, for the SLA and the service KPIs.
//
// Customers are ordered by owner (a stable counting sort), cut into blocks of consecutive
// customers, and each block sums into a small dense table (periods x tiers x states) for the
// owner at hand, flushed as rows when the owner changes: no table of all owners x periods x
// tiers, and no hashing per customer. Rows of an owner split across two blocks are summed
// when the blocks' rows are put in order. The result does not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "detail/customer_log.hpp"  // parallel_blocks

namespace tierkit::detail {

template <class Cell>
struct group_row {
  std::int32_t period;
  std::int32_t tier;
  std::int32_t owner;
  std::uint8_t state;
  Cell cell;
};

// visit(customer, emit) calls emit(period, tier, state, cell) for each of the customer's
// contributions; Cell has += and empty().
template <class Cell, class Visit>
std::vector<group_row<Cell>> group_by_owner(std::size_t n, const std::vector<std::int32_t>* owner,
                                            std::size_t periods, std::size_t tiers, std::size_t states,
                                            unsigned threads, Visit visit) {
  // Customers in owner order (owner -1 first), by index within an owner.
  std::vector<std::uint32_t> order(n);
  std::vector<std::int32_t> owner_of_row(n, -1);
  if (owner) {
    std::int32_t most = -1;
    for (std::int32_t o : *owner) most = std::max(most, o);
    std::vector<std::int64_t> start(static_cast<std::size_t>(most) + 3, 0);
    for (std::int32_t o : *owner) ++start[static_cast<std::size_t>(std::max(o, -1) + 2)];
    for (std::size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t o = std::max((*owner)[i], -1);
      const auto at = static_cast<std::size_t>(start[static_cast<std::size_t>(o + 1)]++);
      order[at] = static_cast<std::uint32_t>(i);
      owner_of_row[at] = o;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
  }
  constexpr std::size_t block = 1 << 14;
  const std::size_t blocks = (n + block - 1) / block;
  std::vector<std::vector<group_row<Cell>>> out(blocks);
  const std::size_t cells = periods * tiers * states;
  parallel_blocks(blocks, threads, [&](std::size_t b, unsigned) {
    std::vector<Cell> table(cells);
    std::vector<std::uint32_t> touched;
    std::vector<std::uint8_t> used(cells, 0);
    std::int32_t current = 0;
    auto flush = [&] {
      std::sort(touched.begin(), touched.end());
      for (std::uint32_t c : touched) {
        if (!table[c].empty()) {
          const std::size_t s = c % states, t = (c / states) % tiers, p = c / states / tiers;
          out[b].push_back(group_row<Cell>{static_cast<std::int32_t>(p), static_cast<std::int32_t>(t), current,
                                           static_cast<std::uint8_t>(s), table[c]});
        }
        table[c] = Cell{};
        used[c] = 0;
      }
      touched.clear();
    };
    const std::size_t lo = b * block, hi = std::min(n, lo + block);
    for (std::size_t r = lo; r < hi; ++r) {
      if (r == lo) current = owner_of_row[r];
      if (owner_of_row[r] != current) {
        flush();
        current = owner_of_row[r];
      }
      visit(order[r], [&](std::size_t p, std::size_t t, std::size_t s, const Cell& add) {
        const std::size_t c = (p * tiers + t) * states + s;
        if (!used[c]) {
          used[c] = 1;
          touched.push_back(static_cast<std::uint32_t>(c));
        }
        table[c] += add;
      });
    }
    flush();
  });
  std::vector<group_row<Cell>> rows;
  for (auto& v : out) rows.insert(rows.end(), v.begin(), v.end());
  std::stable_sort(rows.begin(), rows.end(), [](const group_row<Cell>& a, const group_row<Cell>& b) {
    if (a.period != b.period) return a.period < b.period;
    if (a.tier != b.tier) return a.tier < b.tier;
    if (a.owner != b.owner) return a.owner < b.owner;
    return a.state < b.state;
  });
  std::vector<group_row<Cell>> merged;
  for (const auto& r : rows) {
    if (!merged.empty() && merged.back().period == r.period && merged.back().tier == r.tier &&
        merged.back().owner == r.owner && merged.back().state == r.state) {
      merged.back().cell += r.cell;
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

}  // namespace tierkit::detail
