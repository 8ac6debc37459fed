// Calibration in the project: the samples a gpt-serve run recorded (each iteration's prefill
// and decode spans with the batch composition it logged beside them, every rank), and the
// fitted cost model a calibrate run keeps in its run folder (calibration.json) for
// simulations to take by that run's id. Runs are named by users, so they are resolved
// through the project's runs/ folder only (an id, a unique id prefix or a run name), never
// as a path.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/cost_fit.hpp"
#include "sim/machine_speed.hpp"

namespace orrery::sim {

struct CalibrationSamples {
  std::string run_id;  // the gpt-serve run, resolved
  std::vector<PrefillSample> prefill;
  std::vector<DecodeSample> decode;
  // Disaggregated runs: each KV transfer's receive span with the bytes it moved
  // (kv_transfer_bytes; absent from colocated runs and older gpt-serves).
  std::vector<KvTransferSample> kv_transfers;
  std::size_t kv_transfers_without_size = 0;  // transfer spans of a gpt-serve from before kv_transfer_bytes
  int series = 0;  // the samples' series are 0 .. series - 1, one per rank, each in time order
  std::vector<double> wake_delays;  // seconds (gpt-serve's wake_delay_s; absent from older runs)
  SpeedProbes speed;  // every rank's speed probes (absent from runs served with the probe off or before it)
};

// Appends more's samples to into, their series numbered after into's.
void append_samples(CalibrationSamples& into, const CalibrationSamples& more);

// The project this worker's run belongs to (<project>/runs/<id>); throws std::runtime_error
// when the worker runs without an agent (calibration reads and writes the project).
std::filesystem::path worker_project_dir();

// Throws std::runtime_error: no such run, a run of another kind, a run that has not
// succeeded, a run.h5 without the per-iteration series (an older gpt-serve).
CalibrationSamples read_gpt_serve_samples(const std::filesystem::path& project, const std::string& run);

// Every rank's speed probe times (seconds) of a gpt-serve run of the project, for speed_of.
// Throws std::runtime_error: no such run, a run of another kind, a run without probes.
SpeedProbes read_speed_probes(const std::filesystem::path& project, const std::string& run);

// Writes <run_dir>/calibration.json (atomically): the fitted coefficients in the kind's
// units, the jitter (quantiles and sequences), the source run and the fit's quality, and the
// fitting runs' machine speed (machine_speed of their probes; none: they had none, not written).
// kv_transfer: the fitted KV transfer cost, or nullopt with kv_not_fitted saying why (written
// as kv_transfer_fitted false and the reason).
void write_calibration(const std::filesystem::path& run_dir, const std::string& source_run, const CostFit& fit,
                       const std::optional<MachineSpeed>& speed, const std::optional<KvTransferFit>& kv_transfer,
                       const std::string& kv_not_fitted);

// The fitted coefficients of a calibrate run of the project, over base (KV sizes, shapes and
// bandwidth stay base's, unless the calibration fitted the KV transfers and keep_kv_cost is
// false: then its fixed cost and bandwidth); the fitting runs' machine speed into speed when
// not null (nullopt for a fit without one); kv_fitted (when not null): whether it fitted them. Throws std::runtime_error: no such run, no calibration.json in
// it, a malformed or negative coefficient.
CostModel read_calibration(const std::filesystem::path& project, const std::string& run, const CostModel& base,
                           std::optional<MachineSpeed>* speed = nullptr, bool keep_kv_cost = false,
                           bool* kv_fitted = nullptr);

}  // namespace orrery::sim
