// The launch form's validation, without launching: for every parameter type a
// table of valid and invalid inputs, typed into the generated editors. The
// inline message must be exactly the one validate_spec (the CLI) gives for the
// same value, the field must be framed red, and Launch disabled.
//
// Kinds: the installed ones (allreduce-bench, command) plus a project kind
// written into the project's kinds/ folder that has every parameter type.

#include <QCheckBox>
#include <QDir>
#include <QImage>
#include <QSet>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

#include "launch/launch_panel.hpp"
#include "run_testing.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_catalog.hpp"
#include "spec/spec.hpp"

using orrery::panels::LaunchPanel;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* const kToyKind = R"({
  "name": "toy", "title": "Toy", "description": "Every parameter type, for the form tests.",
  "runner": "command",
  "command": ["/bin/echo", "{n}", "{lr}", "{flag}", "{label}", "{mode}", "{extra}", "{needed}"],
  "params": [
    {"name": "n", "type": "int", "default": 10, "min": 1, "max": 1000, "unit": "steps", "help": "how many"},
    {"name": "lr", "type": "float", "default": 0.5, "min": 0, "max": 1, "help": "rate"},
    {"name": "flag", "type": "bool", "default": false},
    {"name": "label", "type": "string", "default": "x"},
    {"name": "mode", "type": "choice", "default": "fast", "choices": ["fast", "exact"]},
    {"name": "extra", "type": "string_list", "default": [], "max": 2},
    {"name": "needed", "type": "string", "help": "must be given"}
  ],
  "ranks": {"min": 1, "max": 4, "default": 1}
})";

}  // namespace

