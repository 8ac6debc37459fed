// A report as HTML: one self-contained file (inline CSS, charts as inline <svg>), and the
// same text part without charts for the PDF, which draws the charts itself. Every string
// that comes from a run (names, tags, notes, parameters, failure reasons) is escaped.
#pragma once

#include "charts/report_content.hpp"

#include <QByteArray>
#include <QString>

namespace orrery::panels {

// Title, runs table, parameters table, summary metrics and notes: HTML body markup in the
// subset QTextDocument renders (tables with border attributes, no external resources).
QString report_text_html(const ReportContent& content);

// The whole document, UTF-8: the text part then one inline SVG chart per shared metric.
// Needs a QApplication (charts are drawn by the workbench's chart).
QByteArray report_html(const ReportContent& content);

}  // namespace orrery::panels
