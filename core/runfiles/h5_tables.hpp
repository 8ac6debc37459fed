// The tables of run.h5 as the writer keeps them (internal to core/runfiles): the
// in-memory row structs, their HDF5 compound types (memory and file), and one
// extendible dataset with the rows waiting for it. Layout: FORMAT_H5.md.
#pragma once

#include "runfiles/h5_util.hpp"
#include "runfiles/run_h5_writer.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::runfiles::h5 {

// In-memory rows. The file types are the same members packed without padding
// (FORMAT_H5.md); HDF5 converts by member name where the two differ.
struct SeriesRow {
  std::int64_t step;
  double time;
  double value;
};
struct ReducedRow {
  std::int64_t step;
  double time;
  double mean;
  double min;
  double max;
  std::int32_t count;
};
struct SpanRow {
  double start;
  double end;
  std::int64_t step;
  char kind[kSpanKindBytes];
  char name[kSpanNameBytes];
};
struct EventRow {
  double time;
  std::int32_t rank;
  std::int64_t step;
  char kind[kEventKindBytes];
  char text[kEventTextBytes];
};

enum class Scalar { I32, I64, F64, Str };
struct Member {
  const char* name;
  std::size_t offset;
  Scalar scalar;
  std::size_t bytes;  // Str only
};

// Each table's members as FORMAT_H5.md names them: the writer builds its types from
// these, and the reader matches a file's types against them by name.
inline constexpr Member kSeriesMembers[] = {{"step", offsetof(SeriesRow, step), Scalar::I64, 0},
                                            {"time", offsetof(SeriesRow, time), Scalar::F64, 0},
                                            {"value", offsetof(SeriesRow, value), Scalar::F64, 0}};
inline constexpr Member kReducedMembers[] = {{"step", offsetof(ReducedRow, step), Scalar::I64, 0},
                                             {"time", offsetof(ReducedRow, time), Scalar::F64, 0},
                                             {"mean", offsetof(ReducedRow, mean), Scalar::F64, 0},
                                             {"min", offsetof(ReducedRow, min), Scalar::F64, 0},
                                             {"max", offsetof(ReducedRow, max), Scalar::F64, 0},
                                             {"count", offsetof(ReducedRow, count), Scalar::I32, 0}};
inline constexpr Member kSpanMembers[] = {{"start", offsetof(SpanRow, start), Scalar::F64, 0},
                                          {"end", offsetof(SpanRow, end), Scalar::F64, 0},
                                          {"step", offsetof(SpanRow, step), Scalar::I64, 0},
                                          {"kind", offsetof(SpanRow, kind), Scalar::Str, kSpanKindBytes},
                                          {"name", offsetof(SpanRow, name), Scalar::Str, kSpanNameBytes}};
inline constexpr Member kEventMembers[] = {{"time", offsetof(EventRow, time), Scalar::F64, 0},
                                           {"rank", offsetof(EventRow, rank), Scalar::I32, 0},
                                           {"step", offsetof(EventRow, step), Scalar::I64, 0},
                                           {"kind", offsetof(EventRow, kind), Scalar::Str, kEventKindBytes},
                                           {"text", offsetof(EventRow, text), Scalar::Str, kEventTextBytes}};

Hid string_type(std::size_t bytes);

// for_file: little-endian standard types, packed; otherwise native types at the struct's offsets.
Hid compound_type(std::size_t size, std::span<const Member> members, bool for_file);

// One kind of table: its row types and the range its chunk size is chosen from.
struct RowKind {
  Hid mem;
  Hid file;
  std::size_t row_bytes = 0;
  hsize_t min_chunk_rows = 0;
  hsize_t max_chunk_rows = 0;
};

template <class Row>
RowKind make_kind(std::span<const Member> members, hsize_t min_chunk, hsize_t max_chunk) {
  RowKind k;
  k.mem = compound_type(sizeof(Row), members, false);
  k.file = compound_type(sizeof(Row), members, true);
  k.row_bytes = sizeof(Row);
  k.min_chunk_rows = min_chunk;
  k.max_chunk_rows = max_chunk;
  return k;
}

// Copies text into a fixed NUL-padded field, cut at a UTF-8 character boundary.
void put_fixed(char* field, std::size_t width, std::string_view text);

// Rows waiting for a flush, as bytes. Unlike std::vector<std::byte>, growing does not
// zero-fill: every byte extend() hands out is written by the caller right away (the
// zeroing was ~6% of the agent's CPU under a flood).
class RowBuffer {
 public:
  std::byte* data() { return bytes_.get(); }
  const std::byte* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  // n more bytes at the end, uninitialised.
  std::byte* extend(std::size_t n) {
    if (size_ + n > capacity_) reserve(std::max(capacity_ * 2, size_ + n));
    std::byte* out = bytes_.get() + size_;
    size_ += n;
    return out;
  }
  void clear() { size_ = 0; }
  void release() {
    bytes_.reset();
    size_ = capacity_ = 0;
  }

 private:
  void reserve(std::size_t n) {
    auto fresh = std::make_unique_for_overwrite<std::byte[]>(n);
    if (size_) std::memcpy(fresh.get(), bytes_.get(), size_);
    bytes_ = std::move(fresh);
    capacity_ = n;
  }
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_ = 0, capacity_ = 0;
};

// One extendible dataset and the rows waiting for it. Rows are kept as bytes so one
// non-template type serves every record kind.
struct Table {
  const RowKind* kind = nullptr;
  std::string path;  // absolute HDF5 path
  Hid dset;
  hsize_t rows_in_file = 0;
  hsize_t chunk_rows = 0;  // chosen at creation
  bool created = false;    // exists in the file
  bool dirty = false;      // has pending rows and is listed in Impl::dirty
  RowBuffer pending;

  std::size_t pending_rows() const { return pending.size() / kind->row_bytes; }
  template <class Row>
  Row* grow(std::size_t n) {
    return reinterpret_cast<Row*>(pending.extend(n * sizeof(Row)));
  }
};

// A chunk holds about four times a series' first flush, within the kind's bounds. HDF5
// writes whole chunks, so every flush rewrites the partly filled last chunk: a chunk of
// k flushes' worth costs ~k times the data in writes, and a series' last chunk wastes up
// to a chunk on disk. Smaller chunks cost CPU instead (each new chunk updates the SWMR
// chunk index; one flush's worth cost ~15% more CPU than four in bench/h5_append with
// 2048 series). So a metric sampled once a second gets small chunks (thousands of them
// stay small on disk and cheap to flush), one streaming 100k points/s gets large ones.
hsize_t choose_chunk_rows(const RowKind& kind, std::size_t first_rows);

// The chunk cache only has to keep the partly filled tail chunk between flushes (so a
// flush does not read it back); HDF5's default of 1 MiB per dataset would cost a
// gigabyte with a thousand series.
Hid dataset_access(const Table& t);

}  // namespace orrery::runfiles::h5
