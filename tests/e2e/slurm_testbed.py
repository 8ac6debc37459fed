"""Test bed for the Slurm-target tests: a real single-node Slurm on loopback, started without systemd.

SlurmTestBed starts, each in the foreground of its own process (the bed holds the PIDs):
  munged    with its own key, socket, PID and seed files in the bed's folder;
  slurmctld -D -i   on a free port, state in the bed's folder;
  slurmd    -D -N orrery-node   on a free port, NodeAddr=127.0.0.1, its own spool folder.
No cgroups (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none), no slurmdbd (no sacct:
finished jobs are read from scontrol show job and JobCompType=jobcomp/filetxt). The node offers
4 CPUs whatever the machine has (SlurmdParameters=config_overrides), so 2- and 4-rank jobs run on
a 2-core machine. SLURM_CONF in env() points every client (sbatch, squeue, orrery) at this cluster.
stop() cancels what is still queued, then ends slurmd, slurmctld and munged by PID, whatever
happened, and kills what the jobs left running (processes naming the bed's folder).

SlurmTestBed(accounting=True) also starts, before slurmctld, a MariaDB server (mariadb-install-db
into the bed's folder, mariadbd as root on 127.0.0.1 at a free port and its own socket, a database
user with a password made for the bed) and slurmdbd -D (its own slurmdbd.conf, mode 600, at a free
port on 127.0.0.1), registers the cluster with sacctmgr and points slurmctld at it
(AccountingStorageType=accounting_storage/slurmdbd): sacct answers. Both are stopped by PID too.
min_job_age=N sets MinJobAge (slurmctld forgets a finished job N s after it ended, at its next purge
pass; the default is Slurm's, 300 s)."""
import os
import random
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from remote_testbed import SshTestBed, _kill, _processes_mentioning, free_port

NODE = "orrery-node"
PARTITION = "debug"
CPUS = 4


