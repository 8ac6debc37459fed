// core/compare on real run files: runs written with the run.json and run.h5 writers into
// a temporary project, read back by load_compared_run, and their parameters, curves,
// summaries and chart axes checked against values worked out by hand.
#include "test_support.hpp"

#include "compare/axis_scale.hpp"
#include "compare/compared_run.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "runfiles/run_record.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

namespace {

using namespace orrery;
using compare::SummaryChoice;
using compare::SummaryKind;

struct RankSeries {
  int rank = 0;
  std::string metric;
  std::vector<std::int64_t> steps;
  std::vector<double> values;
};

class CompareRunsTest : public ::testing::Test {
 protected:
  test_support::TempDir tmp_{"orrery-compare"};
  runfiles::Project project_ = runfiles::open_project(tmp_.path() / "project", true);

  std::string write_run(const std::string& name, const nlohmann::json& params, const std::vector<RankSeries>& series) {
    const std::string id = runfiles::make_run_id(project_, name);
    const auto dir = runfiles::run_path(project_, id);
    std::filesystem::create_directories(dir);
    runfiles::RunRecord record;
    record.id = id;
    record.name = name;
    record.kind = "command";
    record.ranks = 2;
    record.status = runfiles::RunStatus::Succeeded;
    record.spec = {{"kind", "command"}, {"name", name}, {"ranks", 2}, {"params", params}};
    runfiles::write_run_record(dir, record);
    runfiles::RunH5Writer writer(dir / "run.h5", {id, "command", 2});
    for (const auto& s : series) {
      std::vector<double> times(s.steps.size(), 1.7e9);
      EXPECT_TRUE(writer.append_series("metrics", s.rank, s.metric, s.steps, times, s.values));
    }
    writer.append_series("system", 0, "cpu_percent", std::vector<std::int64_t>{0}, std::vector<double>{1.7e9},
                         std::vector<double>{50});
    writer.close();
    return id;
  }
};

TEST(CompareParams, SpecFlattensToDottedLeavesWithoutTheName) {
  const nlohmann::json spec = {{"kind", "gpt-train"},
                               {"name", "lr-0.1"},
                               {"ranks", 4},
                               {"params", {{"lr", 0.1}, {"optim", {{"beta1", 0.9}, {"kind", "adamw"}}}, {"argv", {"a", "b"}}, {"amp", true}}}};
  const auto p = compare::flatten_params(spec);
  std::vector<std::string> names;
  for (const auto& [name, value] : p) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"kind", "params.amp", "params.argv", "params.lr", "params.optim.beta1",
                                             "params.optim.kind", "ranks"}));
  EXPECT_EQ(p.at("params.lr").number, 0.1);
  EXPECT_EQ(p.at("params.optim.kind").text, "adamw");
  EXPECT_FALSE(p.at("params.optim.kind").number);
  EXPECT_EQ(p.at("params.argv").text, R"(["a","b"])");
  EXPECT_FALSE(p.at("params.argv").number);
  EXPECT_EQ(p.at("params.amp").text, "true");
  EXPECT_FALSE(p.at("params.amp").number);   // a switch is a category, not 0/1
  EXPECT_TRUE(compare::flatten_params(nlohmann::json::array({1, 2})).empty());
}

TEST(CompareParams, OnlyDifferingNamesIncludeMissingOnes) {
  const auto a = compare::flatten_params({{"params", {{"lr", 0.1}, {"seed", 1}, {"text", "3"}}}});
  const auto b = compare::flatten_params({{"params", {{"lr", 0.3}, {"seed", 1}, {"text", 3}, {"extra", "x"}}}});
  EXPECT_EQ(compare::parameter_names({&a, &b}, true),
            (std::vector<std::string>{"params.extra", "params.lr", "params.text"}));
  EXPECT_EQ(compare::parameter_names({&a, &b}, false),
            (std::vector<std::string>{"params.extra", "params.lr", "params.seed", "params.text"}));
  EXPECT_EQ(compare::parameter_names({&a}, true), (std::vector<std::string>{"params.lr", "params.seed", "params.text"}));
}

