"""Test bed for the remote-target tests: real OpenSSH servers on loopback addresses.

SshServer starts `sshd -D -e -f <config>` on 127.0.0.x and a free high port, with its own
host key, key-only authentication and a folder of its own; SshTestBed holds two of them
(127.0.0.1 and 127.0.0.2, two "hosts" for multi-host mpirun), a client key, a known_hosts
file naming both host keys, and a short XDG_RUNTIME_DIR for the ssh control sockets that
orrery creates. stop() ends everything this bed started, by process id: ssh control
masters (ssh -O exit, then their pid), the per-connection sshd processes and whatever
they left running (remote orrery-agents, mpirun), then the listening sshd."""
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def free_port(address):
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _children(pid):
    """Direct children of pid, read from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def _processes_mentioning(folder):
    """Processes whose command line or environment names folder: what the remote runs of this
    bed started (their agents detach into sessions of their own, so no parent links lead to them)."""
    needle = str(folder).encode()
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes() or needle in (entry / "environ").read_bytes():
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def _descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in _children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def _kill(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


class SshServer:
    def __init__(self, root, address, authorized_key, extra_config=()):
        self.address = address
        self.port = free_port(address)
        self.dir = Path(root) / f"sshd-{address}"
        self.dir.mkdir()
        self.host_key = self.dir / "host_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"orrery-test-{address}",
                        "-f", str(self.host_key)], check=True)
        (self.dir / "authorized_keys").write_text(authorized_key)
        self.config = self.dir / "sshd_config"
        self.config.write_text("\n".join([
            f"ListenAddress {address}:{self.port}",
            f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}",
            "AuthenticationMethods publickey",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "UsePAM no",
            "StrictModes no",
            "AllowTcpForwarding yes",
            "AllowStreamLocalForwarding yes",
            "StreamLocalBindUnlink yes",
            "PrintMotd no",
            "MaxSessions 50",
            "MaxStartups 50",
            "LogLevel INFO",   # connections are logged: a test can tell which "host" mpirun reached
            *extra_config,
            "",
        ]))
        self.log = open(self.dir / "sshd.log", "w")
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)   # sshd's privilege-separation folder
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config)], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                with socket.create_connection((address, self.port), timeout=0.5) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"sshd on {address}:{self.port} did not start:\n" +
                                   (self.dir / "sshd.log").read_text())
            time.sleep(0.05)

    def accepted_logins(self):
        """Public-key logins this server has accepted so far (from its log)."""
        return (self.dir / "sshd.log").read_text(errors="replace").count("Accepted publickey")

    def known_hosts_line(self):
        key = (self.dir / "host_ed25519.pub").read_text().split()
        return f"[{self.address}]:{self.port} {key[0]} {key[1]}\n"

    def stop(self):
        """Connections first (with what they still run), then the listener."""
        if self.proc.poll() is None:
            _kill(_descendants(self.proc.pid))
            _kill([self.proc.pid], signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def unknown_hosts_file(folder, name):
    """folder/known_hosts.<name>, empty: a target that uses it has trusted no host key yet."""
    path = Path(folder) / f"known_hosts.{name}"
    path.write_text("")
    return path


class SshTestBed:
    """Two sshd "hosts" on 127.0.0.1 and 127.0.0.2 and a client set up to reach them."""

    def __init__(self, addresses=("127.0.0.1", "127.0.0.2"), sshd_config=()):
        """sshd_config: further lines for every server (e.g. SetEnv for the sessions)."""
        # A short path: ssh control sockets live under it (unix socket paths are limited to ~107 bytes).
        self._tmp = tempfile.TemporaryDirectory(prefix="orr-ssh-", dir="/tmp")
        self.root = Path(self._tmp.name)
        self.identity = self.root / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "orrery-test-client",
                        "-f", str(self.identity)], check=True)
        self.user = os.environ.get("USER") or __import__("pwd").getpwuid(os.geteuid()).pw_name
        self.runtime_dir = self.root / "xdg"
        self.runtime_dir.mkdir(mode=0o700)
        self.servers = []
        try:
            for a in addresses:
                self.servers.append(SshServer(self.root, a, (self.root / "id_ed25519.pub").read_text(), sshd_config))
        except Exception:
            self.stop()
            raise
        self.known_hosts = self.root / "known_hosts"
        self.known_hosts.write_text("".join(s.known_hosts_line() for s in self.servers))
        self.empty_known_hosts = self.root / "known_hosts.empty"
        self.empty_known_hosts.write_text("")

    def env(self, base):
        """The environment for orrery: its ssh control sockets go under this bed's folder."""
        e = dict(base)
        e["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        return e

    def target(self, server=0, work_dir=None, **extra):
        s = self.servers[server]
        t = {"type": "ssh", "host": s.address, "port": s.port, "user": self.user,
             "identity_file": str(self.identity), "known_hosts_file": str(self.known_hosts),
             "work_dir": str(work_dir or (self.root / f"remote-{s.address}"))}
        t.update(extra)
        return t

    def ssh(self, server, *command):
        """A plain ssh call (no multiplexing) for checks done by the test itself."""
        s = self.servers[server]
        return subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={self.known_hosts}",
                               "-o", "StrictHostKeyChecking=yes", "-i", str(self.identity), "-p", str(s.port),
                               "-l", self.user, "--", s.address, *command],
                              capture_output=True, text=True, timeout=30)

    def rsh_agent(self, server):
        """An ssh command line for mpirun's plm_rsh_agent that reaches this bed's server (mpirun splits it itself)."""
        s = self.servers[server]
        return (f"ssh -p {s.port} -i {self.identity} -o IdentitiesOnly=yes -o BatchMode=yes "
                f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={self.known_hosts}")

    def control_sockets(self):
        return [p for p in self.runtime_dir.rglob("*") if p.is_socket() and p.name.startswith("cm-")]

    def master_pids(self):
        pids = []
        for sock in self.control_sockets():
            p = subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "check", "unused"],
                               capture_output=True, text=True, timeout=10)
            if "pid=" in p.stderr:
                pids.append(int(p.stderr.split("pid=")[1].split(")")[0]))
        return pids

    def stop(self):
        _kill(self.master_pids())
        for s in self.servers:   # connections first: once its listener is gone a connection's parent is init
            s.stop()
        _kill(_processes_mentioning(self.root))   # detached remote agents and their ranks
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
