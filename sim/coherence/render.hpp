// Renders a protocol's controller tables, exactly as the simulator executes them (the
// parsed ControllerSpec, not the source text): `lockstep protocol show`.
//   markdown: a state list (stable/transient, attributes), then a state x event matrix
//             whose cells read "actions / next" ("-" = defined, does nothing; blank =
//             undefined: reaching it is a protocol error the simulator reports);
//   dot:      Graphviz digraph, states as nodes (transient ones dashed), one edge per
//             (state, next state) pair labelled with every "event / actions" that takes it.
#pragma once
#include <string>
#include <vector>

#include "coherence/protocol.hpp"

namespace lockstep::coherence {

// One cell of the matrix: "" (undefined), "-" (defined, no actions, unchanged),
// "hit", "requestBus / IS_AD", "supplyData; writeback / S".
std::string render_cell(const ControllerSpec& c, int state, int event);

std::string render_markdown(const Protocol& p, const ControllerSpec& c);
// `name` is the graph's identifier (quoted in the output).
std::string render_dot(const Protocol& p, const ControllerSpec& c);
// Several controllers (directory: cache and directory) as ONE graph, a cluster per
// controller, node ids prefixed "KIND:" (so `| dot -Tsvg` gives one SVG).
std::string render_dot(const Protocol& p, const std::vector<const ControllerSpec*>& cs);

}  // namespace lockstep::coherence
