#include "tierkit/rfm.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "detail/huge_pages.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.rfm";
}

rfm_config rfm_config::r_rfm() {
  rfm_config c;
  c.recency_column = "recency";
  c.frequency_column = "transactions";  // R counts every row
  c.monetary_column = "monetary";
  for (binning_config* b : {&c.recency, &c.frequency, &c.monetary}) {
    b->method = bin_method::quantiles;
    b->bins = 5;
    b->rule = quantile_rule::linear_r;
    b->cut_offset = 1;
    b->closed = interval_closure::left;
  }
  c.recency.higher_is_better = false;
  c.segments = segment_table::r_rfm();
  return c;
}

rfm_config rfm_config::pymc_marketing() {
  rfm_config c;
  c.recency_column = "recency_pymc";
  c.frequency_column = "purchase_days";
  c.monetary_column = "monetary_per_day";
  for (binning_config* b : {&c.recency, &c.frequency, &c.monetary}) {
    b->method = bin_method::quantiles;
    b->bins = 4;
    b->rule = quantile_rule::linear_numpy;
    b->closed = interval_closure::right;
    b->collapse = collapse_policy::renumber;
  }
  c.recency.higher_is_better = false;
  c.segments = segment_table::pymc_marketing();
  return c;
}

rfm_config rfm_config::chinese_eight(bool median) {
  rfm_config c;
  for (binning_config* b : {&c.recency, &c.frequency, &c.monetary}) {
    b->method = median ? bin_method::median : bin_method::mean;
    b->closed = interval_closure::left;  // [cut, +inf) is the upper bin: at the cut = high
  }
  c.recency.higher_is_better = false;  // recency at the cut falls in the upper bin: lapsed
  c.segments = segment_table::chinese_eight();
  return c;
}

rfm_config rfm_config::preset(const std::string& name) {
  if (name == "default") return rfm_config{};
  if (name == "r_rfm") return r_rfm();
  if (name == "pymc_marketing") return pymc_marketing();
  if (name == "chinese_eight") return chinese_eight(false);
  if (name == "chinese_eight_median") return chinese_eight(true);
  throw invalid_input("tierkit.rfm: preset must be 'default', 'r_rfm', 'pymc_marketing', "
                      "'chinese_eight' or 'chinese_eight_median'; got '" + name + "'");
}

rfm_model::rfm_model(rfm_config config, fitted_bins r, fitted_bins f, fitted_bins m)
    : config_(std::move(config)), r_(std::move(r)), f_(std::move(f)), m_(std::move(m)) {}

bool rfm_model::operator==(const rfm_model& o) const {
  auto same = [](const fitted_bins& a, const fitted_bins& b) {
    auto bits = [](const std::vector<double>& x, const std::vector<double>& y) {
      return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), [](double p, double q) {
               return std::memcmp(&p, &q, sizeof p) == 0;
             });
    };
    return bits(a.cuts, b.cuts) && a.bins == b.bins && a.closed == b.closed &&
           a.higher_is_better == b.higher_is_better && a.method == b.method &&
           a.requested_bins == b.requested_bins && a.fit_counts == b.fit_counts &&
           a.fit_rows == b.fit_rows && a.fit_missing == b.fit_missing;
  };
  auto same_rules = [](const segment_table& a, const segment_table& b) {
    if (a.rules().size() != b.rules().size() || a.default_name() != b.default_name() ||
        a.default_label_zh() != b.default_label_zh()) {
      return false;
    }
    for (std::size_t i = 0; i < a.rules().size(); ++i) {
      const segment_rule &x = a.rules()[i], &y = b.rules()[i];
      if (x.name != y.name || x.label_zh != y.label_zh || x.r_lo != y.r_lo || x.r_hi != y.r_hi ||
          x.f_lo != y.f_lo || x.f_hi != y.f_hi || x.m_lo != y.m_lo || x.m_hi != y.m_hi) {
        return false;
      }
    }
    return true;
  };
  return config_.recency_column == o.config_.recency_column &&
         config_.frequency_column == o.config_.frequency_column &&
         config_.monetary_column == o.config_.monetary_column && same(r_, o.r_) &&
         same(f_, o.f_) && same(m_, o.m_) && same_rules(config_.segments, o.config_.segments);
}

