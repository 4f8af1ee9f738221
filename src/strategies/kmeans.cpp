#include "tierkit/strategies/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <string>

#include "detail/customer_log.hpp"  // parallel_blocks, usable_cpus
#include "detail/random.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();
// The silhouette sample's stream, apart from the restarts' streams 0, 1, 2, ...
constexpr std::uint64_t silhouette_stream = std::uint64_t{1} << 48;

bool uses_log(const std::string& t) { return t == "log" || t == "log_standardize"; }
bool uses_standardize(const std::string& t) { return t == "standardize" || t == "log_standardize"; }

double signed_log(double v) { return v < 0 ? -std::log1p(-v) : std::log1p(v); }

std::string join_rows(const std::vector<std::size_t>& rows, std::size_t total) {
  std::string s;
  for (std::size_t i = 0; i < rows.size(); ++i) s += (i ? ", " : "") + std::to_string(rows[i]);
  if (total > rows.size()) s += ", ...";
  return s;
}

// The chosen columns of a table, checked: schema_error for a missing column, invalid_input
// for infinite values.
std::vector<number_span> read_columns(const metric_table& metrics, const kmeans_config& c, const char* fn) {
  std::vector<number_span> cols;
  for (const std::string& name : c.columns) {
    const number_span col = metrics.column(name, fn);
    std::vector<std::size_t> bad;
    std::size_t count = 0;
    for (std::size_t i = 0; i < col.size(); ++i) {
      if (std::isinf(col[i])) {
        if (bad.size() < 5) bad.push_back(i);
        ++count;
      }
    }
    if (count > 0) {
      throw invalid_input(std::string(fn) + ": column '" + name + "' has " + std::to_string(count) +
                          " infinite values (rows " + join_rows(bad, count) +
                          "); k-means needs finite numbers (missing values, NaN, are left out)");
    }
    cols.push_back(col);
  }
  return cols;
}

// Row-major points after the log stage (if any); rows with a NaN in any column left out
// (rows_used lists the rows kept).
std::vector<double> log_stage(const std::vector<number_span>& cols, std::size_t n, const std::string& transform,
                              std::vector<std::size_t>& rows_used) {
  const std::size_t d = cols.size();
  const bool lg = uses_log(transform);
  std::vector<double> out;
  out.reserve(n * d);
  rows_used.clear();
  for (std::size_t i = 0; i < n; ++i) {
    bool ok = true;
    for (std::size_t j = 0; j < d && ok; ++j) ok = !std::isnan(cols[j][i]);
    if (!ok) continue;
    rows_used.push_back(i);
    for (std::size_t j = 0; j < d; ++j) out.push_back(lg ? signed_log(cols[j][i]) : cols[j][i]);
  }
  return out;
}

// Mean and population standard deviation of each column of row-major points (two passes).
void column_moments(const std::vector<double>& X, std::size_t d, std::vector<double>& mean, std::vector<double>& sd) {
  const std::size_t n = d ? X.size() / d : 0;
  mean.assign(d, 0.0);
  sd.assign(d, 0.0);
  if (n == 0) return;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) mean[j] += X[i * d + j];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const double e = X[i * d + j] - mean[j];
      sd[j] += e * e;
    }
  }
  for (double& s : sd) s = std::sqrt(s / static_cast<double>(n));
}

inline double squared_distance(const double* a, const double* b, std::size_t d) noexcept {
  double s = 0;
  for (std::size_t j = 0; j < d; ++j) {
    const double e = a[j] - b[j];
    s += e * e;
  }
  return s;
}

