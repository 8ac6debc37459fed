// Highlights every occurrence of the search text (case-insensitive) in the log view.
#pragma once

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace orrery::panels {

class SearchHighlighter : public QSyntaxHighlighter {
  Q_OBJECT
 public:
  explicit SearchHighlighter(QTextDocument* document);
  void setTerm(const QString& term);   // rehighlights; empty: no highlighting
  const QString& term() const { return term_; }
  static QColor highlightColor() { return QColor(255, 213, 79); }

 protected:
  void highlightBlock(const QString& text) override;

 private:
  QString term_;
  QTextCharFormat format_;
};

}  // namespace orrery::panels
