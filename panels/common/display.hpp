// Whether Qt has somewhere to draw: the workbench refuses to open without it,
// and picture export switches Qt to its offscreen platform instead.
#pragma once

namespace orrery::panels {

// True when a window can be shown: a display, or a Qt platform chosen explicitly (e.g. offscreen).
bool display_available();

}  // namespace orrery::panels
