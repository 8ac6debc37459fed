// The small dialog that edits a run's user tags and notes (runs/<id>/annotations.json).
#pragma once

#include <QDialog>
#include <QStringList>

class QLineEdit;
class QPlainTextEdit;

namespace orrery::panels {

class AnnotationsDialog : public QDialog {
  Q_OBJECT

 public:
  AnnotationsDialog(const QString& runLabel, const QStringList& tags, const QString& notes, QWidget* parent = nullptr);
  QStringList tags() const;   // comma-separated in the field
  QString notes() const;

 private:
  QLineEdit* tags_ = nullptr;
  QPlainTextEdit* notes_ = nullptr;
};

}  // namespace orrery::panels