// Nearest centre of each point (a tie goes to the lower centre) and the squared distance;
// returns how many labels changed.
std::size_t assign(const std::vector<double>& X, std::size_t d, const std::vector<double>& centres, std::size_t k,
                   std::vector<std::int32_t>& label, std::vector<double>& dist) {
  const std::size_t n = label.size();
  std::size_t changed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = &X[i * d];
    double best = infinity;
    std::int32_t arg = 0;
    for (std::size_t c = 0; c < k; ++c) {
      const double s = squared_distance(x, &centres[c * d], d);
      if (s < best) {
        best = s;
        arg = static_cast<std::int32_t>(c);
      }
    }
    changed += label[i] != arg;
    label[i] = arg;
    dist[i] = best;
  }
  return changed;
}

std::vector<double> kmeans_plus_plus(const std::vector<double>& X, std::size_t d, std::size_t k,
                                     detail::random_stream& rng, const char* fn) {
  const std::size_t n = X.size() / d;
  std::vector<double> centres;
  centres.reserve(k * d);
  std::size_t first = static_cast<std::size_t>(rng.below(n));
  centres.insert(centres.end(), X.begin() + static_cast<std::ptrdiff_t>(first * d),
                 X.begin() + static_cast<std::ptrdiff_t>((first + 1) * d));
  std::vector<double> d2(n);
  for (std::size_t i = 0; i < n; ++i) d2[i] = squared_distance(&X[i * d], &centres[0], d);
  for (std::size_t c = 1; c < k; ++c) {
    double total = 0;
    for (double v : d2) total += v;
    if (!(total > 0)) {
      throw invalid_input(std::string(fn) + ": the rows hold only " + std::to_string(c) +
                          " distinct points (after the transform), fewer than k = " + std::to_string(k));
    }
    const double u = rng.uniform() * total;
    double cum = 0;
    std::size_t pick = n;
    for (std::size_t i = 0; i < n; ++i) {
      cum += d2[i];
      if (cum > u && d2[i] > 0) {
        pick = i;
        break;
      }
    }
    if (pick == n) {  // rounding left u at the very end: the last row with a distance
      for (std::size_t i = n; i-- > 0;) {
        if (d2[i] > 0) {
          pick = i;
          break;
        }
      }
    }
    const std::size_t at = centres.size();
    centres.insert(centres.end(), X.begin() + static_cast<std::ptrdiff_t>(pick * d),
                   X.begin() + static_cast<std::ptrdiff_t>((pick + 1) * d));
    for (std::size_t i = 0; i < n; ++i) d2[i] = std::min(d2[i], squared_distance(&X[i * d], &centres[at], d));
  }
  return centres;
}

struct lloyd_result {
  std::vector<double> initial, centres;
  double inertia = 0;
  int iterations = 0;
  bool converged = false;
};

lloyd_result lloyd(const std::vector<double>& X, std::size_t d, std::size_t k, std::vector<double> centres,
                   int max_iterations) {
  const std::size_t n = X.size() / d;
  lloyd_result r;
  r.initial = centres;
  std::vector<std::int32_t> label(n, -1);
  std::vector<double> dist(n);
  std::vector<double> sums(k * d);
  std::vector<std::int64_t> counts(k);
  assign(X, d, centres, k, label, dist);
  for (r.iterations = 1; r.iterations <= max_iterations; ++r.iterations) {
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<std::size_t>(label[i]);
      ++counts[c];
      for (std::size_t j = 0; j < d; ++j) sums[c * d + j] += X[i * d + j];
    }
    // Empty centres move to the rows farthest from their own centres (rows of clusters
    // that keep at least one other row).
    std::vector<std::size_t> far;
    for (std::size_t c = 0; c < k; ++c) {
      if (counts[c] != 0) continue;
      if (far.empty()) {
        far.resize(n);
        std::iota(far.begin(), far.end(), std::size_t{0});
        std::stable_sort(far.begin(), far.end(), [&](std::size_t a, std::size_t b) { return dist[a] > dist[b]; });
      }
      for (std::size_t& i : far) {
        if (i == n) continue;
        const auto old = static_cast<std::size_t>(label[i]);
        if (counts[old] < 2) continue;
        --counts[old];
        for (std::size_t j = 0; j < d; ++j) sums[old * d + j] -= X[i * d + j];
        counts[c] = 1;
        for (std::size_t j = 0; j < d; ++j) sums[c * d + j] = X[i * d + j];
        label[i] = static_cast<std::int32_t>(c);
        dist[i] = 0;
        i = n;  // taken
        break;
      }
    }
    for (std::size_t c = 0; c < k; ++c) {
      if (counts[c] == 0) continue;  // no row could move (fewer rows than centres)
      for (std::size_t j = 0; j < d; ++j) centres[c * d + j] = sums[c * d + j] / static_cast<double>(counts[c]);
    }
    if (assign(X, d, centres, k, label, dist) == 0) {
      r.converged = true;
      break;
    }
  }
  if (!r.converged) r.iterations = max_iterations;
  double inertia = 0;
  for (double v : dist) inertia += v;
  r.inertia = inertia;
  r.centres = std::move(centres);
  return r;
}

