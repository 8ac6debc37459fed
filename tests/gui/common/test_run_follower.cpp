// RunFollower (panels/common/run_follower.cpp) driven directly on a real 2-rank run,
// with a feed that loses messages, as a slow subscriber's does (the agent's PUB socket
// drops rather than waits): every 4th metric batch never reaches the follower. The
// gap in the sender's seq sends that rank's series back to the file, and the store
// stays exact (steps 0, 1, 2... with no gap or duplicate) and ends equal to run.h5
// without an end-of-run repair.

#include "common/run_follower.hpp"
#include "run_testing.hpp"

#include <QCoreApplication>
#include <QTest>

#include <memory>

using orrery::panels::FeedSource;
using orrery::panels::RunFollower;
namespace testing = orrery::testing;
using namespace std::chrono_literals;

namespace {

struct LossCount {
  int metric_batches = 0;
  int dropped = 0;
};

class LossyFeed : public FeedSource {
 public:
  LossyFeed(std::unique_ptr<FeedSource> inner, std::shared_ptr<LossCount> count)
      : inner_(std::move(inner)), count_(std::move(count)) {}
  std::optional<orrery::feed::FeedMessage> next(std::chrono::milliseconds timeout) override {
    for (;;) {
      auto message = inner_->next(timeout);
      if (!message) return message;
      auto* batch = std::get_if<orrery::feed::BatchMessage>(&*message);
      if (batch && !batch->batch.metrics.empty() && ++count_->metric_batches % 4 == 0) {
        ++count_->dropped;
        timeout = 0ms;
        continue;
      }
      return message;
    }
  }

 private:
  std::unique_ptr<FeedSource> inner_;
  std::shared_ptr<LossCount> count_;
};

}  // namespace

class RunFollowerTest : public QObject {
  Q_OBJECT

 private slots:
  void lostFeedMessagesAreRecoveredFromTheFile();
};

void RunFollowerTest::lostFeedMessagesAreRecoveredFromTheFile() {
  testing::TestProject prj;
  const auto id = prj.launch_ticker("lossy", 2, 1500, 300);   // ~5 s
  QTRY_COMPARE_WITH_TIMEOUT(prj.observed(id), orrery::runfiles::RunStatus::Running, 30000);
  auto store = std::make_shared<orrery::series::SeriesStore>();
  auto count = std::make_shared<LossCount>();
  RunFollower follower(prj.project(), id, store, [count](const orrery::runfiles::RunRecord& record) {
    return std::make_unique<LossyFeed>(orrery::panels::open_agent_feed(record), count);
  });
  std::size_t feed_points = 0;
  bool repaired = false;
  std::string problem;
  std::optional<std::string> last_status;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (!follower.done() && std::chrono::steady_clock::now() < deadline) {
    auto progress = follower.poll(20ms);
    feed_points += progress.feed_points;
    repaired |= progress.repaired;
    if (progress.status) last_status = progress.status;
    if (progress.data && problem.empty()) problem = testing::consecutive_steps_problem(*store, id);
  }
  QVERIFY(follower.done());
  QCOMPARE(last_status.value_or(""), std::string("succeeded"));
  QVERIFY2(problem.empty(), problem.c_str());
  QVERIFY2(count->dropped >= 5, qPrintable(QString("dropped %1").arg(count->dropped)));
  QVERIFY(feed_points > 0);
  QVERIFY(!repaired);   // recovered while live, not by the end-of-run re-read
  const auto in_file = testing::file_counts(prj.project(), id);
  QVERIFY(testing::store_counts(*store, id) == in_file);
  QCOMPARE(in_file.at({"metrics", 0, "loss"}), std::size_t{1500});
  QCOMPARE(in_file.at({"metrics", 1, "lr"}), std::size_t{1500});
}

QTEST_GUILESS_MAIN(RunFollowerTest)
#include "test_run_follower.moc"
