#include "logs/search_highlighter.hpp"

namespace orrery::panels {

SearchHighlighter::SearchHighlighter(QTextDocument* document) : QSyntaxHighlighter(document) {
  format_.setBackground(highlightColor());
}

void SearchHighlighter::setTerm(const QString& term) {
  if (term == term_) return;
  term_ = term;
  rehighlight();
}

void SearchHighlighter::highlightBlock(const QString& text) {
  if (term_.isEmpty()) return;
  for (qsizetype at = text.indexOf(term_, 0, Qt::CaseInsensitive); at >= 0;
       at = text.indexOf(term_, at + term_.size(), Qt::CaseInsensitive))
    setFormat(static_cast<int>(at), static_cast<int>(term_.size()), format_);
}

}  // namespace orrery::panels
