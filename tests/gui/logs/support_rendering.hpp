// What the logs widget tests check of a rendered widget: the image is not blank, and a
// copy is kept under $ORRERY_TEST_ARTIFACTS (else the temporary folder) for a person to
// look at.
#pragma once

#include <QString>

class QWidget;

// Grabs `widget` (shown and exposed) and saves it as `file_name` in the artifacts
// folder. Returns what is wrong: "" when the image has more than a few colours and was
// saved.
QString render_and_keep(QWidget& widget, const QString& file_name);