class TestLaunchForm : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  orrery::runfiles::Project project_;
  orrery::launch::InstallPaths paths_;
  orrery::spec::KindCatalog catalog_;

  template <class W>
  static W* field(LaunchPanel& panel, const QString& name) {
    auto* w = panel.findChild<W*>(name);
    if (!w) qFatal("no widget %s", qPrintable(name));
    return w;
  }
  void select_kind(LaunchPanel& panel, const QString& kind) {
    QTRY_VERIFY_WITH_TIMEOUT(panel.kindsLoaded(), 10'000);
    auto* combo = field<QComboBox>(panel, QStringLiteral("kind"));
    int index = combo->findData(kind);
    QVERIFY2(index >= 0, qPrintable(kind));
    combo->setCurrentIndex(index);
  }
  // The CLI's messages for one parameter value in an otherwise valid spec.
  QStringList cli_messages(const QString& kind, const QString& param, const json& value) {
    json doc = {{"kind", kind.toStdString()}, {"params", json::object()}};
    if (kind == "toy") doc["params"]["needed"] = "given";
    if (!value.is_discarded()) doc["params"][param.toStdString()] = value;
    else doc["params"].erase(param.toStdString());
    QStringList out;
    for (const auto& e : orrery::spec::validate_spec(doc, catalog_).errors) out << QString::fromStdString(e.message);
    return out;
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    project_ = orrery::runfiles::open_project(fs::path(dir_.path().toStdString()), true);
    fs::create_directories(project_.kinds_dir());
    std::ofstream(project_.kinds_dir() / "toy.json") << kToyKind;
    paths_ = orrery::testing::install_paths_from_env();
    catalog_ = orrery::spec::KindCatalog::load({paths_.share_dir / "kinds", project_.kinds_dir()});
    QVERIFY(catalog_.find("toy") && catalog_.find("allreduce-bench") && catalog_.find("command"));
  }

  void kindPickerListsTheCatalogAndBuildsTheForm() {
    LaunchPanel panel(project_, paths_);
    QSignalSpy ready(&panel, &LaunchPanel::kindsReady);
    QVERIFY(ready.wait(10'000));
    auto* combo = field<QComboBox>(panel, QStringLiteral("kind"));
    QCOMPARE(combo->count(), static_cast<int>(catalog_.kinds().size()));
    select_kind(panel, QStringLiteral("toy"));
    QCOMPARE(field<QLabel>(panel, QStringLiteral("description"))->text(), QStringLiteral("Every parameter type, for the form tests."));
    // One editor per type, defaults filled in, help as tooltips, required marked.
    QCOMPARE(field<QLineEdit>(panel, QStringLiteral("value:n"))->text(), QStringLiteral("10"));
    QCOMPARE(field<QLineEdit>(panel, QStringLiteral("value:lr"))->text(), QStringLiteral("0.5"));
    QCOMPARE(field<QCheckBox>(panel, QStringLiteral("value:flag"))->isChecked(), false);
    QCOMPARE(field<QComboBox>(panel, QStringLiteral("value:mode"))->currentText(), QStringLiteral("fast"));
    QCOMPARE(field<QLineEdit>(panel, QStringLiteral("value:extra"))->text(), QString());
    QVERIFY(field<QLineEdit>(panel, QStringLiteral("value:n"))->toolTip().contains(QStringLiteral("how many")));
    QVERIFY(field<QLineEdit>(panel, QStringLiteral("value:n"))->toolTip().contains(QStringLiteral("1 to 1000 steps")));
    QCOMPARE(field<QLabel>(panel, QStringLiteral("label:needed"))->text(), QStringLiteral("needed *"));
    QCOMPARE(field<QLabel>(panel, QStringLiteral("label:n"))->text(), QStringLiteral("n"));
    QCOMPARE(field<QSpinBox>(panel, QStringLiteral("ranks"))->maximum(), 4);
    // The required parameter is empty: its field says so, with the CLI's words.
    QCOMPARE(field<QLabel>(panel, QStringLiteral("error:needed"))->text(),
             cli_messages("toy", "needed", json(json::value_t::discarded)).join('\n'));
    QVERIFY(!field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
    field<QLineEdit>(panel, QStringLiteral("value:needed"))->setText(QStringLiteral("given"));
    QVERIFY(field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
    const json expected = {{"n", 10}, {"lr", 0.5}, {"flag", false}, {"label", "x"},
                           {"mode", "fast"}, {"extra", json::array()}, {"needed", "given"}};
    QCOMPARE(QString::fromStdString(panel.plannedSpec(0)["params"].dump()), QString::fromStdString(expected.dump()));
  }

  void inputs_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("param");
    QTest::addColumn<bool>("sweep");
    QTest::addColumn<QString>("text");
    // The value the CLI would get for that text ("" when the field is left out;
    // "-" when the text cannot become a value at all, see `message`).
    QTest::addColumn<QString>("cliValue");
    QTest::addColumn<QString>("message");   // a fragment of the expected message; "" when valid

    QTest::newRow("int ok") << "toy" << "n" << false << "12" << "12" << "";
    QTest::newRow("int exponent") << "toy" << "n" << false << "1e2" << "1e2" << "";
    QTest::newRow("int empty is the default") << "toy" << "n" << false << "" << "" << "";
    QTest::newRow("int below min") << "toy" << "n" << false << "0" << "0" << "must be between 1 and 1000 steps, got 0";
    QTest::newRow("int above max") << "allreduce-bench" << "iterations" << false << "2000000" << "2000000"
                                   << "must be between 1 and 1000000, got 2000000";
    QTest::newRow("int fraction") << "toy" << "n" << false << "2.5" << "2.5" << "expected an integer, got number 2.5";
    QTest::newRow("int text") << "toy" << "n" << false << "ten" << "\"ten\"" << "expected an integer, got string \"ten\"";
    QTest::newRow("int hex") << "toy" << "n" << false << "0x10" << "\"0x10\"" << "got string \"0x10\"";
    QTest::newRow("float ok") << "toy" << "lr" << false << "0.25" << "0.25" << "";
    QTest::newRow("float above max") << "toy" << "lr" << false << "1.5" << "1.5" << "must be between 0 and 1, got 1.5";
    QTest::newRow("float text") << "toy" << "lr" << false << "fast" << "\"fast\"" << "expected a number, got string \"fast\"";
    QTest::newRow("string ok") << "toy" << "label" << false << "hello world" << "\"hello world\"" << "";
    QTest::newRow("string emptied") << "toy" << "label" << false << "" << "\"\"" << "";
    QTest::newRow("required string missing") << "toy" << "needed" << false << "" << ""
                                             << "missing required parameter \"needed\" (must be given)";
    QTest::newRow("list ok") << "toy" << "extra" << false << "-a 'b c'" << "[\"-a\", \"b c\"]" << "";
    QTest::newRow("list too long") << "toy" << "extra" << false << "a b c" << "[\"a\", \"b\", \"c\"]"
                                   << "takes at most 2 elements, got 3";
    QTest::newRow("list unterminated quote") << "toy" << "extra" << false << "a 'b" << "-"
                                             << "unterminated ' quote (starting at character 3)";
    QTest::newRow("command argv missing") << "command" << "argv" << false << "" << ""
                                          << "missing required parameter \"argv\"";
    QTest::newRow("bool sweep ok") << "toy" << "flag" << true << "true, false" << "true" << "";
    QTest::newRow("bool sweep bad") << "toy" << "flag" << true << "true, yes" << "\"yes\""
                                    << "expected true or false, got string \"yes\"";
    QTest::newRow("choice sweep ok") << "toy" << "mode" << true << "fast, exact" << "\"exact\"" << "";
    QTest::newRow("choice sweep bad") << "toy" << "mode" << true << "fast, slow" << "\"slow\""
                                      << "\"slow\" is not one of: fast, exact";
    QTest::newRow("int range sweep past max") << "toy" << "n" << true << "1:1500:500" << "1001"
                                              << "must be between 1 and 1000 steps, got 1001";
    QTest::newRow("int range sweep step 0") << "toy" << "n" << true << "1:5:0" << "-" << "range step must not be 0";
    QTest::newRow("float range sweep ok") << "toy" << "lr" << true << "0.1:0.3:0.1" << "0.3" << "";
    QTest::newRow("list sweep ok") << "toy" << "extra" << true << "-v; -q x" << "[\"-q\", \"x\"]" << "";
    QTest::newRow("string sweep empty item") << "toy" << "label" << true << "a,,b" << "-" << "value 2 of the list is empty";
  }

  void inputs() {
    QFETCH(QString, kind);
    QFETCH(QString, param);
    QFETCH(bool, sweep);
    QFETCH(QString, text);
    QFETCH(QString, cliValue);
    QFETCH(QString, message);

    LaunchPanel panel(project_, paths_);
    select_kind(panel, kind);
    if (kind == "toy" && param != "needed") field<QLineEdit>(panel, QStringLiteral("value:needed"))->setText(QStringLiteral("given"));
    if (kind == "command" && param != "argv") field<QLineEdit>(panel, QStringLiteral("value:argv"))->setText(QStringLiteral("/bin/true"));
    QWidget* editor = nullptr;
    if (sweep) {
      field<QCheckBox>(panel, "sweep:" + param)->setChecked(true);
      auto* values = field<QLineEdit>(panel, "sweepValues:" + param);
      values->setText(text);
      editor = values;
    } else {
      auto* line = field<QLineEdit>(panel, "value:" + param);
      line->setText(text);
      editor = line;
    }
    const QString shown = field<QLabel>(panel, "error:" + param)->text();
    auto* launch = field<QPushButton>(panel, QStringLiteral("launch"));
    if (message.isEmpty()) {
      QCOMPARE(shown, QString());
      QCOMPARE(editor->property("invalid").toBool(), false);
      QVERIFY(launch->isEnabled());
      if (!cliValue.isEmpty()) QVERIFY(cli_messages(kind, param, json::parse(cliValue.toStdString())).isEmpty());
      return;
    }
    QVERIFY2(shown.contains(message), qPrintable(shown));
    QCOMPARE(editor->property("invalid").toBool(), true);
    QVERIFY(editor->styleSheet().contains(QStringLiteral("border")));
    QVERIFY(!launch->isEnabled());
    if (cliValue != "-") {
      json value = cliValue.isEmpty() ? json(json::value_t::discarded) : json::parse(cliValue.toStdString());
      QCOMPARE(shown, cli_messages(kind, param, value).join('\n'));
    }
  }

  void commonFieldsUseTheCliMessagesToo() {
    LaunchPanel panel(project_, paths_);
    select_kind(panel, QStringLiteral("allreduce-bench"));
    field<QLineEdit>(panel, QStringLiteral("name"))->setText(QStringLiteral("bad name!"));
    field<QLineEdit>(panel, QStringLiteral("tags"))->setText(QStringLiteral("ok, -bad"));
    auto v = orrery::spec::validate_spec(json{{"kind", "allreduce-bench"}, {"name", "bad name!"}, {"tags", {"ok", "-bad"}}}, catalog_);
    QCOMPARE(v.errors.size(), std::size_t{2});
    QCOMPARE(field<QLabel>(panel, QStringLiteral("error:$.name"))->text(), QString::fromStdString(v.errors[0].message));
    QCOMPARE(field<QLabel>(panel, QStringLiteral("error:$.tags"))->text(), QString::fromStdString(v.errors[1].message));
    QCOMPARE(field<QLineEdit>(panel, QStringLiteral("name"))->property("invalid").toBool(), true);
    QVERIFY(!field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
  }

  // The form rendered offscreen, saved as a test artifact: a sweep, an invalid field, a required one.
  void renderedFormIsSavedAsAnArtifact() {
    LaunchPanel panel(project_, paths_);
    panel.resize(720, 760);
    select_kind(panel, QStringLiteral("toy"));
    field<QLineEdit>(panel, QStringLiteral("value:n"))->setText(QStringLiteral("2.5"));
    field<QCheckBox>(panel, QStringLiteral("sweep:mode"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:mode"))->setText(QStringLiteral("fast, exact"));
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QImage image = panel.grab().toImage();
    QVERIFY(!image.isNull());
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 4)
      for (int x = 0; x < image.width(); x += 4) colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 8, "the rendered form is blank");
    const QString dir = qEnvironmentVariable("ORRERY_TEST_ARTIFACTS", QDir::tempPath());
    QDir().mkpath(dir);
    QVERIFY(image.save(dir + QStringLiteral("/launch_form.png")));
  }

  void sweepCountsRunsAndCapsThem() {
    LaunchPanel panel(project_, paths_);
    select_kind(panel, QStringLiteral("toy"));
    field<QLineEdit>(panel, QStringLiteral("value:needed"))->setText(QStringLiteral("given"));
    field<QCheckBox>(panel, QStringLiteral("sweep:n"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:n"))->setText(QStringLiteral("1:30"));
    field<QCheckBox>(panel, QStringLiteral("sweep:mode"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:mode"))->setText(QStringLiteral("fast, exact"));
    QCOMPARE(panel.plannedRuns(), 60);
    QCOMPARE(field<QLabel>(panel, QStringLiteral("runCount"))->text(), QStringLiteral("60 runs (sweep)"));
    field<QCheckBox>(panel, QStringLiteral("sweep:lr"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:lr"))->setText(QStringLiteral("0.1:0.5:0.1"));
    QCOMPARE(panel.plannedRuns(), 0);
    QCOMPARE(field<QLabel>(panel, QStringLiteral("error:$"))->text(),
             QStringLiteral("the sweep makes 300 runs, more than the limit of 256; remove values or widen a range's step"));
    QVERIFY(!field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
  }
};

QTEST_MAIN(TestLaunchForm)
#include "test_launch_form.moc"
