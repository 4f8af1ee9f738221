#include "tierkit/segments.hpp"

#include <algorithm>
#include <tuple>

#include "tierkit/error.hpp"

namespace tierkit {

segment_table::segment_table(std::vector<segment_rule> rules, std::string default_name,
                             std::string default_label_zh)
    : rules_(std::move(rules)),
      default_name_(std::move(default_name)),
      default_label_zh_(std::move(default_label_zh)) {
  const std::string fn = "tierkit.segment_table";
  if (default_name_.empty()) throw invalid_input(fn + ": the catch-all name is empty");
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const segment_rule& r = rules_[i];
    const std::string where = fn + ": rule " + std::to_string(i + 1) + " ('" + r.name + "')";
    if (r.name.empty()) throw invalid_input(fn + ": rule " + std::to_string(i + 1) + " has no name");
    struct range { int lo, hi; const char* axis; };
    for (const range& g : {range{r.r_lo, r.r_hi, "recency"}, range{r.f_lo, r.f_hi, "frequency"},
                           range{r.m_lo, r.m_hi, "monetary"}}) {
      const int lo = g.lo, hi = g.hi;
      const char* axis = g.axis;
      if (lo < 1 || hi > 99 || lo > hi) {
        throw invalid_input(where + ": the " + axis + " range [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "] must satisfy 1 <= lower <= upper <= 99");
      }
    }
  }
}

