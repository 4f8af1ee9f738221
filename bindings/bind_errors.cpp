// tierkit's exceptions in Python: TierkitError is the base, as tierkit::error is in C++;
// InvalidInput, SchemaError and FormatError also derive from ValueError, so `except
// ValueError` catches them too. The correspondence (tierkit/error.hpp, docs/cpp.md):
// invalid_input -> InvalidInput, schema_error -> SchemaError, format_error -> FormatError
// (a std::runtime_error in C++, a ValueError here as for other undecodable data),
// not_converged -> NotConverged (an InvalidInput), cancelled -> the exception the signal
// handler raised (KeyboardInterrupt), any other tierkit::error -> TierkitError.
//
// Ctrl-C: the core's cancellation hook (tierkit/cancel.hpp) runs Python's signal handlers
// (PyErr_CheckSignals, with the GIL taken for the moment) on the thread that called into
// the core; when a handler raises -- KeyboardInterrupt for SIGINT -- the core stops with
// tierkit::cancelled, and the translator below re-raises the handler's exception itself.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>

#include "bindings.hpp"
#include "tierkit/cancel.hpp"
#include "tierkit/error.hpp"

namespace py = pybind11;

namespace tierkit::python {

namespace {
PyObject* base_error = nullptr;
PyObject* invalid_input_error = nullptr;
PyObject* schema_error_type = nullptr;
PyObject* format_error_type = nullptr;
PyObject* not_converged_type = nullptr;

// The exception a signal handler raised during a call, kept on the calling thread (which
// both runs the hook and translates the call's exception) until the translator restores
// it. Raw references: a thread_local with a destructor could run after the interpreter is
// gone.
#if PY_VERSION_HEX >= 0x030C0000
thread_local PyObject* pending_exception = nullptr;
#else
thread_local PyObject* pending_type = nullptr;
thread_local PyObject* pending_value = nullptr;
thread_local PyObject* pending_traceback = nullptr;
#endif

void keep_pending() {
#if PY_VERSION_HEX >= 0x030C0000
  Py_XDECREF(pending_exception);
  pending_exception = PyErr_GetRaisedException();
#else
  Py_XDECREF(pending_type);
  Py_XDECREF(pending_value);
  Py_XDECREF(pending_traceback);
  PyErr_Fetch(&pending_type, &pending_value, &pending_traceback);
#endif
}

// Restores the kept exception as the current one; false when none was kept.
bool restore_pending() {
#if PY_VERSION_HEX >= 0x030C0000
  if (pending_exception == nullptr) return false;
  PyErr_SetRaisedException(pending_exception);
  pending_exception = nullptr;
#else
  if (pending_type == nullptr) return false;
  PyErr_Restore(pending_type, pending_value, pending_traceback);
  pending_type = pending_value = pending_traceback = nullptr;
#endif
  return true;
}

// Taking the GIL may wait for another Python thread's switch interval (5 ms by default):
// the signal handlers run at most every 50 ms per thread, which bounds that cost and still
// answers Ctrl-C at once as people see it.
constexpr std::chrono::milliseconds signal_poll_interval{50};
thread_local std::chrono::steady_clock::time_point next_signal_poll{};

bool python_signal_raised() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_signal_poll) return false;
  next_signal_poll = now + signal_poll_interval;
  if (!Py_IsInitialized()) return false;
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() == 0) return false;
  keep_pending();
  return true;
}

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
  not_converged_type = make_error(
      m, "NotConverged", invalid_input_error,
      "A maximum-likelihood fit that did not converge; names, parameters, log_likelihood, "
      "gradient_norm and iterations say where it stopped.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tierkit::not_converged& e) {
      py::object err = py::reinterpret_borrow<py::object>(not_converged_type)(e.what());
      err.attr("names") = py::cast(e.names);
      err.attr("parameters") = py::cast(e.parameters);
      err.attr("log_likelihood") = e.log_likelihood;
      err.attr("gradient_norm") = e.gradient_norm;
      err.attr("iterations") = e.iterations;
      PyErr_SetObject(not_converged_type, err.ptr());
    } catch (const tierkit::invalid_input& e) {
      PyErr_SetString(invalid_input_error, e.what());
    } catch (const tierkit::schema_error& e) {
      PyErr_SetString(schema_error_type, e.what());
    } catch (const tierkit::format_error& e) {
      PyErr_SetString(format_error_type, e.what());
    } catch (const tierkit::cancelled& e) {
      if (!restore_pending()) PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const tierkit::error& e) {
      // A tierkit::error without a Python class of its own is still a TierkitError, never
      // the RuntimeError or ValueError pybind11 would make of its std type.
      PyErr_SetString(base_error, e.what());
    }
  });
  tierkit::set_cancel_hook(&python_signal_raised);
}

}  // namespace tierkit::python
