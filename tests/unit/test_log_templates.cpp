// Log templates (core/logs): variable masking, the Drain tree, and grouping accuracy on
// labelled lines in the style of HDFS, Spark, OpenSSH and Linux syslog.
#include "log_samples_test_support.hpp"

#include "logs/drain.hpp"
#include "logs/line_reader.hpp"
#include "logs/log_masking.hpp"
#include "logs/template_catalog.hpp"
#include "logs/utf8_repair.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace orrery::logs;

namespace {

std::vector<std::uint32_t> parse_all(Drain& drain, const std::vector<orrery::test::LabelledLine>& lines) {
  std::vector<std::uint32_t> ids;
  for (const auto& l : lines) ids.push_back(drain.add(l.text));
  return ids;
}

std::vector<int> truth_of(const std::vector<orrery::test::LabelledLine>& lines) {
  std::vector<int> truth;
  for (const auto& l : lines) truth.push_back(l.truth);
  return truth;
}

DrainOptions options(int depth, double similarity, std::size_t max_children = 100) {
  DrainOptions o;
  o.depth = depth;
  o.similarity = similarity;
  o.max_children = max_children;
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------

TEST(LogMasking, ValuesBecomeWildcards) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"12", "<*>"},
      {"-3.5e-4", "<*>"},
      {"1,024", "<*>"},
      {"0.0000", "<*>"},
      {"10ms", "<*>"},
      {"45%", "<*>"},
      {"1.2GB/s", "<*>"},
      {"20:10:40,123", "<*>"},
      {"2026-11-25T20:39:59Z", "<*>"},
      {"17/06/09", "<*>"},
      {"1/20:", "<*>:"},
      {"10.251.42.84", "<*>"},
      {"10.251.42.84:50010", "<*>"},
      {"/10.251.42.84:50010", "<*>"},
      {"0x7f3a9c", "<*>"},
      {"550e8400-e29b-41d4-a716-446655440000", "<*>"},
      {"00:1a:2b:3c:4d:5e", "<*>"},
      {"fe80::1ff:fe23", "<*>"},
      {"3e5851c0a4", "<*>"},
      {"/user/root/part-00590", "<*>"},
      {"./data/train.bin", "<*>"},
      {"spark://CoarseGrainedScheduler@10.10.34.11:48069", "<*>"},
      {"(TID", "(TID"},
      {"12)", "<*>)"},
      {"(4000000", "(<*>"},
      {"12,", "<*>,"},
      {"[1]", "[<*>]"},
      {"sshd[24200]:", "sshd[<*>]:"},
      {"blk_-1608999687919862906", "blk_-<*>"},
      {"application_1485248649253_0147", "application_<*>_<*>"},
      {"rhost=218.188.2.4", "rhost=<*>"},
      {"uid=0", "uid=<*>"},
      {"(uid=0)", "(uid=<*>)"},
      {"logname=", "logname="},
      {"user=root", "user=root"},
      {"time:12.5s,", "time:<*>,"},
      {"10.1.2.3:50010:Transmitted", "<*>:<*>:Transmitted"},
      {"pid=4242", "pid=<*>"},
      {"rank0", "rank<*>"},
      {"gpu3:", "gpu<*>:"},
      {"H100", "H<*>"},
      {"1.2.3-4+deb12u1", "<*>"},
      {"2.36-9~bpo11", "<*>"},
      {"v4.1.4)", "<*>)"},
      {"12.2.0rc1", "<*>"},
  };
  for (const auto& [token, expected] : cases) EXPECT_EQ(mask_token(token), expected) << "token " << token;
}

TEST(LogMasking, WordsStayAsTheyAre) {
  for (std::string word : {"hello", "INFO", "dfs.DataNode$PacketResponder:", "log4j", "mpi4py", "added", "facade",
                           "deadbeef", "<*>", "...", "-", "--", "e2e", "MPI_Allreduce,", "user", "BLOCK*", "'x'"})
    EXPECT_EQ(mask_token(word), word) << "word " << word;
}