TEST(CompareSummary, RanksMergeIntoTheMeanOfTheRanksAtEachStep) {
  runfiles::SeriesData r0{{0, 10, 20}, {}, {1.0, 2.0, 3.0}};
  runfiles::SeriesData r1{{0, 20, 30}, {}, {3.0, 5.0, 7.0}};
  const auto curve = compare::mean_over_ranks({r0, r1});
  EXPECT_EQ(curve.steps, (std::vector<std::int64_t>{0, 10, 20, 30}));
  EXPECT_EQ(curve.values, (std::vector<double>{2.0, 2.0, 4.0, 7.0}));
}

TEST(CompareSummary, FinalBestAndNearestStepAtOrBefore) {
  const compare::MetricCurve curve{{0, 10, 20, 30}, {5.0, 2.0, std::nan(""), 3.0}};
  EXPECT_EQ(compare::summarize(curve, "loss", {SummaryKind::Final}), 3.0);
  EXPECT_EQ(compare::summarize(curve, "loss", {SummaryKind::Best}), 2.0);          // NaN skipped
  EXPECT_EQ(compare::summarize(curve, "accuracy", {SummaryKind::Best}), 5.0);
  EXPECT_EQ(compare::summarize(curve, "loss", {SummaryKind::Best, 0, compare::BestRule::Higher}), 5.0);
  EXPECT_EQ(compare::summarize(curve, "tokens_per_s", {SummaryKind::Best, 0, compare::BestRule::Lower}), 2.0);
  EXPECT_EQ(compare::summarize(curve, "loss", {SummaryKind::AtStep, 10}), 2.0);
  EXPECT_EQ(compare::summarize(curve, "loss", {SummaryKind::AtStep, 19}), 2.0);     // nearest at or before
  EXPECT_EQ(compare::summarize(curve, "loss", {SummaryKind::AtStep, 1000}), 3.0);
  EXPECT_FALSE(compare::summarize(curve, "loss", {SummaryKind::AtStep, -1}));
  EXPECT_FALSE(compare::summarize(compare::MetricCurve{}, "loss", {SummaryKind::Final}));
  const compare::MetricCurve all_nan{{0}, {std::nan("")}};
  EXPECT_TRUE(std::isnan(*compare::summarize(all_nan, "loss", {SummaryKind::Best})));
  EXPECT_TRUE(compare::lower_is_better("val/Loss"));
  EXPECT_TRUE(compare::lower_is_better("ttft_ms"));
  EXPECT_FALSE(compare::lower_is_better("accuracy"));
}

TEST_F(CompareRunsTest, RealRunFilesGiveParamsCurvesAndSummaries) {
  const std::string id = write_run("lr-0.1", {{"lr", 0.1}, {"opt", "sgd"}},
                                   {{0, "loss", {0, 1, 2, 3}, {4.0, 3.0, 1.0, 2.0}},
                                    {1, "loss", {0, 1, 2, 3}, {6.0, 5.0, 3.0, 4.0}},
                                    {0, "accuracy", {0, 5}, {0.25, 0.75}}});
  const auto run = compare::load_compared_run(project_, id);
  ASSERT_TRUE(run.loaded()) << run.error;
  EXPECT_EQ(run.name, "lr-0.1");
  EXPECT_EQ(run.status, "succeeded");
  EXPECT_EQ(run.params.at("params.lr").number, 0.1);
  EXPECT_EQ(run.params.at("params.opt").text, "sgd");
  ASSERT_EQ(run.metrics.size(), 2u);   // system series are not metrics
  EXPECT_EQ(run.metrics.at("loss").values, (std::vector<double>{5.0, 4.0, 2.0, 3.0}));
  EXPECT_EQ(compare::summary_of(run, "loss", {SummaryKind::Final}), 3.0);
  EXPECT_EQ(compare::summary_of(run, "loss", {SummaryKind::Best}), 2.0);
  EXPECT_EQ(compare::summary_of(run, "accuracy", {SummaryKind::Best}), 0.75);
  EXPECT_EQ(compare::summary_of(run, "accuracy", {SummaryKind::AtStep, 4}), 0.25);
  EXPECT_FALSE(compare::summary_of(run, "no-such", {SummaryKind::Final}));
}

