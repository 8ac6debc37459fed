// The logs panel on log files the test writes itself, the way the agent does
// (appending to runs/<id>/logs/rank-N.log while the panel follows): live
// growth, a file that appears later, truncation, bounded memory, hostile bytes,
// rank filter, pause, search highlighting and "jump to first error".

#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "logs/log_tailer.hpp"
#include "logs/logs_panel.hpp"
#include "logs/search_highlighter.hpp"
#include "runfiles/project.hpp"
#include "support_rendering.hpp"

using orrery::panels::LogsPanel;
namespace fs = std::filesystem;

class TestLogsPanel : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  orrery::runfiles::Project project_;
  QString run_id_ = QStringLiteral("20261125-120000-logs-ab12");
  int run_counter_ = 0;

  fs::path logs_dir() const { return project_.runs_dir() / run_id_.toStdString() / "logs"; }
  void write(int rank, const std::string& text, bool truncate = false) {
    std::ofstream out(logs_dir() / ("rank-" + std::to_string(rank) + ".log"),
                      truncate ? std::ios::binary | std::ios::trunc : std::ios::binary | std::ios::app);
    out << text;
  }
  static std::string numbered(const std::string& prefix, int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += prefix + " " + std::to_string(i) + "\n";
    return s;
  }
  static QPlainTextEdit* view(LogsPanel& panel) { return panel.findChild<QPlainTextEdit*>(QStringLiteral("log")); }
  static int lines(LogsPanel& panel) {
    auto* doc = view(panel)->document();
    return doc->blockCount() == 1 && doc->firstBlock().text().isEmpty() ? 0 : doc->blockCount();
  }
  static QString line(LogsPanel& panel, int n) { return view(panel)->document()->findBlockByNumber(n).text(); }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    project_ = orrery::runfiles::open_project(fs::path(dir_.path().toStdString()), true);
  }

  // Each test follows a fresh run folder.
  void init() {
    run_id_ = QStringLiteral("20261125-120000-logs-%1").arg(++run_counter_, 4, 10, QLatin1Char('0'));
    fs::create_directories(logs_dir());
  }

  void followsAGrowingLogAndAFileThatAppearsLater() {
    LogsPanel panel(project_);
    panel.show();
    write(0, numbered("first", 0, 10));
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 10, 5000);
    QCOMPARE(line(panel, 0), QStringLiteral("[0] first 0"));
    write(0, numbered("more", 10, 15));
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 15, 5000);
    write(1, "late rank\npartial");   // the unterminated line waits for its newline
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 16, 5000);
    QCOMPARE(line(panel, 15), QStringLiteral("[1] late rank"));
    write(1, " line\n");
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 17, 5000);
    QCOMPARE(line(panel, 16), QStringLiteral("[1] partial line"));
    auto* ranks = panel.findChild<QComboBox*>(QStringLiteral("rank"));
    QCOMPARE(ranks->count(), 3);   // all, rank 0, rank 1
  }

  void truncatedFileIsReadAgain() {
    LogsPanel panel(project_);
    write(0, numbered("old", 0, 5));
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 5, 5000);
    write(0, "new 0\n", /*truncate=*/true);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 7, 5000);
    QVERIFY(line(panel, 5).contains(QStringLiteral("truncated or replaced")));
    QCOMPARE(line(panel, 6), QStringLiteral("[0] new 0"));
  }

  void memoryIsBoundedAndTheViewSaysSo() {
    LogsPanel panel(project_);
    panel.setLineCap(1000);
    panel.setRankFilter(std::nullopt);
    panel.setRun(run_id_);
    write(0, numbered("line", 0, 5000));
    QTRY_VERIFY_WITH_TIMEOUT(line(panel, lines(panel) - 1) == QStringLiteral("[0] line 4999"), 5000);
    QCOMPARE(lines(panel), 1000);
    QCOMPARE(line(panel, 0), QStringLiteral("[0] line 4000"));
    auto* banner = panel.findChild<QLabel*>(QStringLiteral("banner"));
    QTRY_VERIFY(banner->text().contains(QStringLiteral("rank 0: %1 older lines dropped").arg(QLocale().toString(4000))));
    QVERIFY(banner->text().contains(QStringLiteral("Keeping the last %1 lines per rank").arg(QLocale().toString(1000))));
  }

  void hostileBytesBecomeSafeBoundedText() {
    LogsPanel panel(project_);
    panel.setRun(run_id_);
    std::string garbage = "bad \xff\xfe utf8 \x01\x02 nul:";
    garbage += '\0';
    garbage += " end\n";
    garbage.append(1'000'000, 'x');
    garbage += "\nafter the long line\n";
    write(0, garbage);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 3, 5000);
    QString bad = line(panel, 0);
    QVERIFY(bad.startsWith(QStringLiteral("[0] bad ")));
    QVERIFY(bad.contains(QChar(QChar::ReplacementCharacter)));
    QVERIFY(bad.endsWith(QStringLiteral(" end")));
    for (QChar c : bad) QVERIFY(c.unicode() >= 0x20);
    QString long_line = line(panel, 1);
    QVERIFY(long_line.size() < orrery::panels::LogTailer::kMaxLineChars + 100);
    QVERIFY(long_line.endsWith(QStringLiteral("[line cut at 4096 characters]")));
    QCOMPARE(line(panel, 2), QStringLiteral("[0] after the long line"));
  }

  void rankFilterShowsOneRankWithoutPrefix() {
    LogsPanel panel(project_);
    write(0, numbered("zero", 0, 3));
    write(1, numbered("one", 0, 4));
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 7, 5000);
    panel.setRankFilter(1);
    QCOMPARE(panel.rankFilter(), std::optional<int>(1));
    QCOMPARE(lines(panel), 4);
    QCOMPARE(line(panel, 0), QStringLiteral("one 0"));
    write(0, "zero more\n");
    write(1, "one more\n");
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 5, 5000);
    QCOMPARE(line(panel, 4), QStringLiteral("one more"));
    panel.setRankFilter(std::nullopt);
    QCOMPARE(lines(panel), 9);
  }

  void pauseKeepsCollectingAndFollowCatchesUp() {
    LogsPanel panel(project_);
    write(0, numbered("a", 0, 2));
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 2, 5000);
    panel.setFollowing(false);
    QSignalSpy collected(&panel, &LogsPanel::linesShown);
    write(0, numbered("b", 0, 3));
    auto* banner = panel.findChild<QLabel*>(QStringLiteral("banner"));
    QVERIFY(banner->text().contains(QStringLiteral("Paused")));
    // The tailer delivers the lines (the store grows) while the view stays put.
    QTRY_COMPARE_WITH_TIMEOUT(panel.storedLines(0), 5, 5000);
    QCOMPARE(lines(panel), 2);
    QCOMPARE(collected.count(), 0);
    panel.setFollowing(true);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 5, 5000);
  }

  void searchHighlightsEveryMatch() {
    LogsPanel panel(project_);
    write(0, "a needle here\nnothing\nNEEDLE and needle\nhay\n");
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 4, 5000);
    panel.setSearchText(QStringLiteral("needle"));
    QCOMPARE(panel.searchMatchCount(), 3);
    QCOMPARE(panel.findChild<QLabel*>(QStringLiteral("matchCount"))->text(), QStringLiteral("3 matches"));
    int highlighted = 0;
    for (QTextBlock b = view(panel)->document()->begin(); b.isValid(); b = b.next())
      for (const auto& range : b.layout()->formats())
        if (range.format.background().color() == orrery::panels::SearchHighlighter::highlightColor()) {
          QCOMPARE(b.text().mid(range.start, range.length).toLower(), QStringLiteral("needle"));
          ++highlighted;
        }
    QCOMPARE(highlighted, 3);
    // Next/previous walk the matches in order and wrap around at either end.
    auto at = [&] {
      auto c = view(panel)->textCursor();
      return QStringLiteral("%1:%2").arg(c.blockNumber()).arg(c.selectionStart() - c.block().position());
    };
    const QStringList forward = {"0:6", "2:4", "2:15", "0:6"};
    for (const auto& expected : forward) {
      panel.findNext();
      QCOMPARE(at(), expected);
    }
    const QStringList backward = {"2:15", "2:4", "0:6"};
    for (const auto& expected : backward) {
      panel.findPrevious();
      QCOMPARE(at(), expected);
    }
    QVERIFY(!panel.following());   // a match stays in view while lines arrive
    panel.setSearchText(QString());
    QCOMPARE(panel.searchMatchCount(), 0);
  }

  void jumpToFirstErrorMovesTheCursorThere() {
    LogsPanel panel(project_);
    write(0, "starting\nWARNING: slow disk\nstep 1 ok\n");
    write(1, "rank one fine\n");
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 4, 5000);
    QVERIFY(!panel.jumpToFirstError());
    write(0, "Traceback (most recent call last):\n  File \"x.py\"\nValueError: bad\n");
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 7, 5000);
    QVERIFY(panel.jumpToFirstError());
    QCOMPARE(view(panel)->textCursor().blockNumber(), 4);
    QCOMPARE(view(panel)->textCursor().selectedText(), QStringLiteral("[0] Traceback (most recent call last):"));
    QVERIFY(!panel.following());   // the line stays in view while more arrives
    panel.setErrorMarkers({QStringLiteral("WARNING")});
    QVERIFY(panel.jumpToFirstError());
    QCOMPARE(view(panel)->textCursor().blockNumber(), 1);
  }

  void aHugeLogIsReadFromItsLastPart() {
    // 12.8 MB already written before the panel looks: only the last 8 MiB are read.
    std::string text;
    text.reserve(200'000 * 64);
    char buf[80];
    for (int i = 0; i < 200'000; ++i) {
      std::snprintf(buf, sizeof buf, "line %08d %s\n", i, std::string(49, 'x').c_str());
      text += buf;
    }
    write(0, text);
    LogsPanel panel(project_);
    panel.setRun(run_id_);
    QTRY_VERIFY_WITH_TIMEOUT(line(panel, lines(panel) - 1).startsWith(QStringLiteral("[0] line 00199999")), 20'000);
    QCOMPARE(lines(panel), panel.lineCap());
    QCOMPARE(panel.storedLines(0), panel.lineCap());
    auto* banner = panel.findChild<QLabel*>(QStringLiteral("banner"));
    QTRY_VERIFY(banner->text().contains(QStringLiteral("bytes of large logs were not read")));
  }

  // Two ranks, a search and the first error selected, rendered offscreen and saved as a test artifact.
  void renderedViewIsSavedAsAnArtifact() {
    LogsPanel panel(project_);
    panel.resize(800, 400);
    write(0, numbered("step", 0, 8) + "Traceback (most recent call last):\n  File \"train.py\", line 3\nValueError: bad step\n");
    write(1, numbered("rank one step", 0, 6));
    panel.setRun(run_id_);
    QTRY_COMPARE_WITH_TIMEOUT(lines(panel), 17, 5000);
    panel.setSearchText(QStringLiteral("step"));
    QVERIFY(panel.jumpToFirstError());
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    const QString problem = render_and_keep(panel, QStringLiteral("logs_panel.png"));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }

  void invalidRunIdIsRefused() {
    LogsPanel panel(project_);
    panel.setRun(QStringLiteral("../escape"));
    auto* banner = panel.findChild<QLabel*>(QStringLiteral("banner"));
    QTRY_VERIFY_WITH_TIMEOUT(banner->text().contains(QStringLiteral("not a valid run id")), 5000);
    QCOMPARE(lines(panel), 0);
  }
};

QTEST_MAIN(TestLogsPanel)
#include "test_logs_panel.moc"
