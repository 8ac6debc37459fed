// decode() against bytes nobody built on purpose (core/telemetry/wire.hpp): random
// frames, mutations, every truncation and byte flip of a valid frame, size and nesting
// limits, and declared array lengths far beyond the bytes present (bounded allocation).

#include "test_support.hpp"
#include "wire_test_support.hpp"
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace orrery::wire_test;

// ---------------------------------------------------------------------------
// Random and mutated frames, limits

TEST(WireReject, RandomBytes) {
  std::mt19937_64 rng(20261125);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(1, 600);
  for (int i = 0; i < 4000; ++i) {
    std::string buf(length(rng), '\0');
    for (auto& c : buf) c = static_cast<char>(byte(rng));
    // Half of them start like a map, so the parser gets past the first byte.
    if (i % 2) buf[0] = static_cast<char>(0x80 | (byte(rng) & 0x0f));
    std::string why;
    auto out = decode_str(buf, &why);
    if (out) {
      expect_well_formed(*out);
    } else {
      EXPECT_FALSE(why.empty());
    }
  }
}

TEST(WireReject, RandomMutationsOfAValidFrame) {
  const std::string frame = encode(full_batch());
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> pos(0, frame.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 3000; ++i) {
    std::string buf = frame;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) buf[pos(rng)] = static_cast<char>(byte(rng));
    if (rng() % 3 == 0) buf.resize(pos(rng));
    std::string why;
    auto out = decode_str(buf, &why);
    if (out) expect_well_formed(*out);
    else EXPECT_FALSE(why.empty());
  }
}

TEST(WireReject, EveryTruncationOfAValidFrame) {
  const std::string frame = encode(full_batch());
  ASSERT_GT(frame.size(), 100u);
  for (std::size_t n = 0; n < frame.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so ASan catches any read past the end.
    std::vector<char> prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
    std::string why;
    std::optional<Batch> out;
    EXPECT_NO_THROW(out = decode(prefix.data(), prefix.size(), &why));
    EXPECT_FALSE(out) << "prefix of " << n << " bytes was accepted";
    EXPECT_FALSE(why.empty());
  }
  EXPECT_TRUE(decode_str(frame));
}

TEST(WireReject, EverySingleByteFlip) {
  const std::string frame = encode(full_batch());
  std::size_t accepted = 0, rejected = 0;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const auto orig = static_cast<unsigned char>(frame[i]);
    for (unsigned char v : {static_cast<unsigned char>(0x00), static_cast<unsigned char>(0xff),
                            static_cast<unsigned char>(0xc1), static_cast<unsigned char>(0xdd),
                            static_cast<unsigned char>(orig ^ 0x01), static_cast<unsigned char>(orig ^ 0x80)}) {
      if (v == orig) continue;
      std::vector<char> buf(frame.begin(), frame.end());
      buf[i] = static_cast<char>(v);
      std::string why;
      std::optional<Batch> out;
      EXPECT_NO_THROW(out = decode(buf.data(), buf.size(), &why)) << "byte " << i;
      if (out) {
        ++accepted;  // e.g. a flipped bit inside a double: still a well-formed frame
        expect_well_formed(*out);
      } else {
        ++rejected;
        EXPECT_FALSE(why.empty());
      }
    }
  }
  EXPECT_GT(rejected, 0u);
  // The version byte is the second value in the frame: flipping it must always reject.
  const std::string minimal = frame_of({version(), rank()});
  ASSERT_EQ(static_cast<unsigned char>(minimal[2]), 'v');
  std::string bad = minimal;
  bad[3] = '\x02';
  std::string why;
  EXPECT_FALSE(decode_str(bad, &why));
  EXPECT_CONTAINS(why, "version");
}

TEST(WireReject, FrameOverTheSizeLimit) {
  // A valid frame followed by zeros: decode must reject on size before parsing
  // (msgpack alone would read the leading frame and ignore the rest).
  const std::string frame = encode(full_batch());
  std::vector<char> big(kMaxFrameBytes + 1, '\0');
  std::memcpy(big.data(), frame.data(), frame.size());
  std::string why;
  std::optional<Batch> out;
  EXPECT_NO_THROW(out = decode(big.data(), big.size(), &why));
  EXPECT_FALSE(out);
  EXPECT_CONTAINS(why, "larger");
  // At exactly the limit the size check lets it through to the parser.
  why.clear();
  EXPECT_NO_THROW(out = decode(big.data(), kMaxFrameBytes, &why));
  EXPECT_EQ(why.find("larger"), std::string::npos) << why;
}

