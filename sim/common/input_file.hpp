// Reads an input file (experiment, .lock, protocol table) as text, refusing what is not a
// file of reasonable size: a directory, or more bytes than limits::Id::InputBytes (so
// `lockstep run /dev/zero` stops at once instead of filling the memory).
#pragma once
#include <string>

namespace lockstep {

// Returns "" and fills `out` on success; otherwise why the file cannot be used
// ("is a directory, not a file", "cannot be opened", "is N bytes, over the limit ...").
std::string read_input_file(const std::string& path, std::string& out);

}  // namespace lockstep
