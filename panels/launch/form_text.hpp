// Small text helpers shared by the launch form's files (the panel, its parameter editor,
// and "launch again from a run").
#pragma once

#include <QString>

#include <string>

namespace orrery::panels::form_text {

inline QString qs(const std::string& s) { return QString::fromStdString(s); }

// The frame around a field whose value the spec validation refused.
inline constexpr const char* kInvalidStyle = "border: 1px solid #d32f2f;";

}  // namespace orrery::panels::form_text
