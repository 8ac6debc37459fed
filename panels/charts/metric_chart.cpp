#include "charts/metric_chart.hpp"

#include "charts/crosshair.hpp"
#include "charts/plot_layer.hpp"

#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QValueAxis>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace orrery::panels {

namespace {

QColor run_colour(int run, int rank) {
  static const QColor palette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                   {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
  QColor c = palette[run % 10];
  return rank > 0 ? c.lighter(100 + 25 * (rank % 6)) : c;
}

void set_range(QAbstractAxis* axis, double lo, double hi) {
  if (auto* dt = qobject_cast<QDateTimeAxis*>(axis)) {
    dt->setRange(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::floor(lo))),
                 QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::ceil(hi))));
  } else {
    axis->setRange(lo, hi);
  }
}

}  // namespace

MetricChart::MetricChart(std::shared_ptr<series::SeriesStore> store, const QString& metric, QWidget* parent)
    : QChartView(parent), store_(std::move(store)), metric_(metric) {
  auto* c = new QChart();
  c->setTitle(metric);
  c->legend()->setAlignment(Qt::AlignBottom);
  c->setMargins(QMargins(4, 4, 4, 4));
  setChart(c);
  setRenderHint(QPainter::Antialiasing, false);  // thousands of segments: crisp and fast
  setRubberBand(QChartView::RectangleRubberBand);
  setMouseTracking(true);
  setMinimumSize(320, 220);
  layer_ = new PlotLayer(c, [this](const LineKey& key) { return lineStyle(key); });
  connect(c, &QChart::plotAreaChanged, this, [this] { layer_->plotAreaChanged(); });
  crosshair_ = std::make_unique<Crosshair>(
      c, [this](double x) { return formatX(x); }, [this] { return crosshairLines(); });
  connect(&watcher_, &QFutureWatcher<ReduceResult>::finished, this, &MetricChart::jobFinished);
  repaint_hold_.setSingleShot(true);
  repaint_hold_.setInterval(100);
  connect(&repaint_hold_, &QTimer::timeout, this, &MetricChart::releaseRepaints);
  rebuildAxes();
}

MetricChart::~MetricChart() { watcher_.waitForFinished(); }

void MetricChart::setRuns(const std::vector<ChartRun>& runs) {
  watcher_.waitForFinished();  // the cache is the running job's
  runs_ = runs;
  cache_ = std::make_shared<ReducerCache>();
  hidden_.clear();
  clearLines();
  ++view_serial_;
  requestUpdate();
}

void MetricChart::setOptions(const ChartOptions& options) {
  if (options == options_) return;
  const bool axes_change = options.x_axis != options_.x_axis || options.log_y != options_.log_y;
  if (options.x_axis != options_.x_axis) follow_data_ = true;  // old x range means nothing now
  options_ = options;
  clearLines();  // recreated in drawing order: band, raw, main
  if (axes_change) rebuildAxes();
  ++view_serial_;
  requestUpdate();
}

// --- reduction jobs ---------------------------------------------------------------

ReduceRequest MetricChart::makeRequest() {
  ReduceRequest rq;
  rq.serial = ++serial_;
  rq.store = store_;
  rq.metric = metric_.toStdString();
  rq.runs = runs_;
  rq.options = options_;
  rq.follow_data = follow_data_;
  rq.x_min = x_min_;
  rq.x_max = x_max_;
  const double width = chart()->plotArea().width();
  rq.columns = std::max(1, static_cast<int>(width > 1 ? width : this->width()));
  return rq;
}

void MetricChart::requestUpdate() {
  if (in_flight_) {
    pending_ = true;
    return;
  }
  startJob();
}

void MetricChart::startJob() {
  in_flight_ = true;
  job_view_serial_ = view_serial_;
  watcher_.setFuture(QtConcurrent::run(
      [rq = makeRequest(), cache = cache_] { return reduce_for_view(rq, *cache); }));
}

void MetricChart::jobFinished() {
  in_flight_ = false;
  const ReduceResult result = watcher_.result();
  // A result for a view that has changed since is dropped; one that only misses
  // newer points is drawn (a live run would otherwise starve the chart).
  if (job_view_serial_ == view_serial_ && result.serial > applied_serial_) apply(result);
  if (pending_) {
    pending_ = false;
    startJob();
  }
}

void MetricChart::updateNow() {
  watcher_.waitForFinished();
  apply(reduce_for_view(makeRequest(), *cache_));
}

// --- drawing ----------------------------------------------------------------------

