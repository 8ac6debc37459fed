#include "logs/log_tailer.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTimer>

#include <exception>

namespace orrery::panels {

namespace {

// Bytes of one line kept before decoding: enough for kMaxLineChars characters of 4-byte UTF-8.
constexpr qsizetype kMaxLineBytes = qsizetype{LogTailer::kMaxLineChars} * 4;

const QString kCutNote = QStringLiteral(" … [line cut at %1 characters]");

}  // namespace

QString sanitize_log_line(const QByteArray& bytes, bool cut_already) {
  QByteArray raw = bytes;
  if (raw.endsWith('\r')) raw.chop(1);
  bool cut = cut_already;
  if (raw.size() > kMaxLineBytes) {
    raw.truncate(kMaxLineBytes);
    cut = true;
  }
  QString text = QString::fromUtf8(raw);   // invalid sequences become U+FFFD
  for (QChar& c : text) {
    const char16_t u = c.unicode();
    if ((u < 0x20 && u != '\t') || u == 0x7f) c = QChar(QChar::ReplacementCharacter);
  }
  if (text.size() > LogTailer::kMaxLineChars) {
    text.truncate(LogTailer::kMaxLineChars);
    cut = true;
  }
  if (cut) text += kCutNote.arg(LogTailer::kMaxLineChars);
  return text;
}

LogTailer::LogTailer(QObject* parent) : QObject(parent) {}

void LogTailer::follow(quint64 generation, const runfiles::Project& project, const QString& runId) {
  stop();
  generation_ = generation;
  try {
    logs_dir_ = QString::fromStdString((runfiles::run_path(project, runId.toStdString()) / "logs").string());
  } catch (const std::exception& e) {
    emit failed(generation, QString::fromStdString(e.what()));
    return;
  }
  if (!timer_) {
    timer_ = new QTimer(this);   // created here, on the tailer's own thread
    timer_->setInterval(kPollMs);
    connect(timer_, &QTimer::timeout, this, &LogTailer::poll);
  }
  timer_->start();
  poll();
}

void LogTailer::stop() {
  if (timer_) timer_->stop();
  files_.clear();
  logs_dir_.clear();
}

void LogTailer::poll() {
  if (logs_dir_.isEmpty()) return;
  static const QRegularExpression kRankLog(QStringLiteral("^rank-(\\d{1,6})\\.log$"));
  const QStringList names = QDir(logs_dir_).entryList({QStringLiteral("rank-*.log")}, QDir::Files);
  for (const auto& name : names) {
    auto m = kRankLog.match(name);
    if (!m.hasMatch()) continue;
    int rank = m.captured(1).toInt();
    read_file(rank, logs_dir_ + '/' + name, files_[rank]);
  }
}

void LogTailer::read_file(int rank, const QString& path, FileState& state) {
  const qint64 size = QFileInfo(path).size();
  if (!state.seen) {
    state.seen = true;
    if (size > kInitialTailBytes) {
      state.offset = size - kInitialTailBytes;
      state.discarding = true;   // the first, partial line is dropped
      emit bytesSkipped(generation_, rank, state.offset);
    }
  }
  if (size < state.offset) {
    state = FileState{};
    state.seen = true;
    emit fileRestarted(generation_, rank);
  }
  if (size == state.offset) return;
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly) || !file.seek(state.offset)) return;   // gone meanwhile: next poll decides
  const QByteArray chunk = file.read(std::min(size - state.offset, kMaxReadPerPoll));
  state.offset += chunk.size();
  QStringList lines = take_lines(state, chunk);
  if (!lines.isEmpty()) emit linesRead(generation_, rank, lines);
}

QStringList LogTailer::take_lines(FileState& state, const QByteArray& chunk) {
  QStringList lines;
  qsizetype start = 0;
  while (start < chunk.size()) {
    qsizetype newline = chunk.indexOf('\n', start);
    qsizetype end = newline < 0 ? chunk.size() : newline;
    if (!state.discarding) {
      state.partial.append(chunk.constData() + start, std::min(end - start, kMaxLineBytes + 1 - state.partial.size()));
      if (state.partial.size() > kMaxLineBytes) {
        // Over-long: emit what fits now and skip the rest of the line.
        lines << sanitize_log_line(state.partial, true);
        state.partial.clear();
        state.discarding = true;
      }
    }
    if (newline < 0) break;
    if (!state.discarding) lines << sanitize_log_line(state.partial);
    state.partial.clear();
    state.discarding = false;
    start = newline + 1;
  }
  return lines;
}

}  // namespace orrery::panels