segment_check segment_table::check(int r_bins, int f_bins, int m_bins) const {
  segment_check c;
  const std::size_t n = rules_.size();
  c.cells_won.assign(n, 0);
  std::vector<std::vector<std::int64_t>> shared(n, std::vector<std::int64_t>(n, 0));
  const bool wide = r_bins > 9 || f_bins > 9 || m_bins > 9;
  for (int r = 1; r <= r_bins; ++r) {
    for (int f = 1; f <= f_bins; ++f) {
      for (int m = 1; m <= m_bins; ++m) {
        ++c.grid_cells;
        std::vector<std::size_t> hits;
        for (std::size_t i = 0; i < n; ++i) {
          if (rules_[i].matches(r, f, m)) hits.push_back(i);
        }
        if (hits.empty()) {
          c.uncovered.push_back(wide ? r * 10000 + f * 100 + m : r * 100 + f * 10 + m);
          continue;
        }
        ++c.cells_won[hits.front()];
        for (std::size_t a = 0; a < hits.size(); ++a) {
          for (std::size_t b = a + 1; b < hits.size(); ++b) ++shared[hits[a]][hits[b]];
        }
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (c.cells_won[i] == 0) c.never_match.push_back(i);
    for (std::size_t j = i + 1; j < n; ++j) {
      if (shared[i][j] > 0) c.overlaps.push_back(segment_overlap{i, j, shared[i][j]});
    }
  }
  return c;
}

namespace {
segment_rule rule(const char* name, const char* zh, int r_lo, int r_hi, int f_lo, int f_hi,
                  int m_lo, int m_hi) {
  return segment_rule{name, zh, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi};
}
}  // namespace

segment_table segment_table::r_rfm() {
  // rfm 0.3.0, tests/testthat/test-rfm-segment.R: the table in order, between() inclusive.
  return segment_table({
      rule("Champions", "冠军客户", 4, 5, 4, 5, 4, 5),
      rule("Loyal Customers", "忠诚客户", 2, 5, 3, 5, 3, 5),
      rule("Potential Loyalist", "潜在忠诚客户", 3, 5, 1, 3, 1, 3),
      rule("New Customers", "新客户", 4, 5, 1, 1, 1, 1),
      rule("Promising", "有潜力客户", 3, 4, 1, 1, 1, 1),
      rule("Need Attention", "需要关注客户", 2, 3, 2, 3, 2, 3),
      rule("About To Sleep", "即将沉睡客户", 2, 3, 1, 2, 1, 2),
      rule("At Risk", "有流失风险客户", 1, 2, 2, 5, 2, 5),
      rule("Can't Lose Them", "不能失去的客户", 1, 1, 4, 5, 4, 5),
      rule("Lost", "流失客户", 1, 2, 1, 2, 1, 2),
  }, "Others", "其他");
}

segment_table segment_table::english() {
  // The recency x frequency grid (monetary 1..5 throughout), each cell in one segment.
  return segment_table({
      rule("Champions", "冠军客户", 5, 5, 4, 5, 1, 5),
      rule("Loyal Customers", "忠诚客户", 3, 4, 4, 5, 1, 5),
      rule("Potential Loyalist", "潜在忠诚客户", 4, 5, 2, 3, 1, 5),
      rule("New Customers", "新客户", 5, 5, 1, 1, 1, 5),
      rule("Promising", "有潜力客户", 4, 4, 1, 1, 1, 5),
      rule("Need Attention", "需要关注客户", 3, 3, 3, 3, 1, 5),
      rule("About To Sleep", "即将沉睡客户", 3, 3, 1, 2, 1, 5),
      rule("At Risk", "有流失风险客户", 1, 2, 3, 4, 1, 5),
      rule("Can't Lose Them", "不能失去的客户", 1, 2, 5, 5, 1, 5),
      rule("Hibernating", "休眠客户", 2, 2, 1, 2, 1, 5),
      rule("Lost", "流失客户", 1, 1, 1, 2, 1, 5),
  }, "Others", "其他");
}

segment_table segment_table::pymc_marketing() {
  // pymc_marketing.clv.utils._default_rfm_segment_config (0.19.2). Later keys overwrite
  // earlier ones there; the lists do not overlap, so first-match order is the same.
  const std::vector<std::pair<const char*, std::vector<int>>> config = {
      {"Premium Customer", {334, 443, 444, 344, 434, 433, 343, 333}},
      {"Repeat Customer", {244, 234, 232, 332, 143, 233, 243}},
      {"Top Spender", {424, 414, 144, 314, 324, 124, 224, 423, 413, 133, 323, 313, 134}},
      {"At Risk Customer", {422, 223, 212, 122, 222, 132, 322, 312, 412, 123, 214}},
      {"Inactive Customer", {411, 111, 113, 114, 112, 211, 311}},
  };
  std::vector<segment_rule> rules;
  for (const auto& [name, codes] : config) {
    for (int code : codes) {
      const int r = code / 100, f = code / 10 % 10, m = code % 10;
      rules.push_back(segment_rule{name, "", r, r, f, f, m, m});
    }
  }
  return segment_table(std::move(rules), "Other", "");
}

segment_table segment_table::preset(const std::string& name) {
  if (name == "english") return english();
  if (name == "r_rfm") return r_rfm();
  if (name == "pymc_marketing") return pymc_marketing();
  if (name == "chinese_eight") return chinese_eight();
  throw invalid_input("tierkit.segment_table: preset must be 'english', 'r_rfm', "
                      "'pymc_marketing' or 'chinese_eight'; got '" + name + "'");
}

segment_table segment_table::chinese_eight() {
  // Scores 2 = recent / high, 1 = lapsed / low.
  return segment_table({
      rule("Important Value", "重要价值客户", 2, 2, 2, 2, 2, 2),
      rule("Important Development", "重要发展客户", 2, 2, 1, 1, 2, 2),
      rule("Important Retention", "重要保持客户", 1, 1, 2, 2, 2, 2),
      rule("Important Win-back", "重要挽留客户", 1, 1, 1, 1, 2, 2),
      rule("General Value", "一般价值客户", 2, 2, 2, 2, 1, 1),
      rule("General Development", "一般发展客户", 2, 2, 1, 1, 1, 1),
      rule("General Retention", "一般保持客户", 1, 1, 2, 2, 1, 1),
      rule("General Win-back", "一般挽留客户", 1, 1, 1, 1, 1, 1),
  }, "Others", "其他");
}

}  // namespace tierkit
