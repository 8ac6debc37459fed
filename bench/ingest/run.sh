#!/usr/bin/env bash
# End-to-end telemetry ingest through the real orrery-agent, against plain h5py.
#
#   bench/ingest/run.sh [POINTS_PER_RANK]        (default 10000000)
#
# For 2 ranks and for 16 oversubscribed ranks (16-rank runs log the same total number
# of points: POINTS_PER_RANK*2/16 each), it launches bench_flood_worker as a `command`
# job with `orrery run` (agent, mpirun, orrery-rank, runtime, ZeroMQ, run.h5: the whole
# path), then counts the points stored in run.h5 with h5py and divides by the run's
# wall time from run.json (ended - started: it includes mpirun's start and the
# agent's final drain, flush and close).
#   1. unpaced: every worker logs as fast as it can;
#   2. paced sweep: the workers log at a target aggregate rate (PACE=spin: busy-wait in
#      the worker, the default; PACE=sleep), rising through RATES until a rate drops
#      points or loses them.
# A run counts only if nothing was dropped (run.json "dropped", the workers' own
# orrery::stats()) and every point logged is in run.h5. The figure is the best such
# run. Then h5py_append.py writes the same points in the same layout, in the batch
# size the agent writes per series and flush, and the ratio Orrery/h5py is printed,
# with the agent's own one-core capacity (bench_agent_ingest) for reference.
#
# Environment: BUILD (default <repo>/build-bench), RANKS ("2 16"), RATES (aggregate
# points/s, default "1500000 2000000 2500000 3000000 3500000 4000000 5000000 6000000 8000000 10000000"),
# PACE (spin: busy-wait between blocks of 64 points, the default; sleep: sleep when ahead),
# KEEP=1 keeps the run directories (under $TMPDIR).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
BIN=$BUILD/bin
POINTS=${1:-10000000}
RANKS_LIST=${RANKS:-"2 16"}
RATES=${RATES:-"1500000 2000000 2500000 3000000 3500000 4000000 5000000 6000000 8000000 10000000"}
METRICS=4
PACE=${PACE:-spin}
FLUSH_S=0.5   # orrery-agent's default flush interval: the h5py baseline writes batches of the same size
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

