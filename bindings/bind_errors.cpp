// tierkit's exceptions in Python: TierkitError is the base; InvalidInput, SchemaError and
// FormatError also derive from ValueError, so `except ValueError` catches them too.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "tierkit/error.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {
PyObject* base_error = nullptr;
PyObject* invalid_input_error = nullptr;
PyObject* schema_error_type = nullptr;
PyObject* format_error_type = nullptr;

PyObject* make_error(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  const std::string qualified = std::string("tierkit.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));
  return type;
}
}  // namespace

void bind_errors(py::module_& m) {
  base_error = make_error(m, "TierkitError", PyExc_Exception, "Base class of tierkit's errors.");
  py::tuple bases = py::make_tuple(py::handle(base_error), py::handle(PyExc_ValueError));
  invalid_input_error = make_error(
      m, "InvalidInput", bases.ptr(),
      "Row-level problems: nulls, NaN or infinite values, rows after as_of, duplicate keys, "
      "empty input. The message names the column, the problem and the row count.");
  schema_error_type = make_error(
      m, "SchemaError", bases.ptr(),
      "Shape problems: a missing column, an unsupported type, columns of different lengths.");
  format_error_type = make_error(
      m, "FormatError", bases.ptr(),
      "Bytes or files that are not a valid tierkit object of a readable format version.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tierkit::invalid_input& e) {
      PyErr_SetString(invalid_input_error, e.what());
    } catch (const tierkit::schema_error& e) {
      PyErr_SetString(schema_error_type, e.what());
    } catch (const tierkit::format_error& e) {
      PyErr_SetString(format_error_type, e.what());
    }
  });
}

}  // namespace tierkit::python
