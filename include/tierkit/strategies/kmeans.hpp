#pragma once
// k-means segments: customers clustered on chosen metric columns (recency, frequency,
// monetary by default), the fitted centres frozen in a model that assigns new customers.
//
//   kmeans_config c;  c.k = 5;  c.transform = "log_standardize";
//   kmeans_model m = kmeans_strategy(c).fit_kmeans(metrics);
//   score_table s = m.apply(next_month);   // cluster, cluster_name, cluster_distance
//
// Policies:
// - Transform (frozen at fit, applied again to new data): "standardize" (default): each
//   column minus its mean, divided by its population standard deviation (ddof 0, as
//   scikit-learn's StandardScaler), both over the rows fitted; a column with no spread is
//   centred and not scaled. "log": sign(v) * log(1 + |v|) (defined for zero and negative
//   values, such as a returns-only customer's net monetary); "log_standardize": log, then
//   standardize; "none": the values as they are.
// - Rows with a missing (NaN) value in any chosen column are left out of the fit, counted
//   (left_out), and get null outputs; infinite values are invalid_input (naming the column
//   and the rows). Fewer rows than k, or fewer distinct points than k, are invalid_input.
// - Seeding: k-means++ (Arthur & Vassilvitskii 2007): the first centre a row drawn
//   uniformly, each next one a row drawn with probability proportional to its squared
//   distance to the nearest centre so far; restart j draws from stream j of the seed
//   (xoshiro256**), so a seed gives the same model on any number of threads. Or given
//   initial centres (in the transformed space; then there is one run, from them).
// - Lloyd iterations: each row to its nearest centre (squared Euclidean distance; a tie goes
//   to the lower centre), each centre to the mean of its rows (summed in row order), until
//   no row changes cluster or max_iterations. A centre left without rows moves to the row
//   farthest from its own centre (the next farthest for a second empty centre), which then
//   belongs to it. The restart with the lowest inertia (sum of squared distances) wins; a
//   tie goes to the lower restart.
// - Clusters are numbered 1..k by decreasing size (ties: centres in lexicographic order), so
//   that numbers do not depend on the seed's draw order. Names: `names` when given (k of
//   them, in that order), else "cluster 1" .. "cluster k". The summary describes each
//   cluster by its means in the original units and a description ("high monetary, low
//   recency") from the centre's standard scores: |z| >= 0.5 is high or low.
// - Silhouette: the mean silhouette of a sample of at most silhouette_sample fitted rows
//   (all rows when there are fewer; drawn by the seed), Euclidean distances in the
//   transformed space, 0 for a row alone in its cluster; NaN when fewer than 2 clusters
//   hold sampled rows. silhouette_sample = 0 skips it (NaN).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/detail/archive.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

struct kmeans_config {
  std::vector<std::string> columns = {"recency", "frequency", "monetary"};
  int k = 4;
  std::string transform = "standardize";  // "none", "log", "standardize", "log_standardize"
  int restarts = 10;
  std::uint64_t seed = 0;
  int max_iterations = 300;
  std::vector<std::string> names;           // k cluster names, or empty
  std::string output = "cluster";           // output columns: <output>, <output>_name, <output>_distance
  std::int64_t silhouette_sample = 5000;
  std::vector<double> initial_centres;      // k * columns values, row-major, transformed space; or empty
  unsigned threads = 0;                     // restarts run in parallel; 0: all usable CPUs

  // invalid_input for no or repeated columns, k < 1, an unknown transform, restarts < 1,
  // max_iterations < 1, names not k, an empty output name, a negative silhouette_sample,
  // initial_centres not k * columns finite values.
  void check() const;
};

// One cluster of a fitted model (numbered 1..k as above).
struct kmeans_cluster {
  std::string name;
  std::string description;    // from the centre's standard scores
  std::int64_t customers = 0;  // rows at fit
  double inertia = 0;          // their summed squared distances
  std::vector<double> centre;  // transformed space, one value a column
  std::vector<double> mean;    // original units, one value a column

  bool operator==(const kmeans_cluster& o) const;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & name & description & customers;
    detail::archive_double(ar, inertia);
    detail::archive_doubles(ar, centre);
    detail::archive_doubles(ar, mean);
  }
};

// What a fit found, beyond the centres.
struct kmeans_report {
  std::int64_t rows = 0;        // rows fitted
  std::int64_t left_out = 0;    // rows with a missing value
  double inertia = 0;           // of the winning restart
  double silhouette = 0;        // see above (NaN when not computed)
  std::int64_t silhouette_rows = 0;
  int best_restart = 0;
  int iterations = 0;           // Lloyd iterations of the winning restart
  bool converged = false;       // it stopped because no row changed cluster
  std::vector<double> restart_inertia;   // per restart
  std::vector<double> initial_centres;   // the winning restart's, row-major, transformed space (fit order)

  bool operator==(const kmeans_report& o) const;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & rows & left_out;
    detail::archive_double(ar, inertia);
    detail::archive_double(ar, silhouette);
    ar & silhouette_rows & best_restart & iterations & converged;
    detail::archive_doubles(ar, restart_inertia);
    detail::archive_doubles(ar, initial_centres);
  }
};

class kmeans_model final : public model {
 public:
  kmeans_model() = default;
  kmeans_model(kmeans_config config, std::vector<double> shift, std::vector<double> scale,
               std::vector<kmeans_cluster> clusters, kmeans_report report);

  std::string kind() const override { return "kmeans"; }
  // <output> (1..k, integer), <output>_name (label), <output>_distance (Euclidean, to the
  // centre, transformed space); nulls for rows with a missing value.
  score_table apply(const metric_table& metrics) const override;
  // Per cluster: cluster, name, description, customers, share, inertia, then mean_<column>
  // and centre_<column> for every column.
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<kmeans_model>(*this); }
  std::string to_bytes() const override;

  const kmeans_config& config() const noexcept { return config_; }
  const std::vector<double>& shift() const noexcept { return shift_; }  // per column, after the log
  const std::vector<double>& scale() const noexcept { return scale_; }
  const std::vector<kmeans_cluster>& clusters() const noexcept { return clusters_; }
  const kmeans_report& report() const noexcept { return report_; }

  // The transformed values of a table's chosen columns (row-major, NaN rows kept as NaN).
  std::vector<double> transform(const metric_table& metrics) const;

  bool operator==(const kmeans_model& o) const;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & config_.columns & config_.k & config_.transform & config_.restarts & config_.seed;
    ar & config_.max_iterations & config_.names & config_.output & config_.silhouette_sample;
    detail::archive_doubles(ar, config_.initial_centres);
    detail::archive_doubles(ar, shift_);
    detail::archive_doubles(ar, scale_);
    ar & clusters_ & report_;
  }

 private:
  kmeans_config config_;
  std::vector<double> shift_, scale_;
  std::vector<kmeans_cluster> clusters_;
  kmeans_report report_;
};

class kmeans_strategy final : public strategy {
 public:
  explicit kmeans_strategy(kmeans_config config = {});
  std::string kind() const override { return "kmeans"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  kmeans_model fit_kmeans(const metric_table& metrics) const;

 private:
  kmeans_config config_;
};

// The elbow table: for each k of `ks`, a fit with `config` at that k (names dropped):
// columns k, inertia, silhouette.
score_table kmeans_elbow(const metric_table& metrics, const kmeans_config& config, const std::vector<int>& ks);

}  // namespace tierkit
