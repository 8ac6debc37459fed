// The checkpoint browser on real files: a finished run with two checkpoints written by
// the HDF5 C API (tests/unit/h5_write_test_support.hpp), opened through the run; statistics,
// histogram, heatmap, slice table, diff, .npy/CSV export read back by NumPy, resume request,
// damaged files, cancel, and a 50,000 x 768 tensor that the table reads tile by tile.
#include "checkpoints/checkpoint_browser.hpp"
#include "checkpoints/heatmap_view.hpp"
#include "checkpoints/tensor_table_model.hpp"

#include "run_testing.hpp"
#include "../../unit/h5_write_test_support.hpp"

#include <QProcess>
#include <QProgressBar>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace orrery;
using orrery::h5_test::H5Writer;
namespace fs = std::filesystem;

namespace {

// A checkpoint-like file: wte (rows x 8), a 3-D tensor of known values, a step scalar,
// a string; `shift` added to wte's first row (the diff's largest change).
void write_checkpoint(const fs::path& p, float shift) {
  H5Writer w(p);
  w.write_rows("/model/wte", 40, 8, [shift](hsize_t r, hsize_t c) {
    return static_cast<float>(r % 7) - 3.0f + static_cast<float>(c) * 0.125f + (r == 0 ? shift : 0.0f);
  });
  std::vector<double> cube(4 * 5 * 6);
  for (std::size_t i = 0; i < cube.size(); ++i) cube[i] = static_cast<double>(i);
  w.write("/model/cube", {4, 5, 6}, cube, H5T_NATIVE_DOUBLE);
  std::vector<float> bias(8, 0.0f);
  bias[3] = std::nanf("");
  w.write("/model/bias", {8}, bias, H5T_NATIVE_FLOAT);
  w.write("/step", {}, std::vector<std::int64_t>{100}, H5T_NATIVE_INT64);
  w.write_string("/meta/kind", "gpt-train");
}

QString qs(const fs::path& p) { return QString::fromStdString(p.string()); }

}  // namespace

