// The logs panel's templates view: lines of several ranks grouped into templates on a
// worker thread, with counts, ranks and the two anomalies (a template on only some
// ranks, a template that first appears late); selecting a template shows its lines;
// and the logs panel feeding the view from the rank logs it follows.

#include <QElapsedTimer>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>

#include <filesystem>
#include <fstream>

#include "logs/log_templates_view.hpp"
#include "logs/logs_panel.hpp"
#include "runfiles/project.hpp"
#include "support_rendering.hpp"

using orrery::panels::LogTemplatesView;
namespace fs = std::filesystem;

class TestLogTemplatesView : public QObject {
  Q_OBJECT

 private:
  static QTableWidget* table(LogTemplatesView& view) { return view.findChild<QTableWidget*>(QStringLiteral("templates")); }
  // The row whose template text is `text`, or -1.
  static int row_of(LogTemplatesView& view, const QString& text) {
    for (int r = 0; r < table(view)->rowCount(); ++r)
      if (table(view)->item(r, LogTemplatesView::kTemplate)->text() == text) return r;
    return -1;
  }
  static QString cell(LogTemplatesView& view, int row, int column) { return table(view)->item(row, column)->text(); }

  // 4 ranks: a start line, then 100 training steps; rank 2 alone logs a warning 10 times
  // after its 60th step.
  static void feed_run(LogTemplatesView& view) {
    for (int rank = 0; rank < 4; ++rank) {
      QStringList lines{QStringLiteral("rank %1: starting on host node-%2").arg(rank).arg(rank / 2)};
      for (int step = 0; step < 100; ++step) {
        lines << QStringLiteral("step %1 loss %2 lr 3e-4").arg(step).arg(2.5 / (1 + step), 0, 'f', 4);
        if (rank == 2 && step >= 60 && step < 70)
          lines << QStringLiteral("NCCL WARN connection to 10.0.0.%1 timed out, retrying").arg(step - 50);
      }
      view.addLines(rank, lines.mid(0, 50));  // in two batches, as a tailer delivers them
      view.addLines(rank, lines.mid(50));
    }
  }

