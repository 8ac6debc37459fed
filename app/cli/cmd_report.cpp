// orrery report RUN... --html FILE --pdf FILE: the selected runs as one report
// (the same code as the workbench's "Export report…", in panels/charts/report_export).
#include "commands.hpp"

#include "charts/plot_export.hpp"
#include "charts/report_export.hpp"

#include <QApplication>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace orrery::cli {

void add_report_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("report", "Write a report of runs (runs, parameters, summary metrics, notes, charts) as HTML and/or PDF");
  // --project may follow the subcommand too: `orrery report A B --project DIR`.
  cmd->fallthrough();
  auto runs = std::make_shared<std::vector<std::string>>();
  auto request = std::make_shared<panels::ReportRequest>();
  auto html = std::make_shared<std::string>();
  auto pdf = std::make_shared<std::string>();
  cmd->add_option("RUN", *runs, "Run ids, unique id prefixes or run names")->required();
  cmd->add_option("--html", *html, "Write the report as one self-contained HTML file (charts as inline SVG)");
  cmd->add_option("--pdf", *pdf, "Write the report as PDF");
  cmd->add_flag("--all-params", request->all_parameters, "List every parameter, not only those that differ between the runs");
  cmd->callback([&g, &result, runs, request, html, pdf] {
    if (html->empty() && pdf->empty()) throw CLI::ValidationError("report", "give --html FILE and/or --pdf FILE");
    auto project = open_project(g);
    request->runs = *runs;
    request->html_file = QString::fromStdString(*html);
    request->pdf_file = QString::fromStdString(*pdf);
    auto qt = panels::start_application_for_drawing();
    panels::export_report(project, *request);
    for (const auto* file : {html.get(), pdf.get()}) {
      if (!file->empty()) std::cout << "wrote " << *file << "\n";
    }
    result = kSucceeded;
  });
}

}  // namespace orrery::cli
