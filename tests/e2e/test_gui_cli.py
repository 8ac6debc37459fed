"""The workbench's command-line entry: --version, a clear refusal without a
display, and `orrery demo` staying in the terminal with --headless."""
import subprocess

from e2e_support import ORRERY, Project, env, main


def without_display():
    e = env()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        e.pop(name, None)
    return e


def test():
    out = subprocess.run([ORRERY, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("orrery 0."), out.stdout

    project = Project("gui-cli")
    # No subcommand opens the workbench; with no display it must say so, not crash or hang.
    out = subprocess.run([ORRERY, "-p", str(project.root)], capture_output=True, text=True, timeout=30,
                         env=without_display())
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "no display" in out.stderr, out.stderr
    out = subprocess.run([ORRERY, "gui", str(project.root)], capture_output=True, text=True, timeout=30,
                         env=without_display())
    assert out.returncode == 2 and "no display" in out.stderr, (out.returncode, out.stderr)

    # The workbench starts offscreen and stays up until told to quit: give it 3 s, then SIGTERM.
    e = env()
    e["QT_QPA_PLATFORM"] = "offscreen"
    e["XDG_CONFIG_HOME"] = str(project.root / "config")
    gui = subprocess.Popen([ORRERY, "gui", str(project.root)], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        gui.wait(timeout=3)
        raise AssertionError(f"the workbench exited at once: {gui.returncode} {gui.stderr.read().decode()}")
    except subprocess.TimeoutExpired:
        pass
    gui.terminate()
    gui.wait(timeout=10)


if __name__ == "__main__":
    main(test)
