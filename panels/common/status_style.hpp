// How a run's status looks wherever the workbench shows it (runs browser,
// chart legends, the status bar): one colour and one icon per status.
#pragma once

#include "runfiles/run_record.hpp"

#include <QColor>
#include <QIcon>
#include <QString>

namespace orrery::panels {

QColor status_color(runfiles::RunStatus status);
QIcon status_icon(runfiles::RunStatus status);
QString status_text(runfiles::RunStatus status);

}  // namespace orrery::panels
