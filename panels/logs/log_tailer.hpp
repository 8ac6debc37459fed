// Follows the rank logs of one run (runs/<id>/logs/rank-N.log, written by the
// agent) on a worker thread: every 200 ms it compares file sizes and reads only
// the bytes appended since, so a growing log costs nothing while it is idle.
// A file that appears later is picked up; a file that shrinks was truncated or
// replaced and is read again from its start.
//
// Log lines are untrusted program output: invalid UTF-8 becomes U+FFFD, control
// characters become U+FFFD, and a line is cut at kMaxLineChars (bytes past the
// cut are skipped up to the next newline without being kept in memory).
#pragma once

#include <map>

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>

#include "runfiles/project.hpp"

class QTimer;

namespace orrery::panels {

class LogTailer : public QObject {
  Q_OBJECT
 public:
  static constexpr int kPollMs = 200;
  static constexpr int kMaxLineChars = 4096;
  // A log already larger than this when first seen is read from its last part only.
  static constexpr qint64 kInitialTailBytes = 8 * 1024 * 1024;
  // At most this much is read from one file per poll, so a burst is delivered in slices.
  static constexpr qint64 kMaxReadPerPoll = 4 * 1024 * 1024;

  explicit LogTailer(QObject* parent = nullptr);

  // Starts following a run's logs (stops following the previous one). Runs on
  // the tailer's thread; `generation` tags every signal so that the receiver
  // can ignore lines of a run it no longer shows.
  void follow(quint64 generation, const runfiles::Project& project, const QString& runId);
  void stop();

 signals:
  void linesRead(quint64 generation, int rank, const QStringList& lines);
  void fileRestarted(quint64 generation, int rank);               // truncated or replaced
  void bytesSkipped(quint64 generation, int rank, qint64 bytes);  // the head of a huge log, not read
  void failed(quint64 generation, const QString& message);

 private:
  struct FileState {
    qint64 offset = 0;
    QByteArray partial;        // bytes after the last newline
    bool discarding = false;   // inside an over-long line, past its cut
    bool seen = false;
  };
  void poll();
  void read_file(int rank, const QString& path, FileState& state);
  QStringList take_lines(FileState& state, const QByteArray& chunk);

  QTimer* timer_ = nullptr;
  QString logs_dir_;
  quint64 generation_ = 0;
  std::map<int, FileState> files_;
};

// One raw log line as safe text: valid UTF-16, no control characters, at most
// kMaxLineChars characters (with a note of how much was cut).
QString sanitize_log_line(const QByteArray& bytes, bool cut_already = false);

}  // namespace orrery::panels
