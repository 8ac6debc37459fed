#include "cluster/host_key_prompt.hpp"

#include <QMessageBox>

namespace orrery::panels {

QMessageBox* askToTrustHostKey(QWidget* parent, const remote::TargetCheck& check) {
  const auto& host = check.unknown_host;
  QString where = QString::fromStdString(host.host) + (host.port ? QStringLiteral(" port %1").arg(host.port) : QString());
  QString keys;
  for (const auto& k : check.offered_keys)
    keys += QStringLiteral("<li><tt>%1 %2</tt></li>").arg(QString::fromStdString(k.type).toHtmlEscaped(),
                                                          QString::fromStdString(k.fingerprint).toHtmlEscaped());
  auto* box = new QMessageBox(QMessageBox::Warning, QObject::tr("Unknown host key"),
                              QObject::tr("<p>The host key of <b>%1</b> (target %2) is not known yet.</p>"
                                          "<p>The host offers:</p><ul>%3</ul>"
                                          "<p>Compare the fingerprint with the one the host's administrator publishes. "
                                          "Trust it, record it in %4 and connect?</p>")
                                  .arg(where.toHtmlEscaped(), QString::fromStdString(check.target).toHtmlEscaped(), keys,
                                       QString::fromStdString(host.known_hosts_file.empty() ? std::string("~/.ssh/known_hosts")
                                                                                            : host.known_hosts_file)
                                           .toHtmlEscaped()),
                              QMessageBox::Yes | QMessageBox::No, parent);
  box->setObjectName("cluster.hostKeyPrompt");
  box->setTextFormat(Qt::RichText);
  box->setDefaultButton(QMessageBox::No);
  box->setAttribute(Qt::WA_DeleteOnClose);
  return box;
}

}  // namespace orrery::panels