void MetricChart::apply(const ReduceResult& result) {
  applied_serial_ = result.serial;
  applying_ = true;
  // The legend entries (raw lines: hidden ones) in legend order; the layer draws the points.
  for (LineRole role : {LineRole::Raw, LineRole::Main}) {
    for (const auto& entry : result.lines) {
      if (entry.first.role == role) lineFor(entry.first);
    }
  }
  removeStaleLines(result);
  layer_->setLines(result.lines);

  double lo = result.x_min, hi = result.x_max;
  if (!(hi > lo)) {
    const double pad = options_.x_axis == XAxisKind::WallTime ? 500.0 : 0.5;
    lo -= pad;
    hi += pad;
  }
  set_range(x_axis_, lo, hi);
  x_min_ = result.x_min;
  x_max_ = result.x_max;
  if (follow_data_) {
    double y_lo = result.y_min, y_hi = result.y_max;
    if (options_.log_y) {
      if (!(y_lo > 0)) y_lo = 1, y_hi = 10;
      set_range(y_axis_, y_lo / 1.25, y_hi * 1.25);
    } else {
      const double pad = y_hi > y_lo ? (y_hi - y_lo) * 0.05 : std::max(std::abs(y_hi) * 0.05, 1e-9);
      set_range(y_axis_, y_lo - pad, y_hi + pad);
    }
  }
  applying_ = false;
  releaseRepaints();
  emit updated();
}

// A view change would repaint the chart twice: at once, the old points under the new
// axes (a wrong frame, painted on the UI thread while the reduction runs: the result
// then waits for it), and again when the new points arrive. Repaints wait for the
// points instead, at most 100 ms, so a slow reduction still shows the axes move.
void MetricChart::holdRepaints() {
  if (!repaint_hold_.isActive() && updatesEnabled()) setUpdatesEnabled(false);
  repaint_hold_.start();
}

void MetricChart::releaseRepaints() {
  repaint_hold_.stop();
  if (!updatesEnabled()) setUpdatesEnabled(true);   // repaints the whole chart
}

QLineSeries* MetricChart::lineFor(const LineKey& key) {
  if (auto it = lines_.find(key); it != lines_.end()) return it->second;
  auto* s = new QLineSeries(this);
  const QString label = runs_[static_cast<std::size_t>(key.run)].label;
  s->setName(key.rank < 0 ? label : QStringLiteral("%1 · rank %2").arg(label).arg(key.rank));
  QColor colour = run_colour(key.run, key.rank);
  if (key.role == LineRole::Raw) colour.setAlpha(70);
  // Width 1: the raster engine draws it with its fast line stroker, not the general one.
  s->setPen(QPen(colour, 1.0));
  chart()->addSeries(s);
  s->attachAxis(x_axis_);
  s->attachAxis(y_axis_);
  for (QLegendMarker* m : chart()->legend()->markers(s)) {
    m->setVisible(key.role == LineRole::Main);
    connect(m, &QLegendMarker::clicked, this, [this, key] {
      setRunVisible(key.run, key.rank, hidden_.count({key.run, key.rank}) != 0);
    });
  }
  if (hidden_.count({key.run, key.rank})) s->setVisible(false);
  lines_[key] = s;
  return s;
}

void MetricChart::removeStaleLines(const ReduceResult& result) {
  for (auto it = lines_.begin(); it != lines_.end();) {
    if (!result.lines.count(it->first)) {
      chart()->removeSeries(it->second);
      delete it->second;
      it = lines_.erase(it);
    } else {
      ++it;
    }
  }
}

void MetricChart::clearLines() {
  for (auto& [key, s] : lines_) {
    chart()->removeSeries(s);
    delete s;
  }
  lines_.clear();
  layer_->setLines({});
  crosshair_->hide();
}

void MetricChart::setRunVisible(int run, int rank, bool visible) {
  if (visible) hidden_.erase({run, rank});
  else hidden_.insert({run, rank});
  for (auto& [key, s] : lines_) {
    if (key.run != run || key.rank != rank) continue;
    s->setVisible(visible);
    for (QLegendMarker* m : chart()->legend()->markers(s)) {
      m->setVisible(key.role == LineRole::Main);  // a hidden line keeps its marker, greyed
      QColor text = m->labelBrush().color();
      text.setAlphaF(visible ? 1.0 : 0.4);
      m->setLabelBrush(text);
    }
  }
  layer_->update();  // the band of a run is shown with its line
}

PlotLayer::Style MetricChart::lineStyle(const LineKey& key) const {
  if (key.role == LineRole::BandLow || key.role == LineRole::BandHigh) {
    QColor colour = run_colour(key.run, 0);
    colour.setAlpha(55);
    return {colour, isLineShown(key.run, -1)};
  }
  QLineSeries* s = line(key);
  if (!s) return {run_colour(key.run, key.rank), isLineShown(key.run, key.rank)};
  return {s->pen().color(), s->isVisible()};
}