// Mean silhouette of the sampled rows (see the header).
double silhouette(const std::vector<double>& X, std::size_t d, const std::vector<std::int32_t>& label, std::size_t k,
                  std::int64_t sample, std::uint64_t seed, std::int64_t& used, unsigned threads) {
  const std::size_t n = label.size();
  used = 0;
  if (sample <= 0 || n < 2) return nan;
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  if (static_cast<std::size_t>(sample) < n) {
    detail::random_stream rng(seed, silhouette_stream);
    const auto s = static_cast<std::size_t>(sample);
    for (std::size_t i = 0; i < s; ++i) {  // partial Fisher-Yates
      const std::size_t j = i + static_cast<std::size_t>(rng.below(n - i));
      std::swap(rows[i], rows[j]);
    }
    rows.resize(s);
    std::sort(rows.begin(), rows.end());
  }
  const std::size_t m = rows.size();
  std::vector<std::int64_t> in_cluster(k, 0);
  for (std::size_t r : rows) ++in_cluster[static_cast<std::size_t>(label[r])];
  std::size_t present = 0;
  for (std::int64_t c : in_cluster) present += c > 0;
  used = static_cast<std::int64_t>(m);
  if (present < 2) return nan;
  std::vector<double> s(m);
  constexpr std::size_t block = 256;
  const std::size_t blocks = (m + block - 1) / block;
  detail::parallel_blocks(blocks, m * m * d < (std::size_t{1} << 22) ? 1u : threads, [&](std::size_t b, unsigned) {
    std::vector<double> sum(k);
    for (std::size_t a = b * block; a < std::min(m, (b + 1) * block); ++a) {
      std::fill(sum.begin(), sum.end(), 0.0);
      const double* x = &X[rows[a] * d];
      for (std::size_t o = 0; o < m; ++o) {
        if (o == a) continue;
        sum[static_cast<std::size_t>(label[rows[o]])] += std::sqrt(squared_distance(x, &X[rows[o] * d], d));
      }
      const auto own = static_cast<std::size_t>(label[rows[a]]);
      if (in_cluster[own] < 2) {
        s[a] = 0;
        continue;
      }
      const double within = sum[own] / static_cast<double>(in_cluster[own] - 1);
      double nearest = infinity;
      for (std::size_t c = 0; c < k; ++c) {
        if (c != own && in_cluster[c] > 0) nearest = std::min(nearest, sum[c] / static_cast<double>(in_cluster[c]));
      }
      const double top = std::max(within, nearest);
      s[a] = top > 0 ? (nearest - within) / top : 0.0;
    }
  });
  double total = 0;
  for (double v : s) total += v;
  return total / static_cast<double>(m);
}

unsigned threads_of(const kmeans_config& c) { return c.threads ? c.threads : detail::usable_cpus(); }

}  // namespace

