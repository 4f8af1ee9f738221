// Households: the roll-up of members' measures and the hand-back of household tiers
// (tierkit.Households matches the keys, these do the arithmetic).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "tierkit/households.hpp"

namespace py = pybind11;

namespace tierkit::python {

void bind_households(py::module_& m) {
  m.def("household_rollup", [](const metric_table& data, array_in<std::int64_t> household,
                               array_in<std::int64_t> data_row, const py::object& weight,
                               std::size_t households, const py::object& counts,
                               const std::vector<std::pair<std::string, std::string>>& measures) {
    household_membership hm;
    hm.household = to_vector(household);
    hm.data_row = to_vector(data_row);
    if (!weight.is_none()) hm.weight = to_vector(weight.cast<array_in<double>>());
    if (!counts.is_none()) hm.counts = to_vector(counts.cast<array_in<std::uint8_t>>());
    hm.households = households;
    std::vector<rollup_measure> asked;
    for (const auto& [column, how] : measures) asked.push_back({column, parse_rollup_how(how, "tierkit.roll_up")});
    household_rollup r;
    {
      const shared_use reading(&data);
      py::gil_scoped_release release;
      r = roll_up(data, hm, asked);
    }
    py::dict out;
    out["members"] = numpy_from(std::move(r.members));
    out["members_with_data"] = numpy_from(std::move(r.members_with_data));
    py::list values, valid;
    for (auto& v : r.values) values.append(numpy_from(std::move(v)));
    for (auto& v : r.valid) valid.append(numpy_from(std::move(v)));
    out["values"] = values;
    out["valid"] = valid;
    out["members_missing"] = r.members_missing;
    out["households_without_data"] = r.households_without_data;
    return out;
  }, py::arg("data"), py::arg("household"), py::arg("data_row"), py::arg("weight"), py::arg("households"),
     py::arg("counts"), py::arg("measures"),
     "Per household: members, members_with_data and each (column, how) measure with its validity.");

  m.def("household_hand_back", [](array_in<std::int64_t> customer, array_in<std::int32_t> household_rank,
                                  array_in<std::int32_t> own_rank, const std::string& rule) {
    const hand_back_rule r = parse_hand_back_rule(rule, "tierkit.hand_back");
    member_tiers t = hand_back(to_vector(customer), to_vector(household_rank), to_vector(own_rank), r);
    py::dict out;
    out["tier"] = numpy_from(std::move(t.tier));
    out["household_tier"] = numpy_from(std::move(t.household_tier));
    out["household_row"] = numpy_from(std::move(t.household_row));
    out["from_household"] = numpy_from(std::move(t.from_household));
    out["members"] = t.members;
    out["raised"] = t.raised;
    out["lowered"] = t.lowered;
    out["without_own_tier"] = t.without_own_tier;
    return out;
  }, py::arg("customer"), py::arg("household_rank"), py::arg("own_rank"), py::arg("rule"),
     "Per customer: the rank handed back, the household's rank, the membership row named and "
     "whether the tier came from the household.");
}

}  // namespace tierkit::python
