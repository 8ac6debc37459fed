// Finds job-kind plugins in the plugins folder and loads each only when needed.
//
// As in Qt Creator, a plugin's metadata (kind, title, version, description) is
// read from the library without loading it, so a broken or foreign library
// costs nothing until it is asked for, and the About box can list every plugin.
#pragma once

#include "common/job_kind_plugin.hpp"

#include <QList>
#include <QString>

#include <filesystem>
#include <memory>

class QPluginLoader;

namespace orrery::workbench {

struct PluginInfo {
  QString file;          // absolute path of the library
  QString kind;          // the job kind it serves ("kind" in its metadata)
  QString title;
  QString version;
  QString description;
  QString error;         // why it cannot be used (bad metadata, failed load); empty when fine
  bool loaded = false;
};

class PluginRegistry {
 public:
  // Scans folder for shared libraries carrying Orrery job-kind metadata.
  explicit PluginRegistry(const QString& folder);
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // The plugins folder next to the executables: <prefix>/lib/orrery/plugins.
  static QString defaultFolder(const std::filesystem::path& bin_dir);

  const QList<PluginInfo>& plugins() const { return infos_; }
  // Loads (once) the plugin serving kind; null when there is none or it fails (see plugins()[i].error).
  panels::JobKindPlugin* pluginForKind(const QString& kind);

 private:
  QList<PluginInfo> infos_;
  std::vector<std::unique_ptr<QPluginLoader>> loaders_;   // parallel to infos_
};

}  // namespace orrery::workbench