class SlurmTestBed:
    def __init__(self, accounting=False, min_job_age=None):
        self.accounting, self.min_job_age = accounting, min_job_age
        self.startup_s = {}   # seconds each stage of the start took
        self._tmp = tempfile.TemporaryDirectory(prefix="orr-slurm-", dir="/tmp")
        self.root = Path(self._tmp.name)
        self.procs = {}
        self.logs = []
        try:
            self._start()
        except Exception:
            self.stop()
            raise

    # -- set-up ---------------------------------------------------------------------------------
    def _daemon(self, name, argv, env=None):
        log = open(self.root / "log" / f"{name}.out", "w")
        self.logs.append(log)
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=env)

    def _start(self):
        t0 = time.time()
        for d in ("munge", "state", "spool", "log", "tmp"):
            (self.root / d).mkdir(mode=0o700)
        os.chmod(self.root, 0o755)   # munged wants the socket's folders reachable
        os.chmod(self.root / "munge", 0o755)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self.munge_socket = self.root / "munge" / "munge.socket"
        self._daemon("munged", ["munged", "-F", "-f", f"--socket={self.munge_socket}", f"--key-file={key}",
                                f"--pid-file={self.root / 'munge' / 'munged.pid'}",
                                f"--seed-file={self.root / 'munge' / 'munged.seed'}",
                                f"--log-file={self.root / 'log' / 'munged.log'}"])
        if self.accounting:
            self._start_mariadb()
        self._wait(lambda: self.munge_socket.exists(), "munged", 5)

        self.ctld_port, self.slurmd_port = free_port("127.0.0.1"), free_port("127.0.0.1")
        self.conf = self.root / "slurm.conf"
        host = socket.gethostname().split(".")[0]   # slurmctld only runs on the host SlurmctldHost names
        accounting = ["AccountingStorageType=accounting_storage/none"]
        if self.accounting:
            self.dbd_port = free_port("127.0.0.1")
            # AccountingStoragePass: the munged socket the clients' connections to slurmdbd use.
            accounting = ["AccountingStorageType=accounting_storage/slurmdbd", "AccountingStorageHost=127.0.0.1",
                          f"AccountingStoragePort={self.dbd_port}", f"AccountingStoragePass={self.munge_socket}"]
        self.jobcomp = self.root / "log" / "jobcomp.txt"
        self.conf.write_text("\n".join([
            "ClusterName=orrerytest",
            # Beds running side by side (ctest -j) must not share job ids: srun's PMIx plugin
            # names its folders after them. Their own ids, and their temporary files in the bed.
            f"FirstJobId={random.randrange(1000, 60_000_000, 1000)}",
            f"TmpFS={self.root / 'tmp'}",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={self.ctld_port}",
            f"SlurmdPort={self.slurmd_port}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={self.root / 'state'}",
            f"SlurmdSpoolDir={self.root / 'spool'}",
            f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
            f"SlurmdPidFile={self.root / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.root / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={self.root / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobCompType=jobcomp/filetxt",
            f"JobCompLoc={self.jobcomp}",
            *accounting,
            *([f"MinJobAge={int(self.min_job_age)}"] if self.min_job_age is not None else []),
            "JobAcctGatherType=jobacct_gather/none",
            "MailProg=/bin/true",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=sched_interval=1",   # pending jobs are looked at every second
            "MpiDefault=none",
            "ReturnToService=2",
            "KillWait=5",                              # scancel: SIGTERM, then SIGKILL 5 s later
            "SlurmdParameters=config_overrides",
            f"NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={host} CPUs={CPUS} RealMemory=1000 State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))
        e = self.env(os.environ)
        if self.accounting:
            self.startup_s["mariadb"] = time.time() - t0
            self._start_slurmdbd(host)
        self._daemon("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)], e)
        self._daemon("slurmd", ["slurmd", "-D", "-N", NODE, "-f", str(self.conf)], e)
        self._wait(self._node_idle, "slurmd (node idle in sinfo)", 20)
        self.startup_s["total"] = time.time() - t0

    def _start_mariadb(self):
        """mariadb-install-db into the bed's folder (while munged starts), then mariadbd on
        127.0.0.1 only, at a free port and its own socket; slurmdbd's database user gets a
        password made for this bed."""
        data, run = self.root / "mariadb", self.root / "mariadb-run"
        run.mkdir(mode=0o700)
        # Small InnoDB files (the defaults write ~190 MB into /tmp for a few kB of accounting).
        small = ["--innodb-log-file-size=8M", "--innodb-data-file-path=ibdata1:12M:autoextend"]
        with open(self.root / "log" / "mariadb-install.out", "w") as log:
            subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
                            "--auth-root-authentication-method=socket", "--skip-test-db", *small],
                           stdout=log, stderr=subprocess.STDOUT, check=True, timeout=60)
        self.db_port = free_port("127.0.0.1")
        self.db_socket = run / "mariadb.sock"
        self._daemon("mariadbd", ["mariadbd", "--no-defaults", f"--datadir={data}", "--user=root",
                                  "--bind-address=127.0.0.1", f"--port={self.db_port}", f"--socket={self.db_socket}",
                                  f"--pid-file={run / 'mariadbd.pid'}", f"--log-error={self.root / 'log' / 'mariadbd.log'}",
                                  "--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--skip-log-bin", *small])
        self._wait(lambda: self.db_socket.exists(), "mariadbd", 30)
        self.db_password = secrets.token_hex(16)
        sql = (f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{self.db_password}';"
               "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';")
        subprocess.run(["mariadb", "--no-defaults", f"--socket={self.db_socket}", "-u", "root", "-e", sql],
                       capture_output=True, text=True, check=True, timeout=30)

    def _start_slurmdbd(self, host):
        """slurmdbd -D reading slurmdbd.conf next to slurm.conf (it looks in SLURM_CONF's folder;
        mode 600, as it demands), at a free port on 127.0.0.1; then the cluster is registered."""
        t0 = time.time()
        dbd_conf = self.root / "slurmdbd.conf"
        dbd_conf.touch(mode=0o600)
        dbd_conf.write_text("\n".join([
            "AuthType=auth/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"DbdHost={host}",
            "DbdAddr=127.0.0.1",
            f"DbdPort={self.dbd_port}",
            "SlurmUser=root",
            f"PidFile={self.root / 'slurmdbd.pid'}",
            f"LogFile={self.root / 'log' / 'slurmdbd.log'}",
            "StorageType=accounting_storage/mysql",
            "StorageHost=127.0.0.1",
            f"StoragePort={self.db_port}",
            "StorageUser=slurm",
            f"StoragePass={self.db_password}",
            "StorageLoc=slurm_acct_db",
            "",
        ]))
        e = self.env(os.environ)
        self._daemon("slurmdbd", ["slurmdbd", "-D"], e)
        self._wait(lambda: self.run("sacctmgr", "-n", "-P", "show", "cluster", check=False).returncode == 0,
                   "slurmdbd (sacctmgr answers)", 30)
        self.run("sacctmgr", "-i", "add", "cluster", "orrerytest")
        self.startup_s["slurmdbd"] = time.time() - t0

    def _node_idle(self):
        p = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, env=self.env(os.environ),
                           timeout=10)
        return p.returncode == 0 and p.stdout.strip() == "idle"

    def _wait(self, ready, what, timeout):
        deadline = time.time() + timeout
        while not ready():
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            if dead or time.time() > deadline:
                raise RuntimeError(f"{what} did not start ({'exited: ' + ', '.join(dead) if dead else 'timed out'}):\n"
                                   + self.daemon_logs())
            time.sleep(0.05)

    def daemon_logs(self):
        out = []
        for f in sorted((self.root / "log").glob("*")):
            if f.is_file():
                out.append(f"--- {f.name}\n" + "\n".join(f.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(out)

    # -- use ------------------------------------------------------------------------------------
    def env(self, base):
        e = dict(base)
        e["SLURM_CONF"] = str(self.conf)
        return e

    def login_node(self):
        """An sshd on 127.0.0.1 (remote_testbed) whose sessions see this bed's slurm.conf: the
        cluster's login node, for targets that reach Slurm through ssh ("via")."""
        return SshTestBed(addresses=("127.0.0.1",), sshd_config=(f"SetEnv SLURM_CONF={self.conf}",))

    def run(self, *argv, check=True):
        """A Slurm client command (sbatch, squeue, scontrol, ...) against this cluster."""
        p = subprocess.run(list(argv), capture_output=True, text=True, env=self.env(os.environ), timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr}")
        return p

    def fill_node(self, seconds=120):
        """A job holding every CPU of the node, so the next one stays pending (reason Resources); its id."""
        p = self.run("sbatch", "--parsable", f"--ntasks={CPUS}", "--job-name=filler", f"--output={self.root}/filler-%j.out",
                     "--wrap", f"sleep {int(seconds)}")
        job = p.stdout.strip().split(";")[0]
        deadline = time.time() + 20
        while self.job_state(job) != "RUNNING":
            if time.time() > deadline:
                raise AssertionError(f"the filler job {job} did not start:\n" + self.daemon_logs())
            time.sleep(0.1)
        return job

    def job_state(self, job):
        p = self.run("scontrol", "show", "job", "-o", str(job), check=False)
        for word in p.stdout.split():
            if word.startswith("JobState="):
                return word.split("=", 1)[1]
        return None

    def stop(self):
        if self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--full", "--user", str(os.geteuid())], env=self.env(os.environ),
                           capture_output=True, timeout=10)
        for name in ("slurmd", "slurmctld", "slurmdbd", "mariadbd", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        _kill(_processes_mentioning(self.root))   # slurmstepd and what the jobs left running
        for log in self.logs:
            log.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class OrreryOnSlurm:
    """A project whose orrery.json names this bed's cluster as Slurm targets, and the orrery CLI
    run against it (SLURM_CONF set), in the foreground or as a follower read line by line."""

    def __init__(self, bed, project, targets):
        from e2e_support import env
        self.bed, self.project = bed, project
        settings = {"name": "slurm", "targets": {"local": {"type": "local"}}}
        for name, extra in targets.items():
            settings["targets"][name] = dict({"type": "slurm", "partition": PARTITION}, **extra)
        (project.root / "orrery.json").write_text(__import__("json").dumps(settings))
        self.env = bed.env(env())

    def cli(self, *args, timeout=60):
        from e2e_support import ORRERY
        return subprocess.run([ORRERY, "-p", str(self.project.root), *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, env=self.env)

    def follow(self, *args):
        """`orrery ARGS` in the background; lines() reads what it printed so far."""
        return Follower(self, args)


class Follower:
    def __init__(self, on, args):
        import threading
        from e2e_support import ORRERY
        self.proc = subprocess.Popen([ORRERY, "-p", str(on.project.root), *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=on.env)
        self.out = []
        self.thread = threading.Thread(target=lambda: self.out.extend(iter(self.proc.stdout.readline, "")), daemon=True)
        self.thread.start()

    def text(self):
        return "".join(self.out)

    def wait_line(self, needle, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.out):
                if needle in line:
                    return line
            if self.proc.poll() is not None and not self.thread.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {needle!r} within {timeout} s; output:\n{self.text()}")

    def run_id(self):
        line = self.wait_line(" submitted: ")
        return line.split()[1]

    def finish(self, timeout=60):
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.thread.join(5)
        return self.proc.returncode
