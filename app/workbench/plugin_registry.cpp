#include "workbench/plugin_registry.hpp"

#include <QDir>
#include <QJsonObject>
#include <QLibrary>
#include <QPluginLoader>

namespace orrery::workbench {

PluginRegistry::PluginRegistry(const QString& folder) {
  const QDir dir(folder);
  const auto files = dir.entryInfoList(QDir::Files | QDir::Readable, QDir::Name);
  for (const QFileInfo& file : files) {
    if (!QLibrary::isLibrary(file.fileName())) continue;
    auto loader = std::make_unique<QPluginLoader>(file.absoluteFilePath());
    // metaData() reads the library's embedded JSON without running any of its code.
    const QJsonObject meta = loader->metaData();
    if (meta.value("IID").toString() != QStringLiteral(ORRERY_JOB_KIND_PLUGIN_IID)) continue;
    const QJsonObject data = meta.value("MetaData").toObject();
    PluginInfo info;
    info.file = file.absoluteFilePath();
    info.kind = data.value("kind").toString();
    info.title = data.value("title").toString();
    info.version = data.value("version").toString();
    info.description = data.value("description").toString();
    if (info.kind.isEmpty()) info.error = QStringLiteral("its metadata names no \"kind\"");
    infos_.append(info);
    loaders_.push_back(std::move(loader));
  }
}

PluginRegistry::~PluginRegistry() = default;   // loaders do not unload: panels may still live

QString PluginRegistry::defaultFolder(const std::filesystem::path& bin_dir) {
  return QString::fromStdString((bin_dir.parent_path() / "lib" / "orrery" / "plugins").string());
}

panels::JobKindPlugin* PluginRegistry::pluginForKind(const QString& kind) {
  for (qsizetype i = 0; i < infos_.size(); ++i) {
    PluginInfo& info = infos_[i];
    if (info.kind != kind || !info.error.isEmpty()) continue;
    QObject* instance = loaders_[static_cast<std::size_t>(i)]->instance();
    auto* plugin = qobject_cast<panels::JobKindPlugin*>(instance);
    if (!plugin) {
      info.error = instance ? QStringLiteral("it does not implement " ORRERY_JOB_KIND_PLUGIN_IID)
                            : loaders_[static_cast<std::size_t>(i)]->errorString();
      continue;
    }
    info.loaded = true;
    return plugin;
  }
  return nullptr;
}

}  // namespace orrery::workbench
