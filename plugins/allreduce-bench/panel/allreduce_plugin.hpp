// The allreduce-bench job kind's Qt plugin (metadata in plugin.json).
#pragma once

#include "common/job_kind_plugin.hpp"

#include <QObject>

namespace orrery::kinds::allreduce {

class AllreducePlugin : public QObject, public panels::JobKindPlugin {
  Q_OBJECT
  Q_PLUGIN_METADATA(IID ORRERY_JOB_KIND_PLUGIN_IID FILE "plugin.json")
  Q_INTERFACES(orrery::panels::JobKindPlugin)
 public:
  QString kindName() const override;
  QString panelTitle() const override;
  panels::KindPanel* createPanel(const runfiles::Project& project, QWidget* parent) override;
};

}  // namespace orrery::kinds::allreduce