namespace {
// Scores every row of `t` on all cores and calls emit(i, r, f, m, code, segment) for each
// scored row (r, f, m >= 1) and skip(i) for the others; returns how many were skipped.
// score() and apply() share it, each writing its own output types.
template <class Emit, class Skip>
std::int64_t score_rows(const metric_table& t, const rfm_config& config, const fitted_bins& rb,
                        const fitted_bins& fb, const fitted_bins& mb, Emit emit, Skip skip) {
  const number_span rv = t.column(config.recency_column, fn);
  const number_span fv = t.column(config.frequency_column, fn);
  const number_span mv = t.column(config.monetary_column, fn);
  const bool wide = rb.bins > 9 || fb.bins > 9 || mb.bins > 9;
  std::atomic<std::int64_t> unscored{0};
  detail::for_row_blocks(t.rows(), 0, [&](std::size_t lo, std::size_t hi) {
    std::int64_t missing = 0;
    for (std::size_t i = lo; i < hi; ++i) {
      const int r = rb.score(rv[i]), f = fb.score(fv[i]), m = mb.score(mv[i]);
      if (r == 0 || f == 0 || m == 0) {
        skip(i);
        ++missing;
        continue;
      }
      const int code = wide ? r * 10000 + f * 100 + m : r * 100 + f * 10 + m;
      emit(i, r, f, m, code, static_cast<std::int32_t>(config.segments.match(r, f, m)));
    }
    unscored += missing;
  });
  return unscored;
}
}  // namespace

rfm_scores rfm_model::score(const metric_table& t) const {
  const std::size_t n = t.rows();
  rfm_scores s;
  detail::assign_new_column(s.r, n);
  detail::assign_new_column(s.f, n);
  detail::assign_new_column(s.m, n);
  detail::assign_new_column(s.code, n);
  detail::assign_new_column(s.sum, n);
  detail::assign_new_column(s.segment, n);
  s.unscored = score_rows(
      t, config_, r_, f_, m_,
      [&](std::size_t i, int r, int f, int m, int code, std::int32_t segment) {
        s.r[i] = static_cast<std::int8_t>(r);
        s.f[i] = static_cast<std::int8_t>(f);
        s.m[i] = static_cast<std::int8_t>(m);
        s.code[i] = code;
        s.sum[i] = static_cast<std::int16_t>(r + f + m);
        s.segment[i] = segment;
      },
      [&](std::size_t i) { s.segment[i] = -1; });
  return s;
}

score_table rfm_model::apply(const metric_table& t) const {
  const std::size_t n = t.rows();
  // The output columns straight from one pass on all cores (no narrow copy converted after);
  // at millions of customers they are fresh pages (huge ones where offered): allocated
  // (zero-filled) a column per task, on all threads.
  std::vector<std::int64_t> r_col, f_col, m_col, code_col, sum_col;
  std::vector<std::uint8_t> valid;
  std::vector<std::int32_t> segment;
  const unsigned threads = detail::threads_for_rows(n);
  detail::run_tasks({[&] { detail::assign_new_column(r_col, n); }, [&] { detail::assign_new_column(f_col, n); },
                     [&] { detail::assign_new_column(m_col, n); }, [&] { detail::assign_new_column(code_col, n); },
                     [&] { detail::assign_new_column(sum_col, n); }, [&] { detail::assign_new_column(valid, n); },
                     [&] { detail::assign_new_column(segment, n); }},
                    threads);
  score_rows(
      t, config_, r_, f_, m_,
      [&](std::size_t i, int r, int f, int m, int code, std::int32_t seg) {
        r_col[i] = r;
        f_col[i] = f;
        m_col[i] = m;
        code_col[i] = code;
        sum_col[i] = r + f + m;
        valid[i] = 1;
        segment[i] = seg;
      },
      [&](std::size_t i) { segment[i] = -1; });  // the columns start at 0, valid at 0
  score_table out;
  out.add_integers("r_score", std::move(r_col), detail::copy_column(valid));
  out.add_integers("f_score", std::move(f_col), detail::copy_column(valid));
  out.add_integers("m_score", std::move(m_col), detail::copy_column(valid));
  out.add_integers("rfm_code", std::move(code_col), detail::copy_column(valid));
  out.add_integers("rfm_sum", std::move(sum_col), std::move(valid));
  std::vector<std::string> names, zh;
  bool any_zh = false;
  for (const segment_rule& r : config_.segments.rules()) {
    names.push_back(r.name);
    zh.push_back(r.label_zh);
    any_zh = any_zh || !r.label_zh.empty();
  }
  names.push_back(config_.segments.default_name());
  zh.push_back(config_.segments.default_label_zh());
  // Rules sharing a name (code lists expanded to cells) share one label.
  std::vector<std::string> labels, labels_zh;
  std::vector<std::int32_t> label_of(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = std::find(labels.begin(), labels.end(), names[i]);
    if (it == labels.end()) {
      labels.push_back(names[i]);
      labels_zh.push_back(zh[i]);
      label_of[i] = static_cast<std::int32_t>(labels.size() - 1);
    } else {
      label_of[i] = static_cast<std::int32_t>(it - labels.begin());
    }
  }
  std::vector<std::int32_t>& codes = segment;  // rule index -> label index, in place
  detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      if (codes[i] >= 0) codes[i] = label_of[static_cast<std::size_t>(codes[i])];
    }
  });
  if (any_zh) out.add_labels("segment_zh", codes, labels_zh);
  out.add_labels("segment", std::move(codes), std::move(labels));
  // segment first, then its Chinese label
  if (any_zh) std::swap(out.columns[out.columns.size() - 1], out.columns[out.columns.size() - 2]);
  return out;
}

