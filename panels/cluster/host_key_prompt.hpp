// The question the workbench asks when a target's host key is not known yet: the keys the
// host offers now, with their fingerprints, and "Trust this key and connect?". The box
// opens window-modal without a nested event loop (QMessageBox::open), so nothing waits on
// it; the caller connects to its finished() and reads the button that was pressed.
#pragma once

#include "remote/target_check.hpp"

class QMessageBox;
class QWidget;

namespace orrery::panels {

// Deletes itself when closed. Yes trusts, No (the default button) declines.
QMessageBox* askToTrustHostKey(QWidget* parent, const remote::TargetCheck& check);

}  // namespace orrery::panels