TEST(LogMasking, SplitsAtWhiteSpaceAndMasksDatesByContext) {
  auto m = mask_line("Jun 14 15:16:01 combo\tsshd(pam_unix)[19939]:  check pass;");
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m.joined(), "<*> <*> <*> combo sshd(pam_unix)[<*>]: check pass;");
  // A month name with no day next to it is a word; so is a weekday not before a month.
  EXPECT_EQ(mask_line("May I ask").joined(), "May I ask");
  EXPECT_EQ(mask_line("see you Sun then").joined(), "see you Sun then");
  EXPECT_EQ(mask_line("at Sun Jul 10 03:55:15 2005").joined(), "at <*> <*> <*> <*> <*>");
  EXPECT_EQ(mask_line("14 March, 2024").joined(), "<*> <*> <*>");
  EXPECT_EQ(mask_line("").size(), 0u);
  EXPECT_EQ(mask_line(" \t \r\n").size(), 0u);
}

TEST(LogMasking, BoundsTokensAndLineLength) {
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "w ";
  auto m = mask_line(many);
  ASSERT_EQ(m.size(), kMaxTokens);
  EXPECT_EQ(m[kMaxTokens - 2], "w");
  EXPECT_EQ(m[kMaxTokens - 1], kWildcard);  // the rest, folded

  const std::string huge(4 * kMaxLineBytes, 'a');
  auto h = mask_line(huge);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].size(), kMaxLineBytes);

  // The cut never splits a UTF-8 character: "é" is 2 bytes, placed across the bound.
  std::string accented(kMaxLineBytes - 1, 'a');
  accented += "\xC3\xA9tail";
  auto a = mask_line(accented);
  EXPECT_EQ(a[0].size(), kMaxLineBytes - 1);
}

// ---------------------------------------------------------------------------------------
// The Drain tree
// ---------------------------------------------------------------------------------------

TEST(Drain, SameStatementSameTemplateIdsInOrderOfFirstAppearance) {
  Drain d;
  EXPECT_EQ(d.add("Connection closed by 10.0.0.1 [preauth]"), 0u);
  EXPECT_EQ(d.add("worker 3 finished step 100 in 12.5 ms"), 1u);
  EXPECT_EQ(d.add("Connection closed by 192.168.1.77 [preauth]"), 0u);
  EXPECT_EQ(d.add("checkpoint written"), 2u);
  EXPECT_EQ(d.add("worker 0 finished step 101 in 9.1 ms"), 1u);
  ASSERT_EQ(d.template_count(), 3u);
  EXPECT_EQ(d.template_text(0), "Connection closed by <*> [preauth]");
  EXPECT_EQ(d.template_text(1), "worker <*> finished step <*> in <*> ms");
  EXPECT_EQ(d.line_count(0), 2u);
  EXPECT_EQ(d.line_count(1), 2u);
  EXPECT_EQ(d.line_count(2), 1u);
}

TEST(Drain, DifferingTokensMergeIntoWildcards) {
  Drain d;
  auto a = d.add("session opened for user alice by cron");
  EXPECT_EQ(d.template_text(a), "session opened for user alice by cron");
  auto b = d.add("session opened for user bob by cron");
  ASSERT_EQ(a, b);
  EXPECT_EQ(d.template_text(a), "session opened for user <*> by cron");
  // A template only gains wildcards: a line equal to the old text keeps the wildcard.
  d.add("session opened for user alice by cron");
  EXPECT_EQ(d.template_text(a), "session opened for user <*> by cron");
}

TEST(Drain, TokenCountSeparates) {
  Drain d(options(4, 0.0));
  EXPECT_NE(d.add("a b c"), d.add("a b c d"));
}

