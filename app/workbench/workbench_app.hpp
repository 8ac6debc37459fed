// Starting the workbench from the orrery command: the Qt application, the
// main window on a project, and the event loop.
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"

#include <QStringList>

namespace orrery::workbench {

// Sets application name, organisation and version (QSettings and --version read them).
void set_application_identity();

// Opens the main window on project, shows runsToShow (ids) when given, and runs the event loop.
int run_workbench(int& argc, char** argv, const runfiles::Project& project, const launch::InstallPaths& paths,
                  const QStringList& runsToShow = {});

}  // namespace orrery::workbench
