#include "common/display.hpp"

#include <cstdlib>
#include <initializer_list>

namespace orrery::panels {

bool display_available() {
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
    const char* value = std::getenv(name);
    if (value && *value) return true;
  }
  return false;
}

}  // namespace orrery::panels
