#include "charts/report_html.hpp"

#include "charts/report_charts.hpp"

#include <QDateTime>

#include <cmath>
#include <set>

namespace orrery::panels {

namespace {

// Untrusted text goes into QString::arg only as one call with every value: a later,
// chained arg() would substitute a "%1" inside a run's notes.
QString esc(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString clock_text(double epoch_seconds) {
  if (epoch_seconds <= 0) return QStringLiteral("—");
  return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(epoch_seconds * 1000)).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

// A run still going is measured up to the report's time.
QString duration_text(const runfiles::RunRecord& r, double now) {
  if (r.started <= 0) return QStringLiteral("—");
  const double seconds = std::max(0.0, (r.ended > 0 ? r.ended : now) - r.started);
  if (seconds < 60) return QString::number(seconds, 'f', 1) + QStringLiteral(" s");
  const auto whole = static_cast<long long>(std::llround(seconds));
  return QStringLiteral("%1h %2m %3s").arg(whole / 3600).arg(whole / 60 % 60, 2, 10, QChar('0')).arg(whole % 60, 2, 10, QChar('0'));
}

QString number_text(double v) { return QString::number(v, 'g', 6); }

QString tags_text(const ReportRun& run) {
  std::set<std::string> tags(run.record.tags.begin(), run.record.tags.end());
  tags.insert(run.annotations.tags.begin(), run.annotations.tags.end());
  QString out;
  for (const auto& t : tags) out += (out.isEmpty() ? QString() : QStringLiteral(", ")) + esc(t);
  return out;
}

QString runs_table(const ReportContent& c) {
  QString h = QStringLiteral("<h2>Runs</h2>\n<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n"
                             "<tr><th>Run id</th><th>Name</th><th>Kind</th><th>Status</th><th>Ranks</th>"
                             "<th>Started</th><th>Duration</th><th>Tags</th></tr>\n");
  for (const auto& run : c.runs) {
    const auto& r = run.record;
    QString status = esc(runfiles::to_string(run.status));
    if (!r.reason.empty()) status += QStringLiteral(": ") + esc(r.reason);
    if (r.failure) status += QStringLiteral(" (rank %1)").arg(r.failure->rank);
    h += QStringLiteral("<tr><td><code>%1</code></td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td><td>%7</td><td>%8</td></tr>\n")
             .arg(esc(r.id), esc(r.name), esc(r.kind), status, QString::number(r.ranks),
                  clock_text(r.started > 0 ? r.started : r.created), duration_text(r, c.generated), tags_text(run));
  }
  return h + QStringLiteral("</table>\n");
}

QString parameters_table(const ReportContent& c) {
  QString h = QStringLiteral("<h2>Parameters</h2>\n");
  const bool only_differing = !c.all_parameters && c.runs.size() > 1;
  if (c.parameters.empty()) {
    return h + (only_differing ? QStringLiteral("<p>Every parameter has the same value in every run.</p>\n")
                               : QStringLiteral("<p>No parameters.</p>\n"));
  }
  if (only_differing) h += QStringLiteral("<p>Only the parameters whose values differ between the runs.</p>\n");
  h += QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n<tr><th>Parameter</th>");
  for (const auto& run : c.runs) h += QStringLiteral("<th><code>%1</code></th>").arg(esc(run.record.id));
  h += QStringLiteral("</tr>\n");
  for (const auto& row : c.parameters) {
    h += QStringLiteral("<tr><td>%1</td>").arg(esc(row.name));
    for (const auto& value : row.values)
      h += QStringLiteral("<td>%1</td>").arg(value ? esc(*value) : QStringLiteral("<i>unset</i>"));
    h += QStringLiteral("</tr>\n");
  }
  return h + QStringLiteral("</table>\n");
}

QString summary_tables(const ReportContent& c) {
  QString h = QStringLiteral("<h2>Summary metrics</h2>\n<p>Final: the mean over ranks of each rank's last value. "
                             "Best: the minimum for loss-like metrics (loss, error, latency, ...), else the maximum.</p>\n");
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    h += QStringLiteral("<h3><code>%1</code></h3>\n").arg(esc(c.runs[i].record.id));
    if (!c.runs[i].series_error.empty()) h += QStringLiteral("<p>Metrics unreadable: %1</p>\n").arg(esc(c.runs[i].series_error));
    if (c.summaries[i].empty()) {
      h += QStringLiteral("<p>No metrics.</p>\n");
      continue;
    }
    h += QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n<tr><th>Metric</th><th>Final</th><th>Best</th>"
                        "<th>Min</th><th>Max</th><th>Points</th><th>Ranks</th></tr>\n");
    for (const auto& s : c.summaries[i]) {
      h += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3 (%4)</td><td>%5</td><td>%6</td><td>%7</td><td>%8</td></tr>\n")
               .arg(esc(s.metric), number_text(s.final_value), number_text(s.best()),
                    s.lower_is_better ? QStringLiteral("min") : QStringLiteral("max"), number_text(s.min), number_text(s.max),
                    QString::number(static_cast<qulonglong>(s.points)), QString::number(s.ranks));
    }
    h += QStringLiteral("</table>\n");
  }
  return h;
}

QString notes_section(const ReportContent& c) {
  QString h;
  for (const auto& run : c.runs) {
    if (run.annotations.notes.empty()) continue;
    h += QStringLiteral("<h3><code>%1</code></h3>\n<p style=\"white-space: pre-wrap\">%2</p>\n")
             .arg(esc(run.record.id), esc(run.annotations.notes));
  }
  return h.isEmpty() ? h : QStringLiteral("<h2>Notes</h2>\n") + h;
}

}  // namespace

QString report_text_html(const ReportContent& c) {
  return QStringLiteral("<h1>Orrery report: %1 run%2</h1>\n<p>Generated %3.</p>\n")
             .arg(c.runs.size())
             .arg(c.runs.size() == 1 ? QString() : QStringLiteral("s"), clock_text(c.generated)) +
         runs_table(c) + parameters_table(c) + summary_tables(c) + notes_section(c);
}

QByteArray report_html(const ReportContent& c) {
  QByteArray out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Orrery report</title>\n<style>\n"
      "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
      "table { border-collapse: collapse; margin-bottom: 1em; }\n"
      "th, td { border: 1px solid #999; padding: 4px 8px; text-align: left; vertical-align: top; }\n"
      "th { background: #eee; }\n"
      ".chart svg { max-width: 100%; height: auto; }\n"
      "</style>\n</head>\n<body>\n";
  out += report_text_html(c).toUtf8();
  if (!c.shared_metrics.empty()) out += "<h2>Charts</h2>\n";
  for (const auto& metric : c.shared_metrics) {
    out += "<div class=\"chart\">\n<h3>" + esc(metric).toUtf8() + "</h3>\n";
    out += report_chart_svg(c, metric);
    out += "\n</div>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace orrery::panels