class TestCheckpointBrowser : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    testing::FinishedRun run;
    run.name = "ckpt";
    run.spec = {{"kind", "command"}, {"name", "ckpt"}, {"ranks", 2}, {"target", "local"}, {"tags", nlohmann::json::array()},
                {"params", nlohmann::json::object()}};
    run.value = [](int, int step) { return 1.0 / (1 + step); };
    run_id_ = QString::fromStdString(testing::write_finished_run(project_.project(), run));
    dir_ = runfiles::run_path(project_.project(), run_id_.toStdString()) / "checkpoints";
    fs::create_directories(dir_);
    write_checkpoint(dir_ / "step-0000100.h5", 0.0f);
    write_checkpoint(dir_ / "step-0001000.h5", 50.0f);
  }

  void opensTheNewestCheckpointOfARunWithStatistics() {
    panels::CheckpointBrowser browser(project_.project());
    QSignalSpy listed(&browser, &panels::CheckpointBrowser::runCheckpointsListed);
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openRun(run_id_);
    QVERIFY(scanned.wait(10000));
    QCOMPARE(scanned.front().front().toBool(), true);
    QCOMPARE(browser.runCheckpoints().size(), 2);
    QVERIFY(browser.currentFile().endsWith("step-0001000.h5"));
    QCOMPARE(browser.currentRun(), run_id_);
    // Tree: groups meta and model, and the root's step.
    QCOMPARE(browser.tree()->topLevelItemCount(), 3);
    auto bias = browser.statsOf("/model/bias");
    QVERIFY(bias.has_value());
    QCOMPARE(bias->nans, quint64{1});
    QCOMPARE(bias->zeros, quint64{7});
    auto cube = browser.statsOf("/model/cube");
    QVERIFY(cube.has_value());
    QCOMPARE(cube->min, 0.0);
    QCOMPARE(cube->max, 119.0);
    QCOMPARE(cube->mean, 59.5);
    QVERIFY(std::abs(cube->std - std::sqrt((120.0 * 120.0 - 1) / 12.0)) < 1e-9);
    QVERIFY(!browser.statsOf("/meta/kind").has_value());   // a string: listed, no statistics
    QVERIFY(browser.statsOf("/step").has_value());
  }

  void histogramHeatmapAndSliceTableOfTheSelectedTensor() {
    panels::CheckpointBrowser browser(project_.project());
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openFile(qs(dir_ / "step-0000100.h5"));
    QVERIFY(scanned.wait(10000));
    QSignalSpy hist(&browser, &panels::CheckpointBrowser::histogramReady);
    QSignalSpy heat(&browser, &panels::CheckpointBrowser::heatmapReady);
    browser.selectTensor("/model/wte");
    QVERIFY(hist.count() > 0 || hist.wait(10000));
    QVERIFY(heat.count() > 0 || heat.wait(10000));
    std::uint64_t total = 0;
    for (auto c : browser.histogram().counts) total += c;
    QCOMPARE(total, std::uint64_t{320});
    QCOMPARE(browser.histogram().lo, -3.0);
    QCOMPARE(browser.heatmap()->image().size(), QSize(8, 40));

    // The cube, rows = dim 2, columns = dim 0, dim 1 fixed at 3: value (a*5 + b)*6 + c at row c, column a.
    browser.selectTensor("/model/cube");
    QVERIFY(heat.wait(10000));
    browser.setSlice(2, 0, {0, 3, 0});
    auto* model = browser.tableModel();
    QVERIFY(model);
    QCOMPARE(model->rowCount(), 6);
    QCOMPARE(model->columnCount(), 4);
    model->data(model->index(0, 0));   // asks for the tile
    QSignalSpy tile(model, &panels::TensorTableModel::tileLoaded);
    QVERIFY(tile.wait(10000));
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 4; ++c) QCOMPARE(model->data(model->index(r, c), Qt::UserRole).toDouble(), double((c * 5 + 3) * 6 + r));
  }

  void diffOfTwoCheckpointsPutsTheChangedTensorFirst() {
    panels::CheckpointBrowser browser(project_.project());
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openFile(qs(dir_ / "step-0000100.h5"));
    QVERIFY(scanned.wait(10000));
    QSignalSpy diffed(&browser, &panels::CheckpointBrowser::diffFinished);
    browser.compareWith(qs(dir_ / "step-0001000.h5"));
    QVERIFY(diffed.wait(10000));
    QCOMPARE(diffed.front().front().toBool(), true);
    const auto& d = browser.diffs();
    QCOMPARE(d.size(), std::size_t{5});   // four numeric tensors compared, then the string ("not numeric")
    QCOMPARE(d[4].kind, h5inspect::TensorDiff::Kind::NotNumeric);
    QCOMPARE(QString::fromStdString(d[0].path), QString("/model/wte"));
    QVERIFY(std::abs(d[0].diff_norm - 50.0 * std::sqrt(8.0)) < 1e-4);
    QCOMPARE(d[1].relative_change, 0.0);
    QCOMPARE(browser.diffTable()->rowCount(), 5);
    QCOMPARE(browser.diffTable()->item(0, 0)->text(), QString("/model/wte"));
  }

  void exportsNpyAndCsvThatNumpyReadsBack() {
    panels::CheckpointBrowser browser(project_.project());
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openFile(qs(dir_ / "step-0001000.h5"));
    QVERIFY(scanned.wait(10000));
    QTemporaryDir out;
    QSignalSpy exported(&browser, &panels::CheckpointBrowser::exportFinished);
    browser.exportTensor("/model/wte", out.filePath("wte.npy"));
    QVERIFY(exported.wait(10000));
    QVERIFY2(exported.back().front().toBool(), qPrintable(exported.back().at(1).toString()));
    browser.exportTensor("/model/wte", out.filePath("wte.csv"));
    QVERIFY(exported.wait(10000));
    QVERIFY(exported.back().front().toBool());
    QProcess python;
    python.start("/usr/bin/python3",
                 {"-c",
                  "import sys, numpy as np\n"
                  "a = np.load(sys.argv[1]); c = np.loadtxt(sys.argv[2], delimiter=',', dtype=np.float32)\n"
                  "assert a.dtype == np.float32 and a.shape == (40, 8), (a.dtype, a.shape)\n"
                  "assert np.array_equal(a, c)\n"
                  "r = np.arange(40)[:, None] % 7 - 3.0 + np.arange(8)[None, :] * 0.125; r[0] += 50\n"
                  "assert np.array_equal(a, r.astype(np.float32))\n"
                  "print('ok')\n",
                  out.filePath("wte.npy"), out.filePath("wte.csv")});
    QVERIFY(python.waitForFinished(30000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    QCOMPARE(python.readAllStandardOutput().trimmed(), QByteArray("ok"));
    // A tensor that is not numbers is refused, with a message.
    browser.exportTensor("/meta/kind", out.filePath("kind.csv"));
    QVERIFY(exported.wait(10000));
    QVERIFY(!exported.back().front().toBool());
    QVERIFY(browser.message().contains("not numbers"));
  }

  void resumeRequestNamesRunCheckpointAndRanks() {
    panels::CheckpointBrowser browser(project_.project());
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openRun(run_id_);
    QVERIFY(scanned.wait(10000));
    QSignalSpy resume(&browser, &panels::CheckpointBrowser::resumeRequested);
    browser.setResumeRanks(3);
    browser.requestResume();
    QCOMPARE(resume.count(), 1);
    QCOMPARE(resume.front().at(0).toString(), run_id_);
    QVERIFY(resume.front().at(1).toString().endsWith("step-0001000.h5"));
    QCOMPARE(resume.front().at(2).toInt(), 3);
    // A file from elsewhere is not a checkpoint of that run: nothing to resume.
    browser.openFile(qs(dir_.parent_path() / "run.h5"));
    QVERIFY(scanned.wait(10000));
    browser.requestResume();
    QCOMPARE(resume.count(), 1);
  }

  void damagedFilesAreAMessageNeverACrash() {
    QTemporaryDir tmp;
    const fs::path good = dir_ / "step-0000100.h5";
    const auto size = fs::file_size(good);
    const fs::path cut = tmp.filePath("cut.h5").toStdString();
    fs::copy_file(good, cut);
    fs::resize_file(cut, size / 2);
    panels::CheckpointBrowser browser(project_.project());
    QSignalSpy failed(&browser, &panels::CheckpointBrowser::openFailed);
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openFile(qs(cut));
    QVERIFY(failed.wait(10000));
    QVERIFY2(browser.message().contains("truncated or damaged"), qPrintable(browser.message()));
    // Garbage over the middle of the file: refused or read, but the panel survives.
    const fs::path bad = tmp.filePath("bad.h5").toStdString();
    fs::copy_file(good, bad);
    {
      std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(size / 3));
      std::string junk(512, '\xa5');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const int before = scanned.count();
    browser.openFile(qs(bad));
    QVERIFY(QTest::qWaitFor([&] { return scanned.count() > before; }, 10000));
    QVERIFY(!browser.message().isEmpty());
    browser.openFile(tmp.filePath("missing.h5"));
    QVERIFY(failed.wait(10000));
    QVERIFY(browser.message().contains("does not exist"));
  }

  // 50,000 x 768 float32 (146 MiB in the file): the table shows the last row after
  // scrolling with a few tiles read; the statistics scan of it can be cancelled.
  void largeEmbeddingScrollsLazilyAndTheScanCancels() {
    QTemporaryDir tmp;
    const fs::path big = tmp.filePath("embedding.h5").toStdString();
    {
      H5Writer w(big);
      w.write_rows("/wte", 50000, 768, [](hsize_t r, hsize_t c) { return static_cast<float>(r) + static_cast<float>(c) / 1024.0f; },
                   0, 4096);
    }
    panels::CheckpointBrowser browser(project_.project());
    browser.resize(900, 600);
    browser.show();
    QSignalSpy opened(&browser, &panels::CheckpointBrowser::fileOpened);
    QSignalSpy scanned(&browser, &panels::CheckpointBrowser::scanFinished);
    browser.openFile(qs(big));
    QVERIFY(opened.wait(10000));
    browser.cancel();
    QVERIFY(scanned.count() > 0 || scanned.wait(10000));
    QCOMPARE(scanned.back().front().toBool(), false);
    QVERIFY2(browser.message().contains("cancelled"), qPrintable(browser.message()));
    QVERIFY(!browser.statsOf("/wte").has_value());

    browser.selectTensor("/wte");
    auto* model = browser.tableModel();
    QVERIFY(model);
    QCOMPARE(model->rowCount(), 50000);
    QCOMPARE(model->columnCount(), 768);
    browser.tableView()->scrollToBottom();
    const QModelIndex last = model->index(49999, 767);
    browser.tableView()->scrollTo(last);
    QVERIFY(QTest::qWaitFor([&] { return model->data(last, Qt::UserRole).isValid(); }, 20000));
    QCOMPARE(model->data(last, Qt::UserRole).toDouble(), double(49999.0f + 767.0f / 1024.0f));
    const QModelIndex near_end = model->index(49950, 700);
    QVERIFY(QTest::qWaitFor([&] { return model->data(near_end, Qt::UserRole).isValid(); }, 20000));
    QCOMPARE(model->data(near_end, Qt::UserRole).toDouble(), double(49950.0f + 700.0f / 1024.0f));
    // Only what was shown was read: far fewer than the 782 x 12 tiles of the whole tensor.
    QVERIFY2(model->tilesRead() < 40, qPrintable(QString::number(model->tilesRead())));
    QVERIFY(model->cachedTiles() <= panels::TensorTableModel::kMaxTiles);
  }

 private:
  testing::TestProject project_;
  QString run_id_;
  fs::path dir_;
};

QTEST_MAIN(TestCheckpointBrowser)
#include "test_checkpoint_browser.moc"
