// Number formatting shared by every writer. Results must be byte-identical across runs,
// job counts and hosts, so floating-point figures are rounded to a fixed number of
// significant digits before they are printed.
#pragma once
#include <filesystem>
#include <string>

namespace lockstep::output {

// `v` rounded to `digits` significant digits (6 by default); NaN and infinities become 0
// (JSON has no spelling for them).
double round_sig(double v, int digits = 6);

// Rounded to 6 significant digits and printed in plain decimal, without exponent or
// trailing zeros: 0.5, 12, 1234570, 0.000123.
std::string format_number(double v);

// A CSV field: quoted (with "" for ") only when it holds a comma, quote or line break.
std::string csv_field(const std::string& s);

// Text for XML/HTML content and attribute values: & < > " escaped.
std::string xml_escape(const std::string& s);

// A whole file's bytes ("" when it cannot be read; callers that must tell check first).
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace lockstep::output
