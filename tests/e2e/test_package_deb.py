"""CPack builds a .deb holding the binaries (every job kind's worker among them), the plugin,
the shared data with every kind's manifest, the desktop entry and the icon."""
import subprocess
import tempfile
from pathlib import Path

from e2e_support import BIN, main


def test():
    build = BIN.parent
    with tempfile.TemporaryDirectory(prefix="orrery-deb-") as out:
        run = subprocess.run(["cpack", "-G", "DEB", "--config", str(build / "CPackConfig.cmake"), "-B", out],
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        debs = list(Path(out).glob("*.deb"))
        assert len(debs) == 1, debs
        listing = subprocess.run(["dpkg-deb", "--contents", str(debs[0])], capture_output=True, text=True,
                                 check=True).stdout
        for path in ("./usr/bin/orrery", "./usr/bin/orrery-agent", "./usr/bin/orrery-rank",
                     "./usr/bin/orrery-allreduce-bench", "./usr/bin/orrery-fed-sim", "./usr/bin/orrery-gpt-train",
                     "./usr/bin/orrery-gpt-serve", "./usr/bin/orrery-serve-sim",
                     "./usr/share/orrery/kinds/fed-sim.json", "./usr/share/orrery/kinds/gpt-train.json",
                     "./usr/share/orrery/kinds/gpt-serve.json", "./usr/share/orrery/kinds/serve-sim.json",
                     "./usr/lib/orrery/plugins/liborrery_kind_allreduce_bench.so",
                     "./usr/share/orrery/kinds/allreduce-bench.json", "./usr/share/orrery/python/orrery_reporter.py",
                     "./usr/share/orrery/demo/orrery.json", "./usr/share/applications/orrery.desktop",
                     "./usr/share/icons/hicolor/scalable/apps/orrery.svg"):
            assert path in listing, f"{path} missing from the package:\n{listing}"
        info = subprocess.run(["dpkg-deb", "--field", str(debs[0]), "Package", "Version", "Depends", "Recommends"],
                              capture_output=True, text=True, check=True).stdout
        assert "Package: orrery" in info and "Version: 0." in info, info
        assert "libqt6widgets6" in info and "openmpi-bin" in info, info
        assert "python3-sklearn" in info and "bible-kjv-text" in info, info


if __name__ == "__main__":
    main(test)
