#include "allreduce_plugin.hpp"

#include "message_size_panel.hpp"

namespace orrery::kinds::allreduce {

QString AllreducePlugin::kindName() const { return QStringLiteral("allreduce-bench"); }

QString AllreducePlugin::panelTitle() const { return tr("Message sizes"); }

panels::KindPanel* AllreducePlugin::createPanel(const runfiles::Project& project, QWidget* parent) {
  return new MessageSizePanel(project, parent);
}

}  // namespace orrery::kinds::allreduce
