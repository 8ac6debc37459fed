#include "checkpoints/tensor_table_model.hpp"

#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <climits>
#include <cmath>

namespace orrery::panels {

namespace {
int clamp_int(std::uint64_t n) { return static_cast<int>(std::min<std::uint64_t>(n, INT_MAX)); }
}  // namespace

TensorTableModel::TensorTableModel(std::shared_ptr<const h5inspect::TensorFile> file, h5inspect::TensorInfo tensor,
                                   h5inspect::SliceSpec slice, QObject* parent)
    : QAbstractTableModel(parent), file_(std::move(file)), tensor_(std::move(tensor)), slice_(std::move(slice)) {
  pool_.setMaxThreadCount(1);
  const auto& shape = tensor_.shape;
  auto extent = [&](int d) { return d >= 0 && d < static_cast<int>(shape.size()) ? shape[static_cast<std::size_t>(d)] : 1; };
  if (shape.empty()) {
    rows_ = cols_ = 0;   // a scalar: shown in the tree, not as a table
  } else {
    rows_ = clamp_int(extent(slice_.row_dim));
    cols_ = shape.size() == 1 ? 1 : clamp_int(extent(slice_.col_dim));
    if (shape.size() == 1) slice_.col_dim = -1;
  }
}

TensorTableModel::~TensorTableModel() {
  pool_.clear();
  pool_.waitForDone();   // at most one tile read
}

int TensorTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }
int TensorTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : cols_; }

QVariant TensorTableModel::headerData(int section, Qt::Orientation, int role) const {
  if (role != Qt::DisplayRole) return {};
  return section;
}

QVariant TensorTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::UserRole)) return {};
  const int tr = index.row() / kTile, tc = index.column() / kTile;
  auto it = tiles_.find(key(tr, tc));
  if (it == tiles_.end()) {
    request(tr, tc);
    return {};
  }
  it->used = ++clock_;
  const double v = it->values[static_cast<std::size_t>((index.row() % kTile) * it->cols + index.column() % kTile)];
  if (role == Qt::UserRole) return v;
  return QString::number(v, 'g', role == Qt::ToolTipRole ? 17 : 7);
}

void TensorTableModel::request(int tr, int tc) const {
  const quint64 k = key(tr, tc);
  if (pending_.contains(k)) return;
  pending_.insert(k);
  h5inspect::SliceSpec s = slice_;
  s.row0 = static_cast<std::uint64_t>(tr) * kTile;
  s.rows = static_cast<std::uint64_t>(std::min(kTile, rows_ - tr * kTile));
  s.col0 = static_cast<std::uint64_t>(tc) * kTile;
  s.cols = static_cast<std::uint64_t>(std::min(kTile, cols_ - tc * kTile));
  s.row_step = s.col_step = 1;
  auto* self = const_cast<TensorTableModel*>(this);
  // The pool is this model's: its destructor waits, so `self` is alive when the read ends.
  (void)QtConcurrent::run(&pool_, [self, file = file_, tensor = tensor_, s, tr, tc] {
    std::vector<double> values;
    QString error;
    try {
      values = file->read_slice(tensor, s);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        self, [self, tr, tc, values = std::move(values), cols = static_cast<int>(s.cols), error]() mutable {
          self->store(tr, tc, std::move(values), cols, error);
        },
        Qt::QueuedConnection);
  });
}

void TensorTableModel::store(int tr, int tc, std::vector<double> values, int cols, const QString& error) {
  pending_.remove(key(tr, tc));
  if (!error.isEmpty()) {
    error_ = error;   // shown by the browser; the cells stay empty
    return;
  }
  if (tiles_.size() >= kMaxTiles) {
    auto oldest = std::min_element(tiles_.begin(), tiles_.end(),
                                   [](const Tile& a, const Tile& b) { return a.used < b.used; });
    tiles_.erase(oldest);
  }
  tiles_.insert(key(tr, tc), Tile{std::move(values), cols, ++clock_});
  ++tiles_read_;
  const int r0 = tr * kTile, c0 = tc * kTile;
  emit dataChanged(index(r0, c0), index(std::min(rows_, r0 + kTile) - 1, std::min(cols_, c0 + kTile) - 1));
  emit tileLoaded(tr, tc);
}

}  // namespace orrery::panels