TEST(WireReject, DeepNesting) {
  for (int depth : {9, 64, 10'000, 1'000'000}) {
    SCOPED_TRACE(depth);
    // {"v":1, "r":0, "zz": [[[[ ... ]]]]} — an unknown key, so only the unpacker's depth limit stops it.
    std::string frame = frame_of({version(), rank()});
    frame[0] = '\x83';
    frame += std::string("\xa2zz", 3);
    frame += std::string(static_cast<std::size_t>(depth), '\x91');
    frame += '\xc0';
    std::string why;
    EXPECT_FALSE(decode_str(frame, &why));
    EXPECT_FALSE(why.empty());
    // Nested maps too.
    std::string maps = frame_of({version(), rank()});
    maps[0] = '\x83';
    maps += std::string("\xa2zz", 3);
    for (int i = 0; i < depth; ++i) maps += std::string("\x81\xa1k", 3);
    maps += '\xc0';
    why.clear();
    EXPECT_FALSE(decode_str(maps, &why));
    EXPECT_FALSE(why.empty());
  }
  // Shallow nesting under an unknown key is fine.
  std::string ok = frame_of({version(), rank()});
  ok[0] = '\x83';
  ok += std::string("\xa2zz\x91\x91\x91\xc0", 7);
  std::string why;
  EXPECT_TRUE(decode_str(ok, &why)) << why;
}

std::string frame_with_huge_arrays(int levels, std::uint32_t declared) {
  // {"v":1, "r":0, "m": [declared x [declared x [ ... ]]]} with no elements present.
  std::string frame = frame_of({version(), rank()});
  frame[0] = '\x83';
  frame += std::string("\xa1m", 2);
  for (int i = 0; i < levels; ++i) {
    frame += '\xdd';
    for (int s = 24; s >= 0; s -= 8) frame += static_cast<char>((declared >> s) & 0xff);
  }
  return frame;
}

TEST(WireReject, HugeDeclaredArrayLengthWithFewBytes) {
  for (std::uint32_t declared : {0xffffffffu, 0x80000000u, 0x01000001u, 0x00ffffffu, 0x00010000u}) {
    for (int levels : {1, 2, 7}) {
      SCOPED_TRACE(std::to_string(declared) + " x " + std::to_string(levels));
      std::string why;
      EXPECT_FALSE(decode_str(frame_with_huge_arrays(levels, declared), &why));
      EXPECT_FALSE(why.empty());
    }
  }
  // Same for spans/events/logs lists and a metric column.
  for (const char* key : {"s", "e", "l"}) {
    std::string frame = frame_of({version(), rank()});
    frame[0] = '\x83';
    frame += '\xa1';
    frame += key;
    frame += std::string("\xdd\x00\xff\xff\xff", 5);
    std::string why;
    EXPECT_FALSE(decode_str(frame, &why)) << key;
  }
}

#ifndef ORRERY_TEST_ASAN
// A tiny frame must not make the decoder allocate hundreds of megabytes: run the
// hostile frames in a child whose address space is capped a little above what it
// already uses; an allocation failure would surface as a bad_alloc reason.
TEST(WireReject, HugeDeclaredArraysDoNotAllocateInProportion) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string report;
    long vm_kb = 0;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmSize:", 0) == 0) vm_kb = std::stol(line.substr(7));
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(vm_kb) * 1024 + (256u << 20);
    if (vm_kb == 0 || setrlimit(RLIMIT_AS, &lim) != 0) {
      report = "setup failed";
    } else {
      for (int levels : {1, 2, 7}) {
        std::string frame = frame_with_huge_arrays(levels, 0x00ffffffu);
        std::string why;
        auto out = decode(frame.data(), frame.size(), &why);
        if (out) report += "accepted;";
        else if (why.find("alloc") != std::string::npos) report += std::to_string(levels) + " levels: " + why + ";";
      }
    }
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(report, "") << "decode of a ~50-byte frame exhausted a 256 MiB allowance";
}
#endif

}  // namespace