TEST(Drain, LeadingTokensRouteAndDigitTokensGoToTheWildcardChild) {
  // With similarity 0 every line joins a group of its leaf: two lines share a template
  // exactly when the tree sends them to the same leaf.
  Drain d(options(4, 0.0));
  const auto alpha = d.add("alpha started ok");
  const auto beta = d.add("beta started ok");
  EXPECT_NE(alpha, beta);  // different leading tokens, different leaves
  // Masking leaves digits inside words (log4j, e2e); such tokens still route through "<*>".
  const auto a1b = d.add("a1b started ok");
  const auto c2d = d.add("c2d started ok");
  EXPECT_EQ(a1b, c2d);
  EXPECT_NE(a1b, alpha);
  EXPECT_EQ(d.template_text(a1b), "<*> started ok");
}

TEST(Drain, DepthSetsHowManyLeadingTokensRoute) {
  Drain shallow(options(3, 0.0));  // one routing token
  EXPECT_EQ(shallow.add("open file x now"), shallow.add("open socket y now"));
  Drain deeper(options(4, 0.0));  // two
  EXPECT_NE(deeper.add("open file x now"), deeper.add("open socket y now"));
}

TEST(Drain, MaskedTokensDoNotUseUpTheDepth) {
  // Timestamps are skipped when routing: the message's first words still separate lines.
  Drain d(options(4, 0.0));
  EXPECT_NE(d.add("081109 203615 Started job"), d.add("081109 203616 Stopped job"));
}

TEST(Drain, FieldLabelsDoNotUseUpTheDepth) {
  // A level and a component, or a program name, route for free: the message's first two
  // words still separate lines (with similarity 0, only the leaf decides).
  Drain d(options(4, 0.0));
  EXPECT_NE(d.add("INFO dfs.DataNode: Receiving block now"), d.add("INFO dfs.DataNode: Received block now"));
  EXPECT_NE(d.add("host sshd[7]: Failed password for root"), d.add("host sshd[8]: Accepted password for root"));
  // Only the first "name:" label is free: here "START:" is the message's first word.
  EXPECT_EQ(d.add("combo xinetd[1]: START: telnet pid=1 from=10.0.0.1"), d.add("combo xinetd[2]: START: ftp pid=2 from=10.0.0.2"));
}

TEST(Drain, MaxChildrenSendsNewTokensToTheWildcardChild) {
  Drain d(options(3, 0.0, 3));  // room for two tokens and "<*>"
  const auto a = d.add("a x y");
  const auto b = d.add("b x y");
  const auto c = d.add("c x y");
  const auto e = d.add("e x y");
  EXPECT_NE(a, b);
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  EXPECT_EQ(c, e);
  EXPECT_EQ(d.add("a x y"), a);  // known tokens keep their own child
}

TEST(Drain, SimilarityThreshold) {
  // Same leaf (depth 3 routes on "a" only); half the positions are equal.
  Drain loose(options(3, 0.5));
  EXPECT_EQ(loose.add("a b c d"), loose.add("a b e f"));
  Drain strict(options(3, 0.6));
  EXPECT_NE(strict.add("a b c d"), strict.add("a b e f"));
}

TEST(Drain, LinesOfNumbersShareATemplate) {
  Drain d;
  const auto first = d.add("             8      100       5316.359       0.0000       0.0000");
  EXPECT_EQ(d.add("         16384      100          8.544       1.9176       1.9176"), first);
  EXPECT_EQ(d.template_text(first), "<*> <*> <*> <*> <*>");
}

TEST(Drain, FullLeafJoinsTheClosestGroup) {
  DrainOptions o = options(3, 0.9);
  o.max_groups_per_leaf = 2;
  Drain d(o);
  const auto a = d.add("go one two three");
  const auto b = d.add("go red green blue");
  EXPECT_NE(a, b);
  EXPECT_EQ(d.add("go one two blue"), a);  // leaf full: the closest (3 of 4 equal), below 0.9
  EXPECT_EQ(d.template_count(), 2u);
}

TEST(Drain, RejectsOptionsOutOfRange) {
  EXPECT_THROW(Drain(options(2, 0.4)), std::invalid_argument);
  EXPECT_THROW(Drain(options(4, 1.5)), std::invalid_argument);
  EXPECT_THROW(Drain(options(4, -0.1)), std::invalid_argument);
  EXPECT_THROW(Drain(options(4, 0.4, 1)), std::invalid_argument);
}