std::vector<Crosshair::Line> MetricChart::crosshairLines() const {
  std::vector<Crosshair::Line> out;
  for (const auto& [key, points] : layer_->lines()) {
    QLineSeries* s = line(key);
    if (key.role != LineRole::Main || !s || !s->isVisible() || points.isEmpty()) continue;
    out.push_back({s->name(), &points});
  }
  return out;
}

bool MetricChart::isLineShown(int run, int rank) const { return hidden_.count({run, rank}) == 0; }

void MetricChart::rebuildAxes() {
  applying_ = true;
  for (QAbstractAxis* a : chart()->axes()) {
    chart()->removeAxis(a);
    delete a;
  }
  if (options_.x_axis == XAxisKind::WallTime) {
    auto* x = new QDateTimeAxis(this);
    x->setFormat(QStringLiteral("HH:mm:ss"));
    x->setTitleText(tr("wall time"));
    connect(x, &QDateTimeAxis::rangeChanged, this, &MetricChart::onUserRangeChange);
    connect(x, &QDateTimeAxis::rangeChanged, this, [this] { layer_->update(); });
    x_axis_ = x;
  } else {
    auto* x = new QValueAxis(this);
    x->setLabelFormat(QStringLiteral("%g"));
    x->setTitleText(options_.x_axis == XAxisKind::Step ? tr("step") : tr("seconds since start"));
    connect(x, &QValueAxis::rangeChanged, this, &MetricChart::onUserRangeChange);
    connect(x, &QValueAxis::rangeChanged, this, [this] { layer_->update(); });
    x_axis_ = x;
  }
  if (options_.log_y) {
    auto* y = new QLogValueAxis(this);
    y->setLabelFormat(QStringLiteral("%g"));
    y->setMinorTickCount(-1);
    connect(y, &QLogValueAxis::rangeChanged, this, [this] { layer_->update(); });
    y_axis_ = y;
  } else {
    auto* y = new QValueAxis(this);
    y->setLabelFormat(QStringLiteral("%g"));
    connect(y, &QValueAxis::rangeChanged, this, [this] { layer_->update(); });
    y_axis_ = y;
  }
  chart()->addAxis(x_axis_, Qt::AlignBottom);
  chart()->addAxis(y_axis_, Qt::AlignLeft);
  for (auto& [key, s] : lines_) s->attachAxis(x_axis_), s->attachAxis(y_axis_);
  layer_->setAxes(x_axis_, y_axis_);
  applying_ = false;
}

QString MetricChart::formatX(double x) const {
  switch (options_.x_axis) {
    case XAxisKind::Step: return tr("step %1").arg(std::llround(x));
    case XAxisKind::WallTime:
      return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(x)).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    case XAxisKind::RelativeTime: return tr("%1 s").arg(x, 0, 'f', 3);
  }
  return {};
}

// --- view -------------------------------------------------------------------------

void MetricChart::onUserRangeChange() {
  if (applying_) return;
  const auto [lo, hi] = xRange();
  x_min_ = lo;
  x_max_ = hi;
  follow_data_ = false;
  ++view_serial_;
  holdRepaints();
  requestUpdate();
}

std::pair<double, double> MetricChart::xRange() const {
  if (auto* dt = qobject_cast<QDateTimeAxis*>(x_axis_)) {
    return {static_cast<double>(dt->min().toMSecsSinceEpoch()), static_cast<double>(dt->max().toMSecsSinceEpoch())};
  }
  auto* v = qobject_cast<QValueAxis*>(x_axis_);
  return {v->min(), v->max()};
}

void MetricChart::setXRange(double lo, double hi) {
  follow_data_ = false;
  x_min_ = lo;
  x_max_ = hi;
  applying_ = true;
  set_range(x_axis_, lo, hi);
  applying_ = false;
  ++view_serial_;
  holdRepaints();
  requestUpdate();
}

void MetricChart::resetView() {
  follow_data_ = true;
  ++view_serial_;
  requestUpdate();
}

QString MetricChart::crosshairText() const { return crosshair_->text(); }

// --- what is drawn, export ----------------------------------------------------------

QLineSeries* MetricChart::line(const LineKey& key) const {
  auto it = lines_.find(key);
  return it == lines_.end() ? nullptr : it->second;
}

QList<QPointF> MetricChart::linePoints(const LineKey& key) const {
  auto it = layer_->lines().find(key);
  return it == layer_->lines().end() ? QList<QPointF>() : it->second;
}

bool MetricChart::hasLine(const LineKey& key) const { return layer_->lines().count(key) != 0; }

bool MetricChart::hasBand(int run) const { return hasLine({run, -1, LineRole::BandLow}); }

int MetricChart::drawnPointCount() const {
  qsizetype n = 0;
  for (const auto& [key, points] : layer_->lines()) n += points.size();
  return static_cast<int>(n);
}

}  // namespace orrery::panels
