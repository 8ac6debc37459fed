// One parameter of a job kind in the launch form: an editor chosen by the
// parameter's type, a "sweep" checkbox that swaps it for a list/range field,
// and a message line under it for validation errors.
//
// Numbers are edited in line edits, not spin boxes: a spin box cannot hold an
// out-of-range or malformed value, so the form could never show the message the
// CLI gives for it, and pasting "1e6" would silently become something else.
#pragma once

#include <optional>

#include <QString>
#include <QStringList>
#include <QWidget>

#include <nlohmann/json.hpp>

#include "spec/kind_schema.hpp"
#include "spec/sweep.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace orrery::panels {

class ParamEditor : public QWidget {
  Q_OBJECT
 public:
  ParamEditor(spec::ParamSchema param, QWidget* parent = nullptr);

  const spec::ParamSchema& param() const { return param_; }

  // The value the editor holds as a spec would carry it. No value (nullopt and
  // no error) means "left empty": the kind's default applies, or the validator
  // reports a missing required parameter. `error` is set when the text cannot
  // even become a value (an unterminated quote in a list).
  struct Reading {
    std::optional<nlohmann::json> value;
    QString error;
  };
  Reading value() const;
  void setValue(const nlohmann::json& value);   // from a run.json or a default

  bool sweeping() const;
  void setSweeping(bool on);
  spec::SweepValues sweepValues() const;

  // Marks the field invalid (red frame, messages under it) or valid (empty list).
  void setMessages(const QStringList& messages);
  QStringList messages() const { return messages_; }

 signals:
  void edited();

 private:
  QWidget* build_editor();
  QWidget* active_field() const;

  spec::ParamSchema param_;
  QLineEdit* line_ = nullptr;      // int, float, string, string_list
  QCheckBox* check_ = nullptr;     // bool
  QComboBox* combo_ = nullptr;     // choice
  QWidget* editor_ = nullptr;      // whichever of the three is used
  QCheckBox* sweep_toggle_ = nullptr;
  QLineEdit* sweep_text_ = nullptr;
  QLabel* message_ = nullptr;
  QStringList messages_;
};

// Text for a value in a line edit: numbers as JSON writes them, lists as words
// that split back to the same list.
QString text_for_value(const spec::ParamSchema& param, const nlohmann::json& value);

}  // namespace orrery::panels