TEST(Drain, AnyBytesAreSafe) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 400);
  Drain d;
  for (int i = 0; i < 20000; ++i) {
    std::string line(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : line) c = static_cast<char>(byte(rng));
    const auto id = d.add(line);
    ASSERT_LT(id, d.template_count());
  }
  // Every template is text that the parser can read back.
  for (Drain::TemplateId id = 0; id < d.template_count(); ++id) d.add(d.template_text(id));
}

// ---------------------------------------------------------------------------------------
// Grouping accuracy on labelled logs
// ---------------------------------------------------------------------------------------

TEST(GroupingAccuracy, ScoresWholeGroupsOnly) {
  const std::vector<int> truth = {0, 0, 1, 1, 2};
  EXPECT_DOUBLE_EQ(orrery::test::grouping_accuracy(truth, std::vector<std::uint32_t>{7, 7, 8, 8, 9}), 1.0);
  EXPECT_DOUBLE_EQ(orrery::test::grouping_accuracy(truth, std::vector<std::uint32_t>{7, 7, 8, 9, 10}), 0.6);  // 1 split
  EXPECT_DOUBLE_EQ(orrery::test::grouping_accuracy(truth, std::vector<std::uint32_t>{7, 7, 8, 8, 8}), 0.4);   // 1 and 2 merged
  EXPECT_DOUBLE_EQ(orrery::test::grouping_accuracy(truth, std::vector<std::uint32_t>{1, 1, 1, 1, 1}), 0.0);
}

class LabelledFormat : public testing::TestWithParam<std::string> {};

