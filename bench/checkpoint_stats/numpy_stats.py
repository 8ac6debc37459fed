#!/usr/bin/env python3
"""The same statistics with h5py + numpy, loading each tensor whole (the usual way):
time and peak memory, for comparison with bench_checkpoint_stats."""
import resource
import sys
import time

import h5py
import numpy as np

t0 = time.perf_counter()
n = 0
with h5py.File(sys.argv[1], "r") as f:
    names = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    for name in names:
        a = f[name][()].astype(np.float64)
        finite = a[np.isfinite(a)]
        _ = (finite.min(), finite.max(), finite.mean(), finite.std(), np.sqrt((finite * finite).sum()),
             (a == 0).mean(), np.isnan(a).sum(), np.isinf(a).sum())
        n += a.size
s = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"mode=numpy elements={n} seconds={s:.3f} melements_per_s={n / s / 1e6:.1f} peak_rss_mib={peak:.1f}")
