// A report as PDF: the same text as the HTML (QTextDocument, paginated), then the charts
// drawn as vectors by the workbench's chart, two per A4 page. Needs a QApplication.
#pragma once

#include "charts/report_content.hpp"

class QIODevice;

namespace orrery::panels {

// Writes into an open device; throws std::runtime_error when the PDF cannot be painted.
void write_report_pdf(const ReportContent& content, QIODevice& device);

}  // namespace orrery::panels
