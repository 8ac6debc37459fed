#include "logs/template_worker.hpp"

#include "logs/template_catalog.hpp"

namespace orrery::panels {

namespace {
// Lines kept per template for the lines view (the counts cover every line).
constexpr std::size_t kLinesKeptPerTemplate = 500;
}  // namespace

TemplateWorker::TemplateWorker(QObject* parent)
    : QObject(parent), catalog_(std::make_unique<logs::TemplateCatalog>(logs::DrainOptions{}, kLinesKeptPerTemplate)) {}

TemplateWorker::~TemplateWorker() = default;

void TemplateWorker::reset(quint64 generation) {
  generation_ = generation;
  catalog_ = std::make_unique<logs::TemplateCatalog>(logs::DrainOptions{}, kLinesKeptPerTemplate);
}

void TemplateWorker::addLines(quint64 generation, int rank, const QStringList& lines, double time) {
  if (generation != generation_) return;
  for (const QString& line : lines) catalog_->add(rank, line.toStdString(), time);

  TemplateRows rows;
  rows.reserve(static_cast<qsizetype>(catalog_->size()));
  for (quint32 id = 0; id < catalog_->size(); ++id) {
    const auto& f = catalog_->facts(id);
    TemplateRow row;
    row.id = id;
    row.text = QString::fromStdString(catalog_->template_text(id));
    row.lines = f.lines;
    row.ranks = QList<int>(f.ranks.begin(), f.ranks.end());
    row.first_time = f.first_time;
    row.last_time = f.last_time;
    row.some_ranks_only = catalog_->on_some_ranks_only(id);
    row.late = catalog_->appeared_late(id);
    rows.push_back(std::move(row));
  }
  emit snapshot(generation_, rows, catalog_->lines(), static_cast<int>(catalog_->ranks().size()));
}

void TemplateWorker::requestLines(quint64 generation, quint32 id) {
  if (generation != generation_ || id >= catalog_->size()) return;
  QStringList out;
  for (const auto& l : catalog_->facts(id).recent)
    out << QStringLiteral("[%1] %2").arg(l.rank).arg(QString::fromStdString(l.text));
  emit linesOf(generation_, id, out);
}

}  // namespace orrery::panels
