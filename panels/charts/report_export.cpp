#include "charts/report_export.hpp"

#include "charts/report_html.hpp"
#include "charts/report_pdf.hpp"

#include <QSaveFile>

#include <memory>
#include <stdexcept>

namespace orrery::panels {

namespace {

std::unique_ptr<QSaveFile> open_output(const QString& path) {
  if (path.isEmpty()) return nullptr;
  auto file = std::make_unique<QSaveFile>(path);
  if (!file->open(QIODevice::WriteOnly))
    throw std::runtime_error("cannot write " + path.toStdString() + ": " + file->errorString().toStdString());
  return file;
}

void commit(QSaveFile& file) {
  if (!file.commit()) throw std::runtime_error("cannot write " + file.fileName().toStdString() + ": " + file.errorString().toStdString());
}

// QSaveFile writes beside the target and renames on commit: a failed report leaves no
// half file, and an earlier report at that path stays as it was.
struct Outputs {
  std::unique_ptr<QSaveFile> html, pdf;
};

Outputs open_outputs(const ReportRequest& request) {
  if (request.html_file.isEmpty() && request.pdf_file.isEmpty()) throw std::runtime_error("no output file (HTML or PDF) given");
  return {open_output(request.html_file), open_output(request.pdf_file)};
}

void write_into(const ReportContent& content, Outputs& out) {
  if (out.html) {
    const QByteArray bytes = report_html(content);
    if (out.html->write(bytes) != bytes.size())
      throw std::runtime_error("cannot write " + out.html->fileName().toStdString() + ": " + out.html->errorString().toStdString());
    commit(*out.html);
  }
  if (out.pdf) {
    write_report_pdf(content, *out.pdf);
    commit(*out.pdf);
  }
}

}  // namespace

void export_report(const runfiles::Project& project, const ReportRequest& request) {
  if (request.runs.empty()) throw std::runtime_error("no runs to report");
  auto out = open_outputs(request);  // an unwritable path fails before any run is read
  write_into(collect_report(project, request.runs, request.all_parameters), out);
}

void write_report(const ReportContent& content, const ReportRequest& request) {
  auto out = open_outputs(request);
  write_into(content, out);
}

}  // namespace orrery::panels