score_table rfm_model::summary() const {
  std::vector<std::int32_t> metric;
  std::vector<std::int64_t> score, customers;
  std::vector<double> lower, upper, share;
  std::vector<std::int64_t> empty;
  const fitted_bins* all[] = {&r_, &f_, &m_};
  for (std::int32_t k = 0; k < 3; ++k) {
    const fitted_bins& b = *all[k];
    for (int s = b.bins; s >= 1; --s) {
      metric.push_back(k);
      score.push_back(s);
      const auto [lo, hi] = b.bounds(s);
      lower.push_back(lo);
      upper.push_back(hi);
      const std::int64_t c = b.fit_counts[static_cast<std::size_t>(s - 1)];
      customers.push_back(c);
      share.push_back(b.fit_rows > 0 ? static_cast<double>(c) / static_cast<double>(b.fit_rows)
                                     : std::numeric_limits<double>::quiet_NaN());
      empty.push_back(c == 0 ? 1 : 0);
    }
  }
  score_table t;
  t.add_labels("metric", metric, {config_.recency_column, config_.frequency_column,
                                  config_.monetary_column});
  t.add_integers("score", score);
  t.add_numbers("lower", lower);
  t.add_numbers("upper", upper);
  std::vector<std::int32_t> closed(metric.size());
  for (std::size_t i = 0; i < metric.size(); ++i) {
    closed[i] = all[metric[i]]->closed == interval_closure::right ? 0 : 1;
  }
  t.add_labels("closed", closed, {"(lower, upper]", "[lower, upper)"});
  t.add_integers("customers", customers);
  t.add_numbers("share", share);
  t.add_integers("is_empty", empty);
  return t;
}

rfm_strategy::rfm_strategy(rfm_config config) : config_(std::move(config)) {
  config_.recency.check("tierkit.rfm recency binning");
  config_.frequency.check("tierkit.rfm frequency binning");
  config_.monetary.check("tierkit.rfm monetary binning");
}

rfm_model rfm_strategy::fit_rfm(const metric_table& t) const {
  const number_span rv = t.column(config_.recency_column, fn);
  const number_span fv = t.column(config_.frequency_column, fn);
  const number_span mv = t.column(config_.monetary_column, fn);
  if (t.rows() == 0) throw invalid_input(std::string(fn) + ": no customers to fit");
  // Fit on the customers that will be scored: all three metrics present.
  // (Each row is written at the next free position, which advances only past a complete
  // one: no branch per row.)
  std::vector<double> r(t.rows()), f(t.rows()), m(t.rows());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    r[kept] = rv[i];
    f[kept] = fv[i];
    m[kept] = mv[i];
    // Bitwise on purpose (no branch per row): as ints, which Clang does not warn about.
    kept += (static_cast<int>(std::isnan(rv[i])) | static_cast<int>(std::isnan(fv[i])) | static_cast<int>(std::isnan(mv[i]))) == 0;
  }
  const auto missing = static_cast<std::int64_t>(t.rows() - kept);
  r.resize(kept);
  f.resize(kept);
  m.resize(kept);
  if (kept == 0) {
    throw invalid_input(std::string(fn) + ": no customer has all of " + config_.recency_column +
                        ", " + config_.frequency_column + " and " + config_.monetary_column +
                        " (" + detail::rows_text(missing) + " with a missing value)");
  }
  // The three fits are independent: on separate threads when there is enough to do (an
  // error is the first in R, F, M order, as on one thread).
  fitted_bins rb, fb, mb;
  detail::run_tasks(
      {[&] { rb = fit_bins(std::move(r), config_.recency, std::string(fn) + " " + config_.recency_column); },
       [&] { fb = fit_bins(std::move(f), config_.frequency, std::string(fn) + " " + config_.frequency_column); },
       [&] { mb = fit_bins(std::move(m), config_.monetary, std::string(fn) + " " + config_.monetary_column); }},
      kept >= detail::min_rows_per_thread ? 3u : 1u);
  rb.fit_missing = fb.fit_missing = mb.fit_missing = missing;
  return rfm_model(config_, std::move(rb), std::move(fb), std::move(mb));
}

std::unique_ptr<model> rfm_strategy::fit(const metric_table& t) const {
  return std::make_unique<rfm_model>(fit_rfm(t));
}

}  // namespace tierkit
