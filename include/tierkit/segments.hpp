#pragma once
// segment_table: named ranges of (R, F, M) scores, as data.
//
// Policy: rules are tried in order and the first rule whose three inclusive ranges hold
// the customer's scores names the segment; a customer no rule matches gets the catch-all
// name. A customer without scores gets no segment (null). check() enumerates the whole
// score grid to report, exactly, rules that can never match (empty, or shadowed by
// earlier rules), pairs of rules that overlap, and cells no rule covers.
#include <cstdint>
#include <string>
#include <vector>

namespace tierkit {

struct segment_rule {
  std::string name;      // English label
  std::string label_zh;  // Chinese label (may be empty)
  int r_lo = 1, r_hi = 5;
  int f_lo = 1, f_hi = 5;
  int m_lo = 1, m_hi = 5;

  bool matches(int r, int f, int m) const noexcept {
    return r >= r_lo && r <= r_hi && f >= f_lo && f <= f_hi && m >= m_lo && m <= m_hi;
  }
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & name & label_zh & r_lo & r_hi & f_lo & f_hi & m_lo & m_hi;
  }
};

struct segment_overlap {
  std::size_t first, second;  // rule indices, first < second
  std::int64_t cells;         // grid cells both rules hold
};

struct segment_check {
  std::vector<std::int64_t> cells_won;        // per rule: cells where it is the first match
  std::vector<std::size_t> never_match;       // rules that win no cell
  std::vector<segment_overlap> overlaps;      // pairs of rules sharing cells
  std::vector<int> uncovered;                 // cells (R*100+F*10+M, or R*10000+F*100+M
                                              // when a side exceeds 9) left to the catch-all
  std::int64_t grid_cells = 0;
};

class segment_table {
 public:
  segment_table() = default;
  // Throws invalid_input for empty names, ranges outside 1..99 or with lo > hi.
  segment_table(std::vector<segment_rule> rules, std::string default_name = "Others",
                std::string default_label_zh = "其他");

  const std::vector<segment_rule>& rules() const noexcept { return rules_; }
  const std::string& default_name() const noexcept { return default_name_; }
  const std::string& default_label_zh() const noexcept { return default_label_zh_; }

  // Index of the first matching rule, or rules().size() for the catch-all.
  std::size_t match(int r, int f, int m) const noexcept {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (rules_[i].matches(r, f, m)) return i;
    }
    return rules_.size();
  }
  // Checks the table over the grid 1..r_bins x 1..f_bins x 1..m_bins.
  segment_check check(int r_bins, int f_bins, int m_bins) const;

  // Presets.
  // The R package rfm's documented table (its tests use it): Champions, Loyal Customers,
  // Potential Loyalist, New Customers, Promising, Need Attention, About To Sleep, At Risk,
  // Can't Lose Them, Lost; catch-all "Others". For 5 x 5 x 5 scores.
  static segment_table r_rfm();
  // tierkit's eleven English segments: the R table with Hibernating added for the cells it
  // leaves to "Others" among lapsed customers. For 5 x 5 x 5 scores.
  static segment_table english();
  // PyMC-Marketing's default segment_config (Premium Customer, Repeat Customer, Top
  // Spender, At Risk Customer, Inactive Customer; catch-all "Other"), as ranges-free code
  // lists expanded to single cells. For 4 x 4 x 4 scores.
  static segment_table pymc_marketing();
  // The Chinese eight-class model (重要价值客户 ... 一般挽留客户) over two-bin scores (2 =
  // high or recent, 1 = low or lapsed), e.g. from mean or median splits.
  static segment_table chinese_eight();
  // By name: "english", "r_rfm", "pymc_marketing", "chinese_eight"; invalid_input otherwise.
  static segment_table preset(const std::string& name);

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & rules_ & default_name_ & default_label_zh_;
  }

 private:
  std::vector<segment_rule> rules_;
  std::string default_name_ = "Others";
  std::string default_label_zh_ = "其他";
};

}  // namespace tierkit
