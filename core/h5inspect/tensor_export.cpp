#include "h5inspect/tensor_export.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace orrery::h5inspect {

static_assert(std::endian::native == std::endian::little, ".npy descriptors below are written little-endian");

namespace {

std::string npy_descr(NativeType t) {
  switch (t) {
    case NativeType::F32: return "<f4";
    case NativeType::F64: return "<f8";
    case NativeType::I8: return "|i1";
    case NativeType::I16: return "<i2";
    case NativeType::I32: return "<i4";
    case NativeType::I64: return "<i8";
    case NativeType::U8: return "|u1";
    case NativeType::U16: return "<u2";
    case NativeType::U32: return "<u4";
    case NativeType::U64: return "<u8";
  }
  return "<f8";
}

// Writes to `out`.partial and renames it over `out` once complete; removes it otherwise.
class AtomicOutput {
 public:
  explicit AtomicOutput(const std::filesystem::path& out) : out_(out), tmp_(out.string() + ".partial") {
    stream_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!stream_) throw RunFileError("cannot write '" + tmp_.string() + "': " + std::strerror(errno));
  }
  ~AtomicOutput() {
    if (!committed_) {
      stream_.close();
      std::error_code ignored;
      std::filesystem::remove(tmp_, ignored);
    }
  }
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  std::ofstream& stream() { return stream_; }
  void commit() {
    stream_.close();
    if (!stream_) throw RunFileError("cannot write '" + tmp_.string() + "' (disk full?)");
    std::error_code ec;
    std::filesystem::rename(tmp_, out_, ec);
    if (ec) throw RunFileError("cannot rename '" + tmp_.string() + "' to '" + out_.string() + "': " + ec.message());
    committed_ = true;
  }

 private:
  std::filesystem::path out_, tmp_;
  std::ofstream stream_;
  bool committed_ = false;
};

void require_numeric(const TensorInfo& t) {
  if (!t.numeric()) throw RunFileError("dataset " + t.path + " holds " + t.dtype + " values, not numbers");
}

// Calls write(bytes, elements) for each block of t converted to `type`.
template <typename Write>
void stream_blocks(const TensorFile& file, const TensorInfo& t, NativeType type, const Progress& progress,
                   const std::atomic<bool>* cancel, Write&& write) {
  const std::uint64_t step = rows_per_block(t);
  std::vector<unsigned char> block;
  for (std::uint64_t row = 0; row < t.rows(); row += step) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
    const std::uint64_t n = std::min(step, t.rows() - row);
    const std::uint64_t elements = n * t.row_elements();
    block.resize(elements * native_size(type));
    file.read_rows(t, row, n, type, block.data());
    write(block.data(), elements);
    if (progress) progress(elements);
  }
}

template <typename T>
void append_csv_value(std::string& line, T value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) throw RunFileError("cannot format a value");
  line.append(buf, end);
}

template <typename T>
void write_csv_values(std::ofstream& out, const T* v, std::uint64_t n, std::uint64_t per_line, std::uint64_t& col) {
  std::string text;
  for (std::uint64_t i = 0; i < n; ++i) {
    append_csv_value(text, v[i]);
    if (++col == per_line) {
      text += '\n';
      col = 0;
    } else {
      text += ',';
    }
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

std::string npy_header(const TensorInfo& t) {
  std::string shape = "(";
  for (std::size_t i = 0; i < t.shape.size(); ++i) shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : i + 1 < t.shape.size() ? ", " : "");
  shape += ")";
  std::string dict = "{'descr': '" + npy_descr(t.natural_type()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t preamble = 10;   // magic (6) + version (2) + header length (2)
  std::size_t total = preamble + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  if (dict.size() > 65535) throw RunFileError("dataset " + t.path + " has too many dimensions for .npy 1.0");
  std::string h = "\x93NUMPY";
  h += '\x01';
  h += '\x00';
  h += static_cast<char>(dict.size() & 0xff);
  h += static_cast<char>(dict.size() >> 8);
  return h + dict;
}

void export_npy(const TensorFile& file, const TensorInfo& t, const std::filesystem::path& out,
                const Progress& progress, const std::atomic<bool>* cancel) {
  require_numeric(t);
  AtomicOutput output(out);
  const std::string header = npy_header(t);
  output.stream().write(header.data(), static_cast<std::streamsize>(header.size()));
  const NativeType type = t.natural_type();
  stream_blocks(file, t, type, progress, cancel, [&](const unsigned char* bytes, std::uint64_t n) {
    output.stream().write(reinterpret_cast<const char*>(bytes), static_cast<std::streamsize>(n * native_size(type)));
  });
  output.commit();
}

void export_csv(const TensorFile& file, const TensorInfo& t, const std::filesystem::path& out,
                const Progress& progress, const std::atomic<bool>* cancel) {
  require_numeric(t);
  AtomicOutput output(out);
  const std::uint64_t per_line = t.shape.size() <= 1 ? 1 : std::max<std::uint64_t>(1, t.shape.back());
  const NativeType type = t.natural_type();
  std::uint64_t col = 0;
  stream_blocks(file, t, type, progress, cancel, [&](const unsigned char* bytes, std::uint64_t n) {
    auto& s = output.stream();
    switch (type) {
      case NativeType::F32: write_csv_values(s, reinterpret_cast<const float*>(bytes), n, per_line, col); break;
      case NativeType::F64: write_csv_values(s, reinterpret_cast<const double*>(bytes), n, per_line, col); break;
      case NativeType::I8: write_csv_values(s, reinterpret_cast<const std::int8_t*>(bytes), n, per_line, col); break;
      case NativeType::I16: write_csv_values(s, reinterpret_cast<const std::int16_t*>(bytes), n, per_line, col); break;
      case NativeType::I32: write_csv_values(s, reinterpret_cast<const std::int32_t*>(bytes), n, per_line, col); break;
      case NativeType::I64: write_csv_values(s, reinterpret_cast<const std::int64_t*>(bytes), n, per_line, col); break;
      case NativeType::U8: write_csv_values(s, reinterpret_cast<const std::uint8_t*>(bytes), n, per_line, col); break;
      case NativeType::U16: write_csv_values(s, reinterpret_cast<const std::uint16_t*>(bytes), n, per_line, col); break;
      case NativeType::U32: write_csv_values(s, reinterpret_cast<const std::uint32_t*>(bytes), n, per_line, col); break;
      case NativeType::U64: write_csv_values(s, reinterpret_cast<const std::uint64_t*>(bytes), n, per_line, col); break;
    }
  });
  output.commit();
}

}  // namespace orrery::h5inspect
