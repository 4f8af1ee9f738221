// Scoring strategies: metric tables, binning and segment settings, RFM and ABC models.
// Models pickle through tierkit's persistence envelope.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrow_import.hpp"
#include "bind_model.hpp"
#include "bindings.hpp"
#include "tierkit/abc.hpp"
#include "tierkit/asset_bands.hpp"
#include "tierkit/error.hpp"
#include "tierkit/label_indices.hpp"
#include "tierkit/lifecycle.hpp"
#include "tierkit/value_potential.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/rfm.hpp"
#include "tierkit/segments.hpp"
#include "tierkit/serialization.hpp"
#include "tierkit/text_levels.hpp"

namespace py = pybind11;

namespace tierkit::python {

// A score table as {name: {"kind", "values", "valid" | "labels"}}; the columns move into
// numpy arrays, not copied (at millions of customers a copy costs as much as the scoring).
py::dict score_table_dict(score_table t) {
  py::dict out;
  for (score_column& c : t.columns) {
    py::dict d;
    switch (c.type) {
      case score_column::kind::integer:
        d["kind"] = "integer";
        d["values"] = numpy_from(std::move(c.integers));
        break;
      case score_column::kind::number:
        d["kind"] = "number";
        d["values"] = numpy_from(std::move(c.numbers));
        break;
      case score_column::kind::label:
        d["kind"] = "label";
        if (c.narrow_codes.empty()) {
          d["values"] = numpy_from(std::move(c.codes));
        } else {
          d["values"] = numpy_from(std::move(c.narrow_codes));
        }
        d["labels"] = c.labels;
        break;
    }
    if (!c.valid.empty()) d["valid"] = numpy_from(std::move(c.valid));
    out[py::str(c.name)] = d;
  }
  return out;
}

namespace {

py::dict check_dict(const segment_check& c) {
  py::dict d;
  d["cells_won"] = c.cells_won;
  d["never_match"] = c.never_match;
  py::list overlaps;
  for (const segment_overlap& o : c.overlaps) overlaps.append(py::make_tuple(o.first, o.second, o.cells));
  d["overlaps"] = overlaps;
  d["uncovered"] = c.uncovered;
  d["grid_cells"] = c.grid_cells;
  return d;
}

py::dict bins_dict(const fitted_bins& b) {
  py::dict d;
  d["cuts"] = b.cuts;
  d["bins"] = b.bins;
  d["requested_bins"] = b.requested_bins;
  d["closed"] = closure_name(b.closed);
  d["higher_is_better"] = b.higher_is_better;
  d["method"] = bin_method_name(b.method);
  d["fit_counts"] = b.fit_counts;
  d["fit_rows"] = b.fit_rows;
  d["fit_missing"] = b.fit_missing;
  d["empty_scores"] = b.empty_scores();
  return d;
}

}  // namespace

void bind_strategies(py::module_& m) {
  py::class_<metric_table>(m, "MetricTable")
      .def(py::init<>())
      .def_static("from_profile", &metric_table::from_profile, py::arg("profile"))
      // Policy: the values are copied, unless the caller says `borrow`: then they are read
      // in place (kept alive by the table) and must not change while the table is used —
      // as for every input tierkit reads in place.
      .def("add", [](metric_table& t, const std::string& name,
                     py::array_t<double, py::array::c_style | py::array::forcecast> v, bool borrow) {
        if (!borrow) {
          std::vector<double> values(v.data(), v.data() + v.size());
          refuse_shared_use(&t, "tierkit.MetricTable.add", "table");
          t.add(name, std::move(values));
          return;
        }
        refuse_shared_use(&t, "tierkit.MetricTable.add", "table");
        auto* held = new py::object(v);
        std::shared_ptr<const void> owner(held, [](const void* p) {
          if (!Py_IsInitialized()) return;  // at interpreter exit: leave it
          py::gil_scoped_acquire gil;
          delete static_cast<const py::object*>(p);
        });
        t.add_borrowed(name, v.data(), static_cast<std::size_t>(v.size()), std::move(owner));
      }, py::arg("name"), py::arg("values"), py::arg("borrow") = false)
      .def_property_readonly("rows", &metric_table::rows)
      .def_property_readonly("names", &metric_table::names)
      .def("note_absent", [](metric_table& t, const std::string& name, const std::string& why) {
        refuse_shared_use(&t, "tierkit.MetricTable.note_absent", "table");
        t.note_absent(name, why);
      }, py::arg("name"), py::arg("why"))
      .def_property_readonly("absent", &metric_table::absent)
      .def("column", [](const metric_table& t, const std::string& name) {
        const number_span c = t.column(name, "tierkit.MetricTable");
        return py::array_t<double>(static_cast<py::ssize_t>(c.size()), c.data());
      }, py::arg("name"));

  py::class_<binning_config>(m, "BinningConfig")
      .def(py::init<>())
      .def_property("method", [](const binning_config& b) { return bin_method_name(b.method); },
                    [](binning_config& b, const std::string& s) { b.method = parse_bin_method(s); })
      .def_readwrite("bins", &binning_config::bins)
      .def_readwrite("percentiles", &binning_config::percentiles)
      .def_readwrite("cuts", &binning_config::cuts)
      .def_property("closed", [](const binning_config& b) { return closure_name(b.closed); },
                    [](binning_config& b, const std::string& s) { b.closed = parse_closure(s); })
      .def_readwrite("higher_is_better", &binning_config::higher_is_better)
      .def_property("rule", [](const binning_config& b) { return quantile_rule_name(b.rule); },
                    [](binning_config& b, const std::string& s) { b.rule = parse_quantile_rule(s); })
      .def_readwrite("cut_offset", &binning_config::cut_offset)
      .def_property("renumber", [](const binning_config& b) { return b.collapse == collapse_policy::renumber; },
                    [](binning_config& b, bool r) {
                      b.collapse = r ? collapse_policy::renumber : collapse_policy::keep_empty;
                    })
      .def("check", &binning_config::check, py::arg("what"));

  py::class_<segment_rule>(m, "SegmentRule")
      .def(py::init([](std::string name, std::string zh, int r_lo, int r_hi, int f_lo, int f_hi,
                       int m_lo, int m_hi) {
             return segment_rule{std::move(name), std::move(zh), r_lo, r_hi, f_lo, f_hi, m_lo, m_hi};
           }),
           py::arg("name"), py::arg("label_zh"), py::arg("r_lo"), py::arg("r_hi"),
           py::arg("f_lo"), py::arg("f_hi"), py::arg("m_lo"), py::arg("m_hi"))
      .def_readonly("name", &segment_rule::name)
      .def_readonly("label_zh", &segment_rule::label_zh)
      .def_property_readonly("recency", [](const segment_rule& r) { return py::make_tuple(r.r_lo, r.r_hi); })
      .def_property_readonly("frequency", [](const segment_rule& r) { return py::make_tuple(r.f_lo, r.f_hi); })
      .def_property_readonly("monetary", [](const segment_rule& r) { return py::make_tuple(r.m_lo, r.m_hi); });

  py::class_<segment_table> st(m, "SegmentTable");
  st.def(py::init<std::vector<segment_rule>, std::string, std::string>(), py::arg("rules"),
         py::arg("default_name"), py::arg("default_label_zh"))
      .def_property_readonly("rules", &segment_table::rules)
      .def_property_readonly("default_name", &segment_table::default_name)
      .def_property_readonly("default_label_zh", &segment_table::default_label_zh)
      .def("match", [](const segment_table& t, int r, int f, int mm) { return t.match(r, f, mm); })
      .def("check", [](const segment_table& t, int r, int f, int mm) { return check_dict(t.check(r, f, mm)); },
           py::arg("r_bins"), py::arg("f_bins"), py::arg("m_bins"))
      .def_static("preset", &segment_table::preset, py::arg("name"));
  bind_persistence<segment_table, &segment_table_from_bytes>(st);

  py::class_<rfm_config>(m, "RFMConfig")
      .def(py::init<>())
      .def_static("preset", &rfm_config::preset, py::arg("name"))
      .def_readwrite("recency_column", &rfm_config::recency_column)
      .def_readwrite("frequency_column", &rfm_config::frequency_column)
      .def_readwrite("monetary_column", &rfm_config::monetary_column)
      .def_readwrite("recency", &rfm_config::recency)
      .def_readwrite("frequency", &rfm_config::frequency)
      .def_readwrite("monetary", &rfm_config::monetary)
      .def_readwrite("segments", &rfm_config::segments);

  bind_model<rfm_model, &rfm_model_from_bytes>(m, "RFMModel")
      .def("check_segments", [](const rfm_model& mod) { return check_dict(mod.check_segments()); })
      .def_property_readonly("recency", [](const rfm_model& mod) { return bins_dict(mod.recency()); })
      .def_property_readonly("frequency", [](const rfm_model& mod) { return bins_dict(mod.frequency()); })
      .def_property_readonly("monetary", [](const rfm_model& mod) { return bins_dict(mod.monetary()); })
      .def_property_readonly("columns", [](const rfm_model& mod) {
        return py::make_tuple(mod.config().recency_column, mod.config().frequency_column,
                              mod.config().monetary_column);
      })
      .def_property_readonly("segments", [](const rfm_model& mod) { return mod.config().segments; });
  bind_strategy<rfm_strategy, rfm_config>(m, "RFMStrategy", &rfm_strategy::fit_rfm);

  py::class_<abc_config>(m, "ABCConfig")
      .def(py::init<>())
      .def_readwrite("column", &abc_config::column)
      .def_property("mode", [](const abc_config& c) { return abc_mode_name(c.mode); },
                    [](abc_config& c, const std::string& s) { c.mode = parse_abc_mode(s); })
      .def_readwrite("shares", &abc_config::shares)
      .def_readwrite("labels", &abc_config::labels)
      .def_property("nonpositive", [](const abc_config& c) { return nonpositive_policy_name(c.nonpositive); },
                    [](abc_config& c, const std::string& s) { c.nonpositive = parse_nonpositive_policy(s); })
      .def_readwrite("nonpositive_label", &abc_config::nonpositive_label);

  bind_model<abc_model, &abc_model_from_bytes>(m, "ABCModel")
      .def_property_readonly("labels", &abc_model::labels)
      .def_property_readonly("column", [](const abc_model& mod) { return mod.config().column; })
      .def_property_readonly("mode", [](const abc_model& mod) { return abc_mode_name(mod.config().mode); })
      .def_property_readonly("shares", [](const abc_model& mod) { return mod.config().shares; })
      .def_property_readonly("nonpositive", [](const abc_model& mod) {
        return nonpositive_policy_name(mod.config().nonpositive);
      })
      .def_property_readonly("missing", &abc_model::missing_at_fit)
      .def_property_readonly("concentration", [](const abc_model& mod) {
        const concentration& c = mod.concentration_at_fit();
        py::dict d;
        d["customers"] = c.customers;
        d["negative_left_out"] = c.negative_left_out;
        d["total"] = c.total;
        d["gini"] = c.gini;
        d["top20_share"] = c.top20_share;
        d["lorenz"] = py::array_t<double>(static_cast<py::ssize_t>(c.lorenz.size()), c.lorenz.data());
        return d;
      });
  bind_strategy<abc_strategy, abc_config>(m, "ABCStrategy", [](const abc_strategy& s, const metric_table& t) {
    return s.fit_abc(t);
  });

  py::class_<lifecycle_config>(m, "LifecycleConfig")
      .def(py::init<>())
      .def_readwrite("new_days", &lifecycle_config::new_days)
      .def_readwrite("dormant_days", &lifecycle_config::dormant_days)
      .def_readwrite("churn_days", &lifecycle_config::churn_days)
      .def_readwrite("relative_to_gap", &lifecycle_config::relative_to_gap)
      .def_readwrite("dormant_gaps", &lifecycle_config::dormant_gaps)
      .def_readwrite("churn_gaps", &lifecycle_config::churn_gaps)
      .def_readwrite("min_relative_days", &lifecycle_config::min_relative_days)
      .def_readwrite("by_p_alive", &lifecycle_config::by_p_alive)
      .def_readwrite("dormant_p_alive", &lifecycle_config::dormant_p_alive)
      .def_readwrite("churn_p_alive", &lifecycle_config::churn_p_alive)
      .def("check", &lifecycle_config::check);

  bind_model<lifecycle_model, &lifecycle_model_from_bytes>(m, "LifecycleModel")
      .def_property_readonly("config", &lifecycle_model::config);
  bind_strategy<lifecycle_strategy, lifecycle_config>(m, "LifecycleStrategy", &lifecycle_strategy::fit_lifecycle);

  py::class_<value_potential_config>(m, "ValuePotentialConfig")
      .def(py::init<>())
      .def_static("preset", &value_potential_config::preset, py::arg("name"))
      .def_readwrite("value_column", &value_potential_config::value_column)
      .def_readwrite("potential_column", &value_potential_config::potential_column)
      .def_readwrite("value", &value_potential_config::value)
      .def_readwrite("potential", &value_potential_config::potential)
      .def_readwrite("cells", &value_potential_config::cells)
      .def_readwrite("cells_zh", &value_potential_config::cells_zh)
      .def("check", &value_potential_config::check);

  bind_model<value_potential_model, &value_potential_model_from_bytes>(m, "ValuePotentialModel")
      .def_property_readonly("value_bins", [](const value_potential_model& mod) { return bins_dict(mod.value_bins()); })
      .def_property_readonly("potential_bins", [](const value_potential_model& mod) { return bins_dict(mod.potential_bins()); })
      .def_property_readonly("columns", [](const value_potential_model& mod) {
        return py::make_tuple(mod.config().value_column, mod.config().potential_column);
      })
      .def_property_readonly("unscored", &value_potential_model::unscored_at_fit);
  bind_strategy<value_potential_strategy, value_potential_config>(m, "ValuePotentialStrategy",
                                                                  &value_potential_strategy::fit_vp);

  py::class_<band_condition>(m, "BandCondition")
      .def(py::init([](std::string column, const std::string& op, double value) {
             return band_condition{std::move(column), parse_comparison(op), value};
           }), py::arg("column"), py::arg("op"), py::arg("value"))
      .def_readonly("column", &band_condition::column)
      .def_property_readonly("op", [](const band_condition& c) { return comparison_symbol(c.op); })
      .def_readonly("value", &band_condition::value);
  py::class_<asset_band>(m, "AssetBand")
      .def(py::init([](std::string label, std::string zh, std::string role, double lower,
                       std::vector<band_condition> conditions) {
             return asset_band{std::move(label), std::move(zh), std::move(role), lower, std::move(conditions)};
           }), py::arg("label"), py::arg("label_zh"), py::arg("owner_role"), py::arg("lower"),
           py::arg("conditions"))
      .def_readonly("label", &asset_band::label)
      .def_readonly("label_zh", &asset_band::label_zh)
      .def_readonly("owner_role", &asset_band::owner_role)
      .def_readonly("lower", &asset_band::lower)
      .def_readonly("conditions", &asset_band::conditions);
  py::class_<entry_criterion>(m, "EntryCriterion")
      .def(py::init([](std::string name, std::string zh, std::string column, double threshold) {
             return entry_criterion{std::move(name), std::move(zh), std::move(column), threshold};
           }), py::arg("name"), py::arg("name_zh"), py::arg("column"), py::arg("threshold"))
      .def_readonly("name", &entry_criterion::name)
      .def_readonly("name_zh", &entry_criterion::name_zh)
      .def_readonly("column", &entry_criterion::column)
      .def_readonly("threshold", &entry_criterion::threshold);
  py::class_<asset_band_config>(m, "AssetBandConfig")
      .def(py::init<>())
      .def_static("chinese_retail", &asset_band_config::chinese_retail)
      .def_readwrite("balance_column", &asset_band_config::balance_column)
      .def_readwrite("bands", &asset_band_config::bands)
      .def_readwrite("criteria", &asset_band_config::criteria)
      .def_readwrite("pool", &asset_band_config::pool)
      .def_readwrite("unassigned", &asset_band_config::unassigned)
      .def_readwrite("unassigned_zh", &asset_band_config::unassigned_zh)
      .def("check", &asset_band_config::check);
  // Without ==: asset_band_model has no operator==; Python's AssetBandModel compares its
  // bytes and the text levels it keeps beside it.
  bind_model<asset_band_model, &asset_band_model_from_bytes, model_equality::without>(m, "AssetBandModel")
      .def_property_readonly("config", &asset_band_model::config);
  bind_strategy<asset_band_strategy, asset_band_config>(m, "AssetBandStrategy", &asset_band_strategy::fit_bands);

  py::class_<relationship_star_config>(m, "RelationshipStarConfig")
      .def(py::init<>())
      .def_readwrite("accounts_column", &relationship_star_config::accounts_column)
      .def_readwrite("balance_column", &relationship_star_config::balance_column)
      .def_readwrite("variation_column", &relationship_star_config::variation_column)
      .def_readwrite("wallet_share_column", &relationship_star_config::wallet_share_column)
      .def_readwrite("private_banking", &relationship_star_config::private_banking)
      .def_readwrite("vip", &relationship_star_config::vip)
      .def_readwrite("max_variation", &relationship_star_config::max_variation)
      .def_readwrite("min_wallet_share", &relationship_star_config::min_wallet_share)
      .def_readwrite("labels", &relationship_star_config::labels)
      .def_readwrite("labels_zh", &relationship_star_config::labels_zh);
  py::class_<points_star_config>(m, "PointsStarConfig")
      .def(py::init<>())
      .def_readwrite("columns", &points_star_config::columns)
      .def_readwrite("weights", &points_star_config::weights)
      .def_readwrite("boundaries", &points_star_config::boundaries)
      .def_readwrite("labels", &points_star_config::labels)
      .def_readwrite("labels_zh", &points_star_config::labels_zh);
  // Ranks of text levels for the pieces (chunks) of a text column, in row order: (float64
  // ranks, NaN for null and unknown rows; the number of unknown rows).
  m.def("rank_levels", [](const py::list& pieces, const std::vector<std::string>& levels) {
    std::vector<column_view> views;
    std::size_t n = 0;
    for (const py::handle& p : pieces) {
      views.push_back(import_arrow_column(p, "levels"));
      n += static_cast<std::size_t>(views.back().length);
    }
    py::array_t<double> ranks(static_cast<py::ssize_t>(n));
    double* out = ranks.mutable_data();
    std::int64_t unknown = 0;
    {
      py::gil_scoped_release release;
      for (const column_view& v : views) {
        unknown += rank_levels(v, levels, out);
        out += v.length;
      }
    }
    return py::make_tuple(ranks, unknown);
  }, py::arg("pieces"), py::arg("levels"));
  // Label codes (a contiguous int8 or int32 array; negative = missing) as an Arrow
  // dictionary column's parts: (indices: int8 up to 128 labels, else int32; validity bitmap
  // bytes; missing rows), in one pass with the GIL released. int8 codes all present and in
  // range come back as the indices themselves (checked by a read-only pass that stops at the
  // first block holding another code; no copy: the caller must not change them afterwards).
  // Codes at or beyond the number of labels are refused. Other integer types are narrowed,
  // checked, by the Python caller (tierkit._results.label_array): a cast here would wrap
  // them silently.
  m.def("label_indices", [](const py::array& codes, std::size_t labels) -> py::tuple {
    const bool is8 = py::isinstance<py::array_t<std::int8_t>>(codes);
    const bool is32 = py::isinstance<py::array_t<std::int32_t>>(codes);
    if (codes.ndim() != 1 || !(is8 || is32) || !(codes.flags() & py::array::c_style)) {
      throw invalid_input("tierkit.label_indices: codes must be a one-dimensional contiguous int8 or int32 array, not " +
                          std::string(py::str(codes.dtype())) + " of " + std::to_string(codes.ndim()) + " dimensions");
    }
    const auto n = static_cast<std::size_t>(codes.size());
    if (is8 && label_indices_fit_8_bits(labels)) {
      bool in_place = false;
      {
        py::gil_scoped_release release;
        in_place = label_codes_are_indices(static_cast<const std::int8_t*>(codes.data()), n, labels);
      }
      if (in_place) {
        return py::make_tuple(codes, py::array_t<std::uint8_t>(0), std::int64_t{0});  // the codes are the indices
      }
    }
    py::array_t<std::uint8_t> validity(static_cast<py::ssize_t>((n + 7) / 8));
    std::uint8_t* bits = validity.mutable_data();
    label_index_counts counts;
    py::array indices;
    auto fill = [&](const auto* in, auto* out) {
      py::gil_scoped_release release;
      counts = label_indices(in, n, labels, out, bits);
    };
    if (label_indices_fit_8_bits(labels)) {
      py::array_t<std::int8_t> out(static_cast<py::ssize_t>(n));
      if (is8) {
        fill(static_cast<const std::int8_t*>(codes.data()), out.mutable_data());
      } else {
        fill(static_cast<const std::int32_t*>(codes.data()), out.mutable_data());
      }
      indices = out;
    } else {
      // int8 codes widen exactly.
      const auto wide = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(codes);
      py::array_t<std::int32_t> out(static_cast<py::ssize_t>(n));
      fill(wide.data(), out.mutable_data());
      indices = out;
    }
    if (counts.out_of_range > 0) {
      const std::int64_t k = counts.out_of_range;
      throw invalid_input("tierkit: " + std::to_string(k) + (k == 1 ? " row holds" : " rows hold") +
                          " a label code beyond the " + std::to_string(labels) + " labels");
    }
    return py::make_tuple(indices, validity, counts.missing);
  }, py::arg("codes"), py::arg("labels"));
  m.def("relationship_stars", [](const metric_table& t, const relationship_star_config& c) {
    return score_table_dict(relationship_stars(t, c));
  }, py::arg("metrics"), py::arg("config"));
  m.def("points_stars", [](const metric_table& t, const points_star_config& c) {
    return score_table_dict(points_stars(t, c));
  }, py::arg("metrics"), py::arg("config"));

  m.def("concentration", [](py::array_t<double, py::array::c_style | py::array::forcecast> v) {
    const concentration c = measure_concentration(std::vector<double>(v.data(), v.data() + v.size()));
    py::dict d;
    d["customers"] = c.customers;
    d["negative_left_out"] = c.negative_left_out;
    d["total"] = c.total;
    d["gini"] = c.gini;
    d["top20_share"] = c.top20_share;
    d["lorenz"] = py::array_t<double>(static_cast<py::ssize_t>(c.lorenz.size()), c.lorenz.data());
    return d;
  }, py::arg("values"));
  m.def("envelope_kind", [](const py::bytes& b) { return envelope_kind(std::string(b)); });
  m.attr("FORMAT_VERSION") = format_version;
}

}  // namespace tierkit::python
