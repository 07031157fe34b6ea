// Writing result files so that a reader (or a crash) never sees half of one: the content goes
// to PATH.tmp.<pid> first and is renamed over PATH, which replaces it in one step.
#pragma once
#include <string>

namespace lockstep::output {

// Creates missing parent directories. Throws std::runtime_error naming the path on failure;
// the temporary file is removed and the old PATH, if any, is left untouched.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace lockstep::output