void kmeans_config::check() const {
  const char* fn = "tierkit.kmeans_config";
  if (columns.empty()) throw invalid_input(std::string(fn) + ": columns must name at least one column");
  std::set<std::string> seen;
  for (const std::string& c : columns) {
    if (!seen.insert(c).second) throw invalid_input(std::string(fn) + ": column '" + c + "' is named twice in columns");
  }
  if (k < 1) throw invalid_input(std::string(fn) + ": k must be at least 1; got " + std::to_string(k));
  if (transform != "none" && transform != "log" && transform != "standardize" && transform != "log_standardize") {
    throw invalid_input(std::string(fn) + ": transform must be 'none', 'log', 'standardize' or 'log_standardize'; got '" +
                        transform + "'");
  }
  if (restarts < 1) throw invalid_input(std::string(fn) + ": restarts must be at least 1; got " + std::to_string(restarts));
  if (max_iterations < 1) {
    throw invalid_input(std::string(fn) + ": max_iterations must be at least 1; got " + std::to_string(max_iterations));
  }
  if (!names.empty() && names.size() != static_cast<std::size_t>(k)) {
    throw invalid_input(std::string(fn) + ": names must hold k = " + std::to_string(k) + " names; got " +
                        std::to_string(names.size()));
  }
  if (output.empty()) throw invalid_input(std::string(fn) + ": output must be a non-empty column name");
  if (silhouette_sample < 0) throw invalid_input(std::string(fn) + ": silhouette_sample must be 0 or more");
  if (!initial_centres.empty()) {
    const std::size_t want = static_cast<std::size_t>(k) * columns.size();
    if (initial_centres.size() != want) {
      throw invalid_input(std::string(fn) + ": initial_centres must hold k * columns = " + std::to_string(want) +
                          " values; got " + std::to_string(initial_centres.size()));
    }
    for (double v : initial_centres) {
      if (!std::isfinite(v)) throw invalid_input(std::string(fn) + ": initial_centres must be finite");
    }
  }
}

bool kmeans_cluster::operator==(const kmeans_cluster& o) const {
  return name == o.name && description == o.description && customers == o.customers && inertia == o.inertia &&
         centre == o.centre && mean == o.mean;
}

bool kmeans_report::operator==(const kmeans_report& o) const {
  auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  return rows == o.rows && left_out == o.left_out && same(inertia, o.inertia) && same(silhouette, o.silhouette) &&
         silhouette_rows == o.silhouette_rows && best_restart == o.best_restart && iterations == o.iterations &&
         converged == o.converged && restart_inertia == o.restart_inertia && initial_centres == o.initial_centres;
}

kmeans_model::kmeans_model(kmeans_config config, std::vector<double> shift, std::vector<double> scale,
                           std::vector<kmeans_cluster> clusters, kmeans_report report)
    : config_(std::move(config)),
      shift_(std::move(shift)),
      scale_(std::move(scale)),
      clusters_(std::move(clusters)),
      report_(std::move(report)) {
  const char* fn = "tierkit.kmeans_model";
  config_.check();
  const std::size_t d = config_.columns.size();
  if (shift_.size() != d || scale_.size() != d || clusters_.size() != static_cast<std::size_t>(config_.k)) {
    throw invalid_input(std::string(fn) + ": shift and scale need one value a column and clusters k entries");
  }
  for (std::size_t j = 0; j < d; ++j) {
    if (!std::isfinite(shift_[j]) || !(scale_[j] > 0) || !std::isfinite(scale_[j])) {
      throw invalid_input(std::string(fn) + ": the transform of column '" + config_.columns[j] +
                          "' needs a finite shift and a positive scale");
    }
  }
  for (const kmeans_cluster& c : clusters_) {
    if (c.centre.size() != d || c.mean.size() != d) {
      throw invalid_input(std::string(fn) + ": every cluster needs a centre and a mean of one value a column");
    }
    for (double v : c.centre) {
      if (!std::isfinite(v)) throw invalid_input(std::string(fn) + ": cluster centres must be finite");
    }
  }
}

