#include "launch/param_editor.hpp"

#include "launch/form_text.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

#include "spec/word_split.hpp"

namespace orrery::panels {

using nlohmann::json;
using spec::ParamType;

namespace {

using form_text::qs;
using form_text::kInvalidStyle;

// "1 to 1000 bytes", "at least 0", "1 to 8 elements": what the field accepts, for its hint.
QString range_hint(const spec::ParamSchema& p) {
  if (!p.min && !p.max) return {};
  QString unit = p.type == ParamType::StringList ? QStringLiteral(" elements") : p.unit.empty() ? QString() : " " + qs(p.unit);
  if (p.min && p.max)
    return qs(spec::detail::format_number(*p.min)) + QStringLiteral(" to ") + qs(spec::detail::format_number(*p.max)) + unit;
  if (p.min) return QStringLiteral("at least ") + qs(spec::detail::format_number(*p.min)) + unit;
  return QStringLiteral("at most ") + qs(spec::detail::format_number(*p.max)) + unit;
}

QString sweep_hint(ParamType type) {
  switch (type) {
    case ParamType::Int: return QStringLiteral("1, 2, 4  or a range start:stop:step (stop included), e.g. 1:9:2");
    case ParamType::Float: return QStringLiteral("0.1, 0.2  or a range start:stop:step (stop included), e.g. 0.1:0.5:0.1");
    case ParamType::Bool: return QStringLiteral("true, false");
    case ParamType::String:
    case ParamType::Choice: return QStringLiteral("values separated by commas: a, b, c");
    case ParamType::StringList: return QStringLiteral("word lists separated by ';':  -v --fast; -q");
  }
  return {};
}

}  // namespace

QString text_for_value(const spec::ParamSchema& param, const json& value) {
  if (value.is_null()) return {};
  if (param.type == ParamType::StringList && value.is_array()) {
    std::vector<std::string> words;
    for (const auto& w : value) words.push_back(w.is_string() ? w.get<std::string>() : w.dump());
    return qs(spec::join_words(words));
  }
  if (value.is_string()) return qs(value.get<std::string>());
  return qs(value.dump());
}

ParamEditor::ParamEditor(spec::ParamSchema param, QWidget* parent) : QWidget(parent), param_(std::move(param)) {
  setObjectName(qs("param:" + param_.name));
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  column->setSpacing(2);
  auto* row = new QHBoxLayout;
  column->addLayout(row);

  editor_ = build_editor();
  editor_->setObjectName(qs("value:" + param_.name));
  QString tip = qs(param_.help);
  if (auto hint = range_hint(param_); !hint.isEmpty()) tip += (tip.isEmpty() ? "" : "\n") + QStringLiteral("Accepts ") + hint;
  if (param_.required()) tip += (tip.isEmpty() ? "" : "\n") + QStringLiteral("Required: this kind has no default for it");
  editor_->setToolTip(tip);
  row->addWidget(editor_, 1);
  if (!param_.unit.empty()) row->addWidget(new QLabel(qs(param_.unit), this));

  sweep_text_ = new QLineEdit(this);
  sweep_text_->setObjectName(qs("sweepValues:" + param_.name));
  sweep_text_->setPlaceholderText(sweep_hint(param_.type));
  sweep_text_->setToolTip(QStringLiteral("One run per value (per combination when several parameters are swept):\n") +
                          sweep_hint(param_.type));
  sweep_text_->setVisible(false);
  row->addWidget(sweep_text_, 1);
  sweep_toggle_ = new QCheckBox(QStringLiteral("sweep"), this);
  sweep_toggle_->setObjectName(qs("sweep:" + param_.name));
  sweep_toggle_->setToolTip(QStringLiteral("Give several values; one run is launched per value"));
  row->addWidget(sweep_toggle_);

  message_ = new QLabel(this);
  message_->setObjectName(qs("error:" + param_.name));
  message_->setStyleSheet(QStringLiteral("color: #d32f2f;"));
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  message_->setVisible(false);
  column->addWidget(message_);

  connect(sweep_toggle_, &QCheckBox::toggled, this, [this](bool on) {
    editor_->setVisible(!on);
    sweep_text_->setVisible(on);
    if (on && sweep_text_->text().isEmpty()) {
      auto current = value();
      if (current.value) sweep_text_->setText(text_for_value(param_, *current.value));
    }
    emit edited();
  });
  connect(sweep_text_, &QLineEdit::textChanged, this, &ParamEditor::edited);
  setValue(param_.default_value);
}

QWidget* ParamEditor::build_editor() {
  switch (param_.type) {
    case ParamType::Bool:
      check_ = new QCheckBox(this);
      connect(check_, &QCheckBox::toggled, this, &ParamEditor::edited);
      return check_;
    case ParamType::Choice:
      combo_ = new QComboBox(this);
      if (param_.required()) combo_->addItem(QString());   // "no value yet"
      for (const auto& c : param_.choices) combo_->addItem(qs(c));
      connect(combo_, &QComboBox::currentIndexChanged, this, &ParamEditor::edited);
      return combo_;
    case ParamType::Int:
    case ParamType::Float:
    case ParamType::String:
    case ParamType::StringList:
      break;
  }
  line_ = new QLineEdit(this);
  QString placeholder;
  if (!param_.required()) placeholder = QStringLiteral("default: ") + text_for_value(param_, param_.default_value);
  if (param_.type == ParamType::StringList)
    placeholder = QStringLiteral("words split like a shell would, without one: 'a b' \"c\" d\\ e");
  line_->setPlaceholderText(placeholder);
  connect(line_, &QLineEdit::textChanged, this, &ParamEditor::edited);
  return line_;
}

ParamEditor::Reading ParamEditor::value() const {
  Reading out;
  if (check_) {
    out.value = check_->isChecked();
    return out;
  }
  if (combo_) {
    if (combo_->currentText().isEmpty() && param_.required()) return out;
    out.value = combo_->currentText().toStdString();
    return out;
  }
  const std::string text = line_->text().toStdString();
  // Left empty: the default applies (it is shown as the placeholder), or the
  // parameter is reported missing. An optional string is "" when emptied on purpose.
  const bool empty_means_unset = param_.required() || param_.type == ParamType::Int || param_.type == ParamType::Float;
  if (line_->text().trimmed().isEmpty() && empty_means_unset) return out;
  auto read = spec::value_from_text(param_, text);
  out.value = read.value;
  out.error = qs(read.error);
  return out;
}

void ParamEditor::setValue(const json& value) {
  if (check_) {
    check_->setChecked(value.is_boolean() && value.get<bool>());
  } else if (combo_) {
    int index = value.is_string() ? combo_->findText(qs(value.get<std::string>())) : -1;
    combo_->setCurrentIndex(index >= 0 ? index : 0);
  } else {
    line_->setText(text_for_value(param_, value));
  }
}

bool ParamEditor::sweeping() const { return sweep_toggle_->isChecked(); }

void ParamEditor::setSweeping(bool on) { sweep_toggle_->setChecked(on); }

spec::SweepValues ParamEditor::sweepValues() const {
  return spec::parse_sweep_values(param_, sweep_text_->text().toStdString());
}

QWidget* ParamEditor::active_field() const { return sweeping() ? static_cast<QWidget*>(sweep_text_) : editor_; }

void ParamEditor::setMessages(const QStringList& messages) {
  messages_ = messages;
  const bool invalid = !messages.isEmpty();
  message_->setText(messages.join('\n'));
  message_->setVisible(invalid);
  for (QWidget* w : {editor_, static_cast<QWidget*>(sweep_text_)}) {
    const bool mark = invalid && w == active_field();
    w->setProperty("invalid", mark);
    w->setStyleSheet(mark ? QString::fromLatin1(kInvalidStyle) : QString());
  }
}

}  // namespace orrery::panels
