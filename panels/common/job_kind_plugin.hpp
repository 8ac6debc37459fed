// The interface a job kind's Qt plugin implements (plugins/<kind>/panel/).
//
// A kind is usable without a plugin: its manifest (kind.json) generates the
// launch form and names its metrics. A plugin adds what a manifest cannot: a
// panel of its own for runs of that kind. The workbench reads each plugin's
// metadata (the JSON given to Q_PLUGIN_METADATA, see plugin_metadata.hpp)
// without loading it, and loads it only when a run of its kind is selected.
#pragma once

#include "runfiles/project.hpp"

#include <QString>
#include <QStringList>
#include <QWidget>
#include <QtPlugin>

namespace orrery::panels {

// A kind's own view of the selected runs of that kind.
class KindPanel : public QWidget {
  Q_OBJECT
 public:
  using QWidget::QWidget;
  // The selected runs of this kind (ids); may be empty. Must not block: read files off the UI thread.
  virtual void showRuns(const QStringList& runIds) = 0;
};

class JobKindPlugin {
 public:
  virtual ~JobKindPlugin() = default;
  // The kind this plugin serves, as in kind.json's "name".
  virtual QString kindName() const = 0;
  // Title of the panel's dock widget.
  virtual QString panelTitle() const = 0;
  // A new panel for this kind; the caller owns it.
  virtual KindPanel* createPanel(const runfiles::Project& project, QWidget* parent) = 0;
};

}  // namespace orrery::panels

#define ORRERY_JOB_KIND_PLUGIN_IID "org.orrery.JobKindPlugin/1"
Q_DECLARE_INTERFACE(orrery::panels::JobKindPlugin, ORRERY_JOB_KIND_PLUGIN_IID)
