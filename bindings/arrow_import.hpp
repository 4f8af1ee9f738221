#pragma once
// Reads Arrow arrays exported through PyCapsules ("arrow_schema", "arrow_array", as
// returned by __arrow_c_array__) into tierkit column views, in place. The capsules stay
// owned by the caller's Python objects; keep them alive while the views are used.
#include <pybind11/pybind11.h>

#include <string>

#include "tierkit/column.hpp"

namespace tierkit::python {

// `capsules` is the (schema, array) tuple of __arrow_c_array__. `name` is the column name
// used in messages. Throws tierkit::schema_error for types tierkit does not read.
column_view import_arrow_column(const pybind11::handle& capsules, const std::string& name);

}  // namespace tierkit::python