std::vector<double> kmeans_model::transform(const metric_table& metrics) const {
  const char* fn = "tierkit.kmeans_model.apply";
  const std::vector<number_span> cols = read_columns(metrics, config_, fn);
  const std::size_t n = metrics.rows(), d = cols.size();
  const bool lg = uses_log(config_.transform);
  std::vector<double> X(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const double v = cols[j][i];
      X[i * d + j] = ((lg ? signed_log(v) : v) - shift_[j]) / scale_[j];  // NaN stays NaN
    }
  }
  return X;
}

score_table kmeans_model::apply(const metric_table& metrics) const {
  const std::vector<double> X = transform(metrics);
  const std::size_t d = config_.columns.size(), k = clusters_.size();
  const std::size_t n = d ? X.size() / d : 0;
  std::vector<double> centres;
  for (const kmeans_cluster& c : clusters_) centres.insert(centres.end(), c.centre.begin(), c.centre.end());
  std::vector<std::int64_t> number(n, 0);
  std::vector<std::int32_t> code(n, -1);
  std::vector<double> distance(n, nan);
  std::vector<std::uint8_t> valid(n, 0);
  detail::parallel_blocks((n + 65535) / 65536, n < 65536 ? 1u : detail::usable_cpus(), [&](std::size_t b, unsigned) {
    for (std::size_t i = b * 65536; i < std::min(n, (b + 1) * 65536); ++i) {
      const double* x = &X[i * d];
      bool ok = true;
      for (std::size_t j = 0; j < d && ok; ++j) ok = !std::isnan(x[j]);
      if (!ok) continue;
      double best = infinity;
      std::size_t arg = 0;
      for (std::size_t c = 0; c < k; ++c) {
        const double s = squared_distance(x, &centres[c * d], d);
        if (s < best) {
          best = s;
          arg = c;
        }
      }
      number[i] = static_cast<std::int64_t>(arg) + 1;
      code[i] = static_cast<std::int32_t>(arg);
      distance[i] = std::sqrt(best);
      valid[i] = 1;
    }
  });
  std::vector<std::string> labels;
  for (const kmeans_cluster& c : clusters_) labels.push_back(c.name);
  score_table out;
  out.add_integers(config_.output, std::move(number), valid);
  out.add_labels(config_.output + "_name", std::move(code), std::move(labels));
  out.add_numbers(config_.output + "_distance", std::move(distance), std::move(valid));
  return out;
}

score_table kmeans_model::summary() const {
  const std::size_t k = clusters_.size(), d = config_.columns.size();
  std::vector<std::int64_t> number(k), customers(k);
  std::vector<std::int32_t> name_code(k), desc_code(k);
  std::vector<std::string> names, descs;
  std::vector<double> share(k), inertia(k);
  double total = 0;
  for (const kmeans_cluster& c : clusters_) total += static_cast<double>(c.customers);
  for (std::size_t c = 0; c < k; ++c) {
    number[c] = static_cast<std::int64_t>(c) + 1;
    names.push_back(clusters_[c].name);
    descs.push_back(clusters_[c].description);
    name_code[c] = desc_code[c] = static_cast<std::int32_t>(c);
    customers[c] = clusters_[c].customers;
    share[c] = total > 0 ? static_cast<double>(clusters_[c].customers) / total : nan;
    inertia[c] = clusters_[c].inertia;
  }
  score_table t;
  t.add_integers("cluster", number);
  t.add_labels("name", name_code, names);
  t.add_labels("description", desc_code, descs);
  t.add_integers("customers", customers);
  t.add_numbers("share", share);
  t.add_numbers("inertia", inertia);
  for (std::size_t j = 0; j < d; ++j) {
    std::vector<double> v(k);
    for (std::size_t c = 0; c < k; ++c) v[c] = clusters_[c].mean[j];
    t.add_numbers("mean_" + config_.columns[j], v);
  }
  for (std::size_t j = 0; j < d; ++j) {
    std::vector<double> v(k);
    for (std::size_t c = 0; c < k; ++c) v[c] = clusters_[c].centre[j];
    t.add_numbers("centre_" + config_.columns[j], v);
  }
  return t;
}