TEST_F(CompareRunsTest, MissingOrCorruptRunH5IsNamedAndKeepsParams) {
  const std::string good = write_run("good", {{"lr", 0.1}}, {{0, "loss", {0}, {1.0}}});
  const std::string missing = write_run("missing", {{"lr", 0.2}}, {{0, "loss", {0}, {1.0}}});
  const std::string corrupt = write_run("corrupt", {{"lr", 0.3}}, {{0, "loss", {0}, {1.0}}});
  std::filesystem::remove(runfiles::run_path(project_, missing) / "run.h5");
  {
    const auto file = runfiles::run_path(project_, corrupt) / "run.h5";
    const auto size = std::filesystem::file_size(file);
    std::filesystem::resize_file(file, size / 3);
  }
  const auto a = compare::load_compared_run(project_, good);
  const auto b = compare::load_compared_run(project_, missing);
  const auto c = compare::load_compared_run(project_, corrupt);
  EXPECT_TRUE(a.loaded());
  EXPECT_CONTAINS(b.error, "run.h5");
  EXPECT_CONTAINS(c.error, "run.h5");
  EXPECT_TRUE(b.metrics.empty());
  EXPECT_TRUE(c.metrics.empty());
  EXPECT_EQ(c.params.at("params.lr").number, 0.3);
  const auto bad_id = compare::load_compared_run(project_, "../escape");
  EXPECT_CONTAINS(bad_id.error, "run.json");
  std::atomic<bool> cancel{true};
  EXPECT_EQ(compare::load_compared_run(project_, good, &cancel).error, "cancelled");
}

TEST(CompareAxis, NumericAxesScaleAndCategoricalAxesOrder) {
  using P = compare::ParamValue;
  const auto numeric = compare::AxisScale::of_params({P{"0.1", 0.1}, std::nullopt, P{"0.5", 0.5}, P{"0.2", 0.2}});
  EXPECT_FALSE(numeric.categorical());
  EXPECT_EQ(numeric.min(), 0.1);
  EXPECT_EQ(numeric.max(), 0.5);
  ASSERT_EQ(numeric.positions().size(), 4u);
  EXPECT_DOUBLE_EQ(*numeric.positions()[0], 0.0);
  EXPECT_FALSE(numeric.positions()[1]);
  EXPECT_DOUBLE_EQ(*numeric.positions()[2], 1.0);
  EXPECT_DOUBLE_EQ(*numeric.positions()[3], 0.25);

  const auto categories = compare::AxisScale::of_params({P{"sgd", {}}, P{"adamw", {}}, P{"2", 2.0}, P{"sgd", {}}});
  EXPECT_TRUE(categories.categorical());
  EXPECT_EQ(categories.categories(), (std::vector<std::string>{"2", "adamw", "sgd"}));
  EXPECT_DOUBLE_EQ(*categories.positions()[0], 1.0);
  EXPECT_DOUBLE_EQ(*categories.positions()[1], 0.5);
  EXPECT_DOUBLE_EQ(*categories.positions()[2], 0.0);

  const auto one = compare::AxisScale::of_numbers({3.0, 3.0, std::numeric_limits<double>::infinity()});
  EXPECT_DOUBLE_EQ(*one.positions()[0], 0.5);
  EXPECT_FALSE(one.positions()[2]);
}

}  // namespace