for exe in orrery orrery-agent orrery-rank bench_flood_worker; do
  if [[ ! -x $BIN/$exe ]]; then
    echo "missing $BIN/$exe; build with: ninja -C $BUILD orrery orrery-agent orrery-rank bench_flood_worker" >&2
    exit 2
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/orrery-ingest.XXXXXX")
if [[ ${KEEP:-0} != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "keeping $WORK"; fi
PROJECT=$WORK/project
mkdir -p "$PROJECT"
echo '{"name":"bench","targets":{"local":{"type":"local"}}}' >"$PROJECT/orrery.json"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"

echo "machine: $(nproc) cores, $(uname -r); pacing: $PACE; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# run_flood RANKS POINTS_PER_RANK AGGREGATE_RATE LABEL
run_flood() {
  local ranks=$1 per_rank=$2 agg_rate=$3 label=$4
  local rate=0
  if [[ $agg_rate != 0 ]]; then rate=$((agg_rate / ranks)); fi
  local spec=$WORK/spec.json
  cat >"$spec" <<JSON
{"kind":"command","name":"flood-$ranks-$label","ranks":$ranks,
 "params":{"argv":["$BIN/bench_flood_worker","--points","$per_rank","--metrics","$METRICS","--rate","$rate","--pace","$PACE"]}}
JSON
  local out rc=0
  out=$("$BIN/orrery" -p "$PROJECT" run "$spec" --quiet 2>&1) || rc=$?
  local run_dir
  run_dir=$(sed -n 's/^  files: //p' <<<"$out" | head -1)
  if [[ -z $run_dir || ! -f $run_dir/run.json ]]; then
    echo "orrery run failed (exit $rc):" >&2
    echo "$out" >&2
    return 1
  fi
  local summary
  summary=$($PY "$HERE/analyze_run.py" "$run_dir")
  $PY - "$summary" "$ranks" "$per_rank" "$agg_rate" "$label" "$rc" >>"$RESULTS" <<'PYEOF'
import json, sys
s = json.loads(sys.argv[1])
s.update(kind="orrery", ranks=int(sys.argv[2]), per_rank=int(sys.argv[3]), target=int(sys.argv[4]),
         label=sys.argv[5], exit=int(sys.argv[6]))
s["expected"] = s["ranks"] * s["per_rank"]
s["ok"] = (s["exit"] == 0 and s["dropped_run_json"] == 0 and s["dropped_workers"] == 0
           and s["stored"] == s["expected"] and s["workers_reporting"] == s["ranks"])
print(json.dumps(s))
PYEOF
  tail -1 "$RESULTS" | $PY -c '
import json, sys
s = json.loads(sys.stdin.read())
tgt = "max" if s["target"] == 0 else "%.2fM/s" % (s["target"] / 1e6)
print("  %2d ranks  target %-8s stored %10d/%-10d dropped %-9d run %6.2f s (logging %5.2f s)  -> %5.2f Mpoints/s end-to-end"
      "  (workers log at %5.2f M/s)%s"
      % (s["ranks"], tgt, s["stored"], s["expected"], max(s["dropped_run_json"], s["dropped_workers"]), s["seconds"],
         s["ingest_window"], s["points_per_s"] / 1e6, s["worker_points_per_s"] / 1e6, "" if s["ok"] else "   NOT COUNTED"))'
  if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$run_dir"; fi
  tail -1 "$RESULTS" | $PY -c 'import json,sys; sys.exit(0 if json.loads(sys.stdin.read())["ok"] else 3)'
}

for ranks in $RANKS_LIST; do
  per_rank=$((POINTS * 2 / ranks / METRICS * METRICS))
  echo "== $ranks ranks x $per_rank points ($((ranks * per_rank)) points, $METRICS metric names per rank)"
  run_flood "$ranks" "$per_rank" 0 max || true
  for agg in $RATES; do
    run_flood "$ranks" "$per_rank" "$agg" "r$agg" || break
  done
  echo
done

# The h5py baseline for each rank count: the same points, in the batch size the agent
# wrote per series and flush at the best zero-drop rate.
for ranks in $RANKS_LIST; do
  per_rank=$((POINTS * 2 / ranks / METRICS * METRICS))
  batch=$($PY - "$RESULTS" "$ranks" "$FLUSH_S" "$METRICS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ranks, flush_s, metrics = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
ok = [r for r in rows if r["kind"] == "orrery" and r["ranks"] == ranks and r["ok"]]
rate = max((r["points_per_s"] for r in ok), default=2e6)
print(int(min(max(rate * flush_s / (ranks * metrics), 1000), 1 << 20)))
PYEOF
)
  h5=$WORK/h5py-$ranks.h5
  $PY "$HERE/h5py_append.py" "$h5" "$ranks" "$METRICS" "$per_rank" "$batch" |
    $PY -c 'import json,sys; s=json.loads(sys.stdin.read()); s.update(kind="h5py", ranks=int(sys.argv[1])); print(json.dumps(s))' "$ranks" >>"$RESULTS"
  rm -f "$h5"
done

# The agent's own capacity, for reference: decode + ingest + run.h5 writes of the same
# points on one thread, CPU time (bench_agent_ingest; no processes, sockets or pacing).
if [[ -x $BIN/bench_agent_ingest ]]; then
  for ranks in $RANKS_LIST; do
    "$BIN/bench_agent_ingest" --ranks "$ranks" --metrics "$METRICS" --points $((POINTS * 2)) |
      $PY -c '
import json, re, sys
text = sys.stdin.read()
m = re.search(r"total\s+([0-9.]+) ns/point\s+CPU = ([0-9.]+) Mpoints/s", text)
print(json.dumps({"kind": "agent", "ranks": int(sys.argv[1]), "ns_per_point": float(m.group(1)),
                  "points_per_s": float(m.group(2)) * 1e6}))' "$ranks" >>"$RESULTS"
  done
fi

$PY - "$RESULTS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("Summary (figure = best end-to-end rate among runs with 0 dropped and every point stored)")
print("%-6s %10s %10s %11s %8s %17s %12s %11s %18s" % ("ranks", "points", "target/s", "Orrery M/s", "dropped",
                                                        "h5py M/s (batch)", "Orrery/h5py", "meets 2M/s", "agent, 1 core M/s"))
for ranks in sorted({r["ranks"] for r in rows}):
    ok = [r for r in rows if r["kind"] == "orrery" and r["ranks"] == ranks and r["ok"]]
    h5 = next((r for r in rows if r["kind"] == "h5py" and r["ranks"] == ranks), None)
    agent = next((r for r in rows if r["kind"] == "agent" and r["ranks"] == ranks), None)
    agent_s = "%.2f (%.0f ns/pt)" % (agent["points_per_s"] / 1e6, agent["ns_per_point"]) if agent else "-"
    if not ok:
        print("%-6d no run without drops" % ranks)
        continue
    best = max(ok, key=lambda r: r["points_per_s"])
    tgt = "max" if best["target"] == 0 else "%.2fM" % (best["target"] / 1e6)
    h5s = "%.2f (%d)" % (h5["points_per_s"] / 1e6, h5["batch"]) if h5 else "-"
    ratio = "%.2f" % (best["points_per_s"] / h5["points_per_s"]) if h5 else "-"
    print("%-6d %10d %10s %11.2f %8d %17s %12s %11s %18s" % (ranks, best["stored"], tgt, best["points_per_s"] / 1e6,
          max(best["dropped_run_json"], best["dropped_workers"]), h5s, ratio,
          "yes" if best["points_per_s"] >= 2e6 else "no", agent_s))
PYEOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
