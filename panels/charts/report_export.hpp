// `orrery report RUN... --html F --pdf F` and the workbench's "Export report…": gathers
// the runs once and writes the HTML and/or the PDF, each replaced only when complete.
// Needs a QApplication; runs on any one thread (it opens HDF5 files and draws offscreen).
#pragma once

#include "charts/report_content.hpp"
#include "runfiles/project.hpp"

#include <QString>

#include <string>
#include <vector>

namespace orrery::panels {

struct ReportRequest {
  std::vector<std::string> runs;  // ids, id prefixes or names
  QString html_file;              // empty: no HTML
  QString pdf_file;               // empty: no PDF
  bool all_parameters = false;
};

// Throws std::runtime_error (ProjectError for an unknown run, naming it) with a message for
// the user; an output that cannot be written is named with the system's reason, before
// any run is read.
void export_report(const runfiles::Project& project, const ReportRequest& request);

// The writing half alone, for a caller that gathered the content elsewhere (the workbench
// reads the runs off the UI thread; charts are widgets, so drawing stays on the UI thread).
void write_report(const ReportContent& content, const ReportRequest& request);

}  // namespace orrery::panels
