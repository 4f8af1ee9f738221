#include "arrow_import.hpp"

#include <cstring>
#include <memory>

#include "arrow_c.hpp"
#include "arrow_c_import.hpp"
#include "tierkit/error.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {

template <class T>
T* capsule_pointer(const py::handle& capsule, const char* expected) {
  if (!PyCapsule_CheckExact(capsule.ptr())) {
    throw schema_error(std::string("tierkit: expected a PyCapsule named '") + expected + "'");
  }
  const char* name = PyCapsule_GetName(capsule.ptr());
  if (name == nullptr || std::strcmp(name, expected) != 0) {
    throw schema_error(std::string("tierkit: expected a PyCapsule named '") + expected + "'");
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), expected));
}

}  // namespace

column_view import_arrow_column(const py::handle& capsules, const std::string& name) {
  const py::tuple pair = py::reinterpret_borrow<py::tuple>(capsules);
  if (pair.size() != 2) throw schema_error("tierkit: expected a (schema, array) capsule pair");
  const auto* schema = capsule_pointer<ArrowSchema>(pair[0], "arrow_schema");
  const auto* array = capsule_pointer<ArrowArray>(pair[1], "arrow_array");
  if (schema->release == nullptr || array->release == nullptr) {
    throw schema_error("tierkit: column '" + name + "' was already released");
  }
  return column_from_arrow(*schema, *array, name);
}

}  // namespace tierkit::python