bool kmeans_model::operator==(const kmeans_model& o) const {
  const kmeans_config &a = config_, &b = o.config_;
  return a.columns == b.columns && a.k == b.k && a.transform == b.transform && a.restarts == b.restarts &&
         a.seed == b.seed && a.max_iterations == b.max_iterations && a.names == b.names && a.output == b.output &&
         a.silhouette_sample == b.silhouette_sample && a.initial_centres == b.initial_centres && shift_ == o.shift_ &&
         scale_ == o.scale_ && clusters_ == o.clusters_ && report_ == o.report_;
}

kmeans_strategy::kmeans_strategy(kmeans_config config) : config_(std::move(config)) { config_.check(); }

std::unique_ptr<model> kmeans_strategy::fit(const metric_table& metrics) const {
  return std::make_unique<kmeans_model>(fit_kmeans(metrics));
}

kmeans_model kmeans_strategy::fit_kmeans(const metric_table& metrics) const {
  const char* fn = "tierkit.kmeans_strategy.fit";
  const std::vector<number_span> cols = read_columns(metrics, config_, fn);
  const std::size_t d = cols.size(), k = static_cast<std::size_t>(config_.k);
  std::vector<std::size_t> rows_used;
  std::vector<double> X = log_stage(cols, metrics.rows(), config_.transform, rows_used);
  const std::size_t n = rows_used.size();
  if (n < k) {
    throw invalid_input(std::string(fn) + ": k = " + std::to_string(k) + " clusters need at least " +
                        std::to_string(k) + " rows with every column present; got " + std::to_string(n) + " (" +
                        std::to_string(metrics.rows() - n) + " rows have a missing value)");
  }
  // The transform: shift and scale frozen from the fitted rows.
  std::vector<double> mean_t, sd_t;
  column_moments(X, d, mean_t, sd_t);
  std::vector<double> shift(d, 0.0), scale(d, 1.0);
  if (uses_standardize(config_.transform)) {
    for (std::size_t j = 0; j < d; ++j) {
      shift[j] = mean_t[j];
      scale[j] = sd_t[j] > 0 ? sd_t[j] : 1.0;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) X[i * d + j] = (X[i * d + j] - shift[j]) / scale[j];
  }
  // Restarts, each on its own stream: the same answer on any number of threads.
  const auto restarts = config_.initial_centres.empty() ? static_cast<std::size_t>(config_.restarts) : std::size_t{1};
  std::vector<lloyd_result> results(restarts);
  const unsigned threads = n * k * d < (std::size_t{1} << 15) ? 1u : threads_of(config_);
  detail::parallel_blocks(restarts, threads, [&](std::size_t j, unsigned) {
    std::vector<double> init = config_.initial_centres;
    if (init.empty()) {
      detail::random_stream rng(config_.seed, j);
      init = kmeans_plus_plus(X, d, k, rng, fn);
    }
    results[j] = lloyd(X, d, k, std::move(init), config_.max_iterations);
  });
  std::size_t best = 0;
  kmeans_report report;
  for (std::size_t j = 0; j < restarts; ++j) {
    report.restart_inertia.push_back(results[j].inertia);
    if (results[j].inertia < results[best].inertia) best = j;
  }
  const lloyd_result& win = results[best];
  // Number the clusters by decreasing size (ties: centres in lexicographic order).
  std::vector<std::int32_t> label(n, -1);
  std::vector<double> dist(n);
  assign(X, d, win.centres, k, label, dist);
  std::vector<std::int64_t> size(k, 0);
  for (std::int32_t l : label) ++size[static_cast<std::size_t>(l)];
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (size[a] != size[b]) return size[a] > size[b];
    return std::lexicographical_compare(win.centres.begin() + static_cast<std::ptrdiff_t>(a * d),
                                        win.centres.begin() + static_cast<std::ptrdiff_t>((a + 1) * d),
                                        win.centres.begin() + static_cast<std::ptrdiff_t>(b * d),
                                        win.centres.begin() + static_cast<std::ptrdiff_t>((b + 1) * d));
  });
  std::vector<double> centres;
  for (std::size_t c : order) {
    centres.insert(centres.end(), win.centres.begin() + static_cast<std::ptrdiff_t>(c * d),
                   win.centres.begin() + static_cast<std::ptrdiff_t>((c + 1) * d));
  }
  // Labels against the numbered centres, as apply() gives them.
  std::fill(label.begin(), label.end(), -1);
  assign(X, d, centres, k, label, dist);
  std::vector<kmeans_cluster> clusters(k);
  for (std::size_t c = 0; c < k; ++c) {
    clusters[c].centre.assign(centres.begin() + static_cast<std::ptrdiff_t>(c * d),
                              centres.begin() + static_cast<std::ptrdiff_t>((c + 1) * d));
    clusters[c].mean.assign(d, 0.0);
    clusters[c].name = config_.names.empty() ? "cluster " + std::to_string(c + 1) : config_.names[c];
  }
  double inertia = 0;
  for (std::size_t i = 0; i < n; ++i) {
    kmeans_cluster& c = clusters[static_cast<std::size_t>(label[i])];
    ++c.customers;
    c.inertia += dist[i];
    inertia += dist[i];
    for (std::size_t j = 0; j < d; ++j) c.mean[j] += cols[j][rows_used[i]];
  }
  for (kmeans_cluster& c : clusters) {
    for (double& m : c.mean) m = c.customers > 0 ? m / static_cast<double>(c.customers) : nan;
    std::string desc;
    for (std::size_t j = 0; j < d; ++j) {
      // The centre's standard score in the transformed space.
      double z = c.centre[j];
      if (!uses_standardize(config_.transform)) z = sd_t[j] > 0 ? (c.centre[j] - mean_t[j]) / sd_t[j] : 0.0;
      if (std::fabs(z) < 0.5) continue;
      desc += (desc.empty() ? "" : ", ") + std::string(z > 0 ? "high " : "low ") + config_.columns[j];
    }
    c.description = desc.empty() ? "average" : desc;
  }
  report.rows = static_cast<std::int64_t>(n);
  report.left_out = static_cast<std::int64_t>(metrics.rows() - n);
  report.inertia = inertia;
  report.best_restart = static_cast<int>(best);
  report.iterations = win.iterations;
  report.converged = win.converged;
  report.initial_centres = win.initial;
  report.silhouette = silhouette(X, d, label, k, config_.silhouette_sample, config_.seed, report.silhouette_rows,
                                 threads_of(config_));
  return kmeans_model(config_, std::move(shift), std::move(scale), std::move(clusters), std::move(report));
}

score_table kmeans_elbow(const metric_table& metrics, const kmeans_config& config, const std::vector<int>& ks) {
  std::vector<std::int64_t> kk;
  std::vector<double> inertia, sil;
  std::vector<std::uint8_t> sil_valid;
  for (int k : ks) {
    kmeans_config c = config;
    c.k = k;
    c.names.clear();
    c.initial_centres.clear();
    const kmeans_model m = kmeans_strategy(c).fit_kmeans(metrics);
    kk.push_back(k);
    inertia.push_back(m.report().inertia);
    sil.push_back(m.report().silhouette);
    sil_valid.push_back(!std::isnan(m.report().silhouette));
  }
  score_table t;
  t.add_integers("k", kk);
  t.add_numbers("inertia", inertia);
  t.add_numbers("silhouette", sil, sil_valid);
  return t;
}

}  // namespace tierkit