 private slots:
  void groupsLinesFromAllRanksAndFlagsAnomalies() {
    LogTemplatesView view;
    view.show();
    feed_run(view);
    QTRY_COMPARE_WITH_TIMEOUT(view.templateCount(), 3, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(view.findChild<QLabel*>(QStringLiteral("templateSummary"))->text().startsWith(QStringLiteral("414 lines")), 10000);

    const int steps = row_of(view, QStringLiteral("step <*> loss <*> lr <*>"));
    const int start = row_of(view, QStringLiteral("rank <*>: starting on host node-<*>"));
    const int warn = row_of(view, QStringLiteral("NCCL WARN connection to <*> timed out, retrying"));
    QVERIFY(steps >= 0 && start >= 0 && warn >= 0);
    QCOMPARE(steps, 0);  // sorted by lines, most first
    QCOMPARE(cell(view, steps, LogTemplatesView::kLines), QStringLiteral("400"));
    QCOMPARE(cell(view, steps, LogTemplatesView::kRanks), QStringLiteral("0-3"));
    QCOMPARE(cell(view, steps, LogTemplatesView::kFlags), QString());
    QCOMPARE(cell(view, start, LogTemplatesView::kLines), QStringLiteral("4"));
    QCOMPARE(cell(view, start, LogTemplatesView::kFlags), QString());
    QCOMPARE(cell(view, warn, LogTemplatesView::kLines), QStringLiteral("10"));
    QCOMPARE(cell(view, warn, LogTemplatesView::kRanks), QStringLiteral("2"));
    const QString flags = cell(view, warn, LogTemplatesView::kFlags);
    QVERIFY2(flags.contains(QStringLiteral("only on 1 of 4 ranks")) && flags.contains(QStringLiteral("first seen late")),
             qPrintable(flags));
    QVERIFY(table(view)->item(warn, LogTemplatesView::kTemplate)->background() != table(view)->item(steps, 0)->background());

    // Selecting the warning shows its ten lines, from rank 2.
    const quint32 id = table(view)->item(warn, LogTemplatesView::kTemplate)->data(Qt::UserRole).toUInt();
    QVERIFY(view.selectTemplate(id));
    auto* lines = view.findChild<QPlainTextEdit*>(QStringLiteral("templateLines"));
    QTRY_COMPARE_WITH_TIMEOUT(lines->document()->blockCount(), 10, 5000);
    QCOMPARE(lines->document()->firstBlock().text(), QStringLiteral("[2] NCCL WARN connection to 10.0.0.10 timed out, retrying"));

    // The selection stays on the template while new lines arrive.
    view.addLines(1, {QStringLiteral("NCCL WARN connection to 10.0.0.99 timed out, retrying")});
    QTRY_COMPARE_WITH_TIMEOUT(lines->document()->blockCount(), 11, 5000);
    QCOMPARE(view.selectedTemplate(), std::optional<quint32>(id));
    auto warn_ranks = [&view] {
      return cell(view, row_of(view, QStringLiteral("NCCL WARN connection to <*> timed out, retrying")), LogTemplatesView::kRanks);
    };
    QTRY_COMPARE_WITH_TIMEOUT(warn_ranks(), QStringLiteral("1-2"), 5000);

    // What a user sees: the table with the tinted row and the selected template's lines.
    view.resize(1100, 560);
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QString problem = render_and_keep(view, QStringLiteral("log_templates_view.png"));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }

  void resetForgetsTheRun() {
    LogTemplatesView view;
    feed_run(view);
    QTRY_COMPARE_WITH_TIMEOUT(view.templateCount(), 3, 10000);
    view.reset();
    QCOMPARE(view.templateCount(), 0);
    view.addLines(0, {QStringLiteral("checkpoint saved to /tmp/ckpt/step-100.h5"), QStringLiteral("checkpoint saved to /tmp/ckpt/step-200.h5")});
    QTRY_COMPARE_WITH_TIMEOUT(view.templateCount(), 1, 10000);
    QCOMPARE(cell(view, 0, LogTemplatesView::kTemplate), QStringLiteral("checkpoint saved to <*>"));
    QCOMPARE(cell(view, 0, LogTemplatesView::kLines), QStringLiteral("2"));
  }

  void parsesOffTheUiThread() {
    LogTemplatesView view;
    QStringList many;
    for (int i = 0; i < 200000; ++i) many << QStringLiteral("sample %1 took %2 ms on worker-%3").arg(i).arg(i % 97).arg(i % 8);
    QElapsedTimer clock;
    clock.start();
    view.addLines(0, many);  // hands the batch over and returns
    const qint64 handed_over = clock.elapsed();
    QTRY_COMPARE_WITH_TIMEOUT(view.templateCount(), 1, 120000);
    const qint64 parsed = clock.elapsed();
    QVERIFY2(handed_over * 4 < parsed, qPrintable(QStringLiteral("addLines took %1 ms of %2 ms").arg(handed_over).arg(parsed)));
    QCOMPARE(cell(view, 0, LogTemplatesView::kTemplate), QStringLiteral("sample <*> took <*> ms on worker-<*>"));
    QCOMPARE(cell(view, 0, LogTemplatesView::kLines), QStringLiteral("200000"));
  }

  void formatsRankRanges() {
    QCOMPARE(orrery::panels::format_ranks({0, 1, 2, 3, 5, 7, 8}), QStringLiteral("0-3, 5, 7-8"));
    QCOMPARE(orrery::panels::format_ranks({4}), QStringLiteral("4"));
    QCOMPARE(orrery::panels::format_ranks({}), QString());
  }

  void theLogsPanelFeedsItsTemplatesTab() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto project = orrery::runfiles::open_project(fs::path(dir.path().toStdString()), true);
    const std::string run = "20261125-210000-templates-0001";
    const fs::path logs = project.runs_dir() / run / "logs";
    fs::create_directories(logs);
    for (int rank = 0; rank < 2; ++rank) {
      std::ofstream out(logs / ("rank-" + std::to_string(rank) + ".log"));
      for (int i = 0; i < 30; ++i) out << "epoch " << i << " accuracy 0." << (50 + i) << "\n";
      if (rank == 1) out << "Traceback (most recent call last):\n";
    }
    orrery::panels::LogsPanel panel(project);
    panel.show();
    panel.setRun(QString::fromStdString(run));
    auto* view = panel.findChild<LogTemplatesView*>();
    QVERIFY(view);
    QTRY_COMPARE_WITH_TIMEOUT(view->templateCount(), 2, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(row_of(*view, QStringLiteral("epoch <*> accuracy <*>")) >= 0 &&
                                 cell(*view, row_of(*view, QStringLiteral("epoch <*> accuracy <*>")), LogTemplatesView::kLines) == QStringLiteral("60"),
                             10000);
    const int traceback = row_of(*view, QStringLiteral("Traceback (most recent call last):"));
    QVERIFY(traceback >= 0);
    QVERIFY(cell(*view, traceback, LogTemplatesView::kFlags).contains(QStringLiteral("only on 1 of 2 ranks")));

    // Another run: the templates of the first are gone.
    panel.setRun(QStringLiteral("20261125-210000-templates-0002"));
    QCOMPARE(view->templateCount(), 0);
  }
};

QTEST_MAIN(TestLogTemplatesView)
#include "test_log_templates_view.moc"
