#pragma once
// tierkit version. The CMake project and the Python package read the string below.
#define TIERKIT_VERSION_MAJOR 0
#define TIERKIT_VERSION_MINOR 1
#define TIERKIT_VERSION_PATCH 0
#define TIERKIT_VERSION_STRING "0.1.0"

namespace tierkit {
inline constexpr const char* version_string = TIERKIT_VERSION_STRING;
}  // namespace tierkit
