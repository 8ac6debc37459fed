// A 2-D slice of a tensor as a table that loads lazily: values are read in 64 x 64
// tiles on one background thread when a view first asks for them (shown empty until
// then), and at most kMaxTiles tiles stay cached, so a 50,000 x 768 embedding scrolls
// without being loaded whole and the UI thread never reads the file.
#pragma once

#include "h5inspect/tensor_file.hpp"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QThreadPool>

#include <memory>
#include <vector>

namespace orrery::panels {

class TensorTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  static constexpr int kTile = 64;
  static constexpr int kMaxTiles = 256;   // 8 MiB of doubles

  // slice: which dimensions are rows and columns and where the others are fixed; its
  // rectangle fields are ignored (the model covers the whole 2-D slice).
  TensorTableModel(std::shared_ptr<const h5inspect::TensorFile> file, h5inspect::TensorInfo tensor,
                   h5inspect::SliceSpec slice, QObject* parent = nullptr);
  ~TensorTableModel() override;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  int cachedTiles() const { return static_cast<int>(tiles_.size()); }
  int tilesRead() const { return tiles_read_; }
  QString lastError() const { return error_; }

 signals:
  void tileLoaded(int tileRow, int tileCol);

 private:
  struct Tile {
    std::vector<double> values;   // rows x cols of the tile, row-major
    int cols = 0;
    quint64 used = 0;             // for evicting the least recently used
  };
  static quint64 key(int tr, int tc) { return (static_cast<quint64>(tr) << 32) | static_cast<quint32>(tc); }
  void request(int tr, int tc) const;
  void store(int tr, int tc, std::vector<double> values, int cols, const QString& error);

  std::shared_ptr<const h5inspect::TensorFile> file_;
  h5inspect::TensorInfo tensor_;
  h5inspect::SliceSpec slice_;
  int rows_ = 0, cols_ = 0;
  mutable QHash<quint64, Tile> tiles_;
  mutable QSet<quint64> pending_;
  mutable quint64 clock_ = 0;
  int tiles_read_ = 0;
  QString error_;
  mutable QThreadPool pool_;      // one thread: tiles are read in the order asked
};

}  // namespace orrery::panels
