#include "runs/annotations_dialog.hpp"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPlainTextEdit>

namespace orrery::panels {

AnnotationsDialog::AnnotationsDialog(const QString& runLabel, const QStringList& tags, const QString& notes,
                                     QWidget* parent)
    : QDialog(parent), tags_(new QLineEdit(tags.join(", "), this)), notes_(new QPlainTextEdit(notes, this)) {
  setWindowTitle(tr("Tags and notes of %1").arg(runLabel));
  tags_->setToolTip(tr("Comma-separated; a tag \"experiment:<name>\" files the run under that experiment"));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* form = new QFormLayout(this);
  form->addRow(tr("Tags"), tags_);
  form->addRow(tr("Notes"), notes_);
  form->addRow(buttons);
}

QStringList AnnotationsDialog::tags() const {
  QStringList out;
  for (const auto& t : tags_->text().split(',', Qt::SkipEmptyParts))
    if (!t.trimmed().isEmpty()) out << t.trimmed();
  return out;
}

QString AnnotationsDialog::notes() const { return notes_->toPlainText(); }

}  // namespace orrery::panels