TEST_P(LabelledFormat, GroupingAccuracyAtLeast90Percent) {
  const orrery::test::LogFormat* format = nullptr;
  for (const auto& f : orrery::test::log_formats())
    if (f.name == GetParam()) format = &f;
  ASSERT_NE(format, nullptr);
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const auto lines = orrery::test::generate_lines(*format, 800, seed);
    for (const auto& l : lines) ASSERT_EQ(l.text.find('{'), std::string::npos) << "unfilled slot: " << l.text;
    Drain d;
    const auto parsed = parse_all(d, lines);
    const double accuracy = orrery::test::grouping_accuracy(truth_of(lines), parsed);
    std::printf("%-8s seed %u: %zu lines, %zu true templates, %zu parsed, grouping accuracy %.4f\n", format->name.c_str(),
                seed, lines.size(), format->templates.size(), d.template_count(), accuracy);
    EXPECT_GE(accuracy, 0.9) << format->name << " seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, LabelledFormat, testing::Values("HDFS", "Spark", "OpenSSH", "Linux"));

TEST(GroupingAccuracy, AllFormatsInOneStream) {
  // The four formats interleaved, as in a folder of mixed logs read as one.
  std::vector<orrery::test::LabelledLine> lines;
  int offset = 0;
  for (const auto& f : orrery::test::log_formats()) {
    for (auto l : orrery::test::generate_lines(f, 500, 11)) lines.push_back({l.text, l.truth + offset});
    offset += static_cast<int>(f.templates.size());
  }
  std::shuffle(lines.begin(), lines.end(), std::mt19937(5));
  Drain d;
  const double accuracy = orrery::test::grouping_accuracy(truth_of(lines), parse_all(d, lines));
  std::printf("mixed: %zu lines, grouping accuracy %.4f\n", lines.size(), accuracy);
  EXPECT_GE(accuracy, 0.9);
}

// ---------------------------------------------------------------------------------------
// The catalog a log view shows: counts, ranks, times, anomalies
// ---------------------------------------------------------------------------------------

TEST(TemplateCatalog, CountsRanksTimesAndKeepsTheLastLines) {
  TemplateCatalog c(DrainOptions{}, 2);
  const auto step = c.add(0, "step 1 loss 0.50", 10.0);
  EXPECT_EQ(c.add(1, "step 1 loss 0.60", 11.0), step);
  const auto retry = c.add(1, "retrying connection to 10.0.0.2", 12.0);
  EXPECT_EQ(c.add(0, "step 2 loss 0.40", 13.0), step);
  EXPECT_EQ(c.add(2, "step 1 loss 0.70", 14.0), step);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.lines(), 5u);
  EXPECT_EQ(c.ranks(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(c.rank_lines(0), 2u);
  EXPECT_EQ(c.rank_lines(1), 2u);
  EXPECT_EQ(c.rank_lines(7), 0u);

  const auto& f = c.facts(step);
  EXPECT_EQ(f.lines, 4u);
  EXPECT_EQ(f.ranks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(f.first_rank_line, (std::vector<std::uint64_t>{0, 0, 0}));
  EXPECT_DOUBLE_EQ(f.first_time, 10.0);
  EXPECT_DOUBLE_EQ(f.last_time, 14.0);
  EXPECT_EQ(f.first_index, 0u);
  EXPECT_EQ(f.last_index, 4u);
  ASSERT_EQ(f.recent.size(), 2u);  // the last two kept
  EXPECT_EQ(f.recent[0].text, "step 2 loss 0.40");
  EXPECT_EQ(f.recent[1].rank, 2);
  EXPECT_EQ(c.template_text(step), "step <*> loss <*>");

  EXPECT_EQ(c.facts(retry).ranks, (std::vector<int>{1}));
  EXPECT_EQ(c.facts(retry).first_rank_line, (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(c.on_some_ranks_only(retry));
  EXPECT_FALSE(c.on_some_ranks_only(step));
}

TEST(TemplateCatalog, LateIsJudgedInEachRanksOwnLog) {
  TemplateCatalog c;
  // Rank 0's whole log arrives before rank 1's, as when a finished run is read.
  std::uint32_t early_warning = 0, late_error = 0;
  for (int rank = 0; rank < 2; ++rank) {
    for (int step = 0; step < 100; ++step) {
      c.add(rank, "step " + std::to_string(step) + " done", 0);
      if (step == 10) early_warning = c.add(rank, "warning: slow disk", 0);
      if (step == 80) late_error = c.add(rank, "error: rank lost its peer", 0);
    }
  }
  EXPECT_FALSE(c.appeared_late(0));
  EXPECT_FALSE(c.appeared_late(early_warning));
  EXPECT_TRUE(c.appeared_late(late_error));
  // Not late while its ranks have logged too little to tell.
  TemplateCatalog young;
  for (int i = 0; i < 20; ++i) young.add(0, "tick " + std::to_string(i), 0);
  const auto fresh = young.add(0, "error: something new", 0);
  EXPECT_FALSE(young.appeared_late(fresh));
}

// ---------------------------------------------------------------------------------------
// UTF-8 and reading files
// ---------------------------------------------------------------------------------------

TEST(Utf8Repair, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_EQ(repair_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_FALSE(is_valid_utf8("caf\xE9"));                          // Latin-1
  EXPECT_EQ(repair_utf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("cut \xE2\x82"));                      // truncated sequence
  EXPECT_TRUE(is_valid_utf8(repair_utf8("cut \xE2\x82 and \xFF\xFE")));
}

TEST(LineReader, SplitsLinesAndBoundsTheirLength) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  const std::string text = "one\r\ntwo\n\nabcdefghij\nlast";
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  LineReader reader(f, 4);
  std::string line;
  std::vector<std::string> lines;
  std::vector<bool> cut;
  while (reader.next(line)) {
    lines.push_back(line);
    cut.push_back(reader.cut());
  }
  std::fclose(f);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "", "abcd", "last"}));
  EXPECT_EQ(cut, (std::vector<bool>{false, false, false, true, false}));
}

TEST(LineReader, LinesLongerThanTheReadBlock) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  const std::string longest(1 << 20, 'x');  // four of the reader's blocks
  std::fputs((longest + "\nend\n").c_str(), f);
  std::rewind(f);
  LineReader reader(f, 1 << 21);
  std::string line;
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.size(), longest.size());
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line, "end");
  EXPECT_FALSE(reader.next(line));
  std::fclose(f);
}
