// What "jump to first error" looks for, in one place. Matching is case-aware:
// each spelling is listed as programs print it, so that "error", "Error" and
// "ERROR" match but "terror"-like noise in other cases stays rare.
#pragma once

#include <QString>
#include <QStringList>
#include <QStringView>

namespace orrery::panels {

inline QStringList error_markers() {
  return {QStringLiteral("error"),     QStringLiteral("Error"),     QStringLiteral("ERROR"),
          QStringLiteral("Traceback"), QStringLiteral("Exception"), QStringLiteral("Segmentation fault"),
          QStringLiteral("abort")};
}

inline bool is_error_line(QStringView line, const QStringList& markers) {
  for (const auto& m : markers)
    if (line.contains(m, Qt::CaseSensitive)) return true;
  return false;
}

}  // namespace orrery::panels
