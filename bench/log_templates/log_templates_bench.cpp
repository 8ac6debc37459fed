// Throughput of the log-template parser: 1,000,000 generated lines (HDFS, Spark, OpenSSH
// and Linux syslog styles, interleaved in blocks as in a folder of mixed logs), parsed by
// one Drain with default options, single-threaded, after generation (which is not timed).
// Reports lines/s and MB/s for masking alone and for the whole parse (masking + tree),
// best and median of the repeats, and the grouping accuracy reached on the whole million.
//
//   bench_log_templates [--lines N] [--repeat R] [--write FILE]
//
// --write FILE also writes the lines to FILE (one a line) for timing the CLI (run.sh).
#include "log_samples_test_support.hpp"

#include "logs/drain.hpp"
#include "logs/log_masking.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::size_t lines = 1'000'000;
  int repeat = 5;
  std::string write;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--lines") && has_value) {
      a.lines = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--repeat") && has_value) {
      a.repeat = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--write") && has_value) {
      a.write = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--lines N] [--repeat R] [--write FILE]\n", argv[0]);
      std::exit(2);
    }
  }
  return a;
}

// The four formats in blocks of 1,000 lines, with labels made unique across formats.
std::vector<orrery::test::LabelledLine> make_lines(std::size_t count) {
  const auto& formats = orrery::test::log_formats();
  constexpr std::size_t kBlock = 1000;
  std::vector<std::vector<orrery::test::LabelledLine>> per_format;
  std::vector<int> offset;
  int next = 0;
  for (std::size_t f = 0; f < formats.size(); ++f) {
    per_format.push_back(orrery::test::generate_lines(formats[f], count / formats.size() + kBlock, static_cast<std::uint32_t>(f + 1)));
    offset.push_back(next);
    next += static_cast<int>(formats[f].templates.size());
  }
  std::vector<orrery::test::LabelledLine> lines;
  lines.reserve(count);
  for (std::size_t block = 0; lines.size() < count; ++block) {
    const std::size_t f = block % formats.size();
    const std::size_t from = (block / formats.size()) * kBlock;
    for (std::size_t i = from; i < from + kBlock && lines.size() < count; ++i) {
      auto& l = per_format[f][i];
      lines.push_back({std::move(l.text), l.truth + offset[f]});
    }
  }
  return lines;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void report(const char* what, std::vector<double> seconds, std::size_t lines, std::size_t bytes) {
  std::sort(seconds.begin(), seconds.end());
  const double best = seconds.front(), median = seconds[seconds.size() / 2];
  std::printf("%-22s best %8.3f s  %12.0f lines/s  %7.1f MB/s   median %8.3f s  %12.0f lines/s\n", what, best,
              static_cast<double>(lines) / best, static_cast<double>(bytes) / best / 1e6, median,
              static_cast<double>(lines) / median);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  const auto generating = Clock::now();
  const auto lines = make_lines(args.lines);
  std::size_t bytes = 0;
  for (const auto& l : lines) bytes += l.text.size() + 1;
  std::printf("%zu lines, %.1f MB, generated in %.2f s; %d repeats\n", lines.size(), static_cast<double>(bytes) / 1e6,
              seconds_since(generating), args.repeat);

  if (!args.write.empty()) {
    std::ofstream out(args.write, std::ios::binary);
    for (const auto& l : lines) out << l.text << '\n';
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", args.write.c_str());
      return 1;
    }
  }

  // Masking alone (the part of the parse that is linear in the bytes).
  std::vector<double> mask_seconds;
  std::size_t tokens = 0;
  for (int r = 0; r < args.repeat; ++r) {
    orrery::logs::MaskedLine m;
    tokens = 0;
    const auto start = Clock::now();
    for (const auto& l : lines) {
      orrery::logs::mask_line(l.text, m);
      tokens += m.size();
    }
    mask_seconds.push_back(seconds_since(start));
  }

  // The whole parse, a fresh parser each repeat.
  std::vector<double> parse_seconds;
  std::vector<std::uint32_t> parsed(lines.size());
  std::size_t templates = 0;
  for (int r = 0; r < args.repeat; ++r) {
    orrery::logs::Drain drain;
    const auto start = Clock::now();
    for (std::size_t i = 0; i < lines.size(); ++i) parsed[i] = drain.add(lines[i].text);
    parse_seconds.push_back(seconds_since(start));
    templates = drain.template_count();
  }

  report("masking only", mask_seconds, lines.size(), bytes);
  report("parse (mask + Drain)", parse_seconds, lines.size(), bytes);
  std::vector<int> truth;
  truth.reserve(lines.size());
  std::size_t true_templates = 0;
  for (const auto& f : orrery::test::log_formats()) true_templates += f.templates.size();
  for (const auto& l : lines) truth.push_back(l.truth);
  std::printf("tokens per line %.1f; templates: %zu parsed, %zu true; grouping accuracy %.4f\n",
              static_cast<double>(tokens) / static_cast<double>(lines.size()), templates, true_templates,
              orrery::test::grouping_accuracy(truth, parsed));
  return 0;
}
