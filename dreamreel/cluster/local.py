"""A Ray cluster of several single-machine nodes, for tests, benchmarks and trying --cluster out (Linux).

with LocalCluster(nodes=2, cpus_per_node=1, env={...}) as cluster:   head + nodes-1 nodes on loopback, connected
    cluster.address -> "127.0.0.1:PORT"                              what `--cluster` or RAY_ADDRESS take
    cluster.running() -> [pid, ...]                                   processes of the cluster still alive
Token authentication is off on this loopback cluster (RAY_AUTH_MODE=disabled for its nodes, and in this process's
environment while the cluster runs, so this driver and the commands it starts connect alike; Ray would otherwise
turn it on for nodes, not drivers, once any local Ray has left a token in ~/.ray).
On exit the driver disconnects and every process the cluster started is stopped (TERM, then KILL after a grace
period): each node runs `ray start --block` in a session of its own, and the processes of that session (the node's
GCS, raylet, workers) are the ones stopped, found by session id, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import DreamreelError
from .session import import_ray

START_SECONDS = 180.0  # a loaded 2-core machine has taken 30 s to bring up two nodes
STOP_SECONDS = 5.0
AUTH_MODE = "RAY_AUTH_MODE"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_members(sessions: set[int]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[3]) in sessions:  # state, ppid, pgrp, session
            pids.append(int(entry.name))
    return pids


class LocalCluster:
    def __init__(self, nodes: int = 2, cpus_per_node: int = 1, env: dict[str, str] | None = None,
                 object_store_mb: int = 256):
        self.nodes, self.cpus, self.object_store_mb = nodes, cpus_per_node, object_store_mb
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", AUTH_MODE: "disabled", **(env or {})}
        self.previous_auth_mode = None
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.folder = Path(tempfile.mkdtemp(prefix="drc"))  # short: Ray's socket paths must fit in 107 bytes

    def _start_node(self, head: bool) -> None:
        ray_cli = str(Path(sys.executable).with_name("ray"))
        args = [ray_cli, "start", "--block", "--num-cpus", str(self.cpus), "--disable-usage-stats",
                "--node-ip-address", "127.0.0.1", "--include-log-monitor", "false",
                "--object-store-memory", str(self.object_store_mb * 2**20)]
        for flag in ("--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
                     "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port"):
            args += [flag, str(_free_port())]  # several nodes on one machine must not share a port
        if head:
            args += ["--head", "--port", str(self.port), "--include-dashboard", "false", "--temp-dir",
                     str(self.folder), "--ray-client-server-port", str(_free_port())]
        else:
            args += ["--address", self.address]
        log = open(self.folder / f"node{len(self.processes)}.log", "wb")
        self.processes.append(subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True))

    def _wait(self, ready, what: str, deadline: float) -> None:
        while not ready():
            if time.monotonic() > deadline:
                raise DreamreelError(f"the local Ray cluster did not come up ({what}); logs in {self.folder}")
            if any(p.poll() is not None for p in self.processes):
                raise DreamreelError(f"a local Ray node exited while starting; logs in {self.folder}")
            time.sleep(0.5)

    def _head_started(self) -> bool:
        """`ray start` says so once its GCS serves (a port merely answering could be another program's)."""
        return b"Ray runtime started" in (self.folder / "node0.log").read_bytes()

    def __enter__(self) -> LocalCluster:
        ray = import_ray()
        deadline = time.monotonic() + START_SECONDS
        self.previous_auth_mode = os.environ.get(AUTH_MODE)
        os.environ[AUTH_MODE] = self.env[AUTH_MODE]
        try:
            self._start_node(head=True)
            self._wait(self._head_started, "head", deadline)
            for _ in range(self.nodes - 1):
                self._start_node(head=False)
            ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
            total = self.nodes * self.cpus
            self._wait(lambda: ray.cluster_resources().get("CPU", 0) >= total, f"{total} CPUs", deadline)
        except BaseException as error:
            self.__exit__(type(error), error, None)
            raise
        return self

    def running(self) -> list[int]:
        return _session_members({p.pid for p in self.processes})

    def __exit__(self, *exc) -> None:
        ray = import_ray()
        if ray.is_initialized():
            ray.shutdown()
        for sig, grace in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, STOP_SECONDS)):
            for pid in self.running():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and (self.running() or any(p.poll() is None for p in self.processes)):
                time.sleep(0.2)
            if not self.running():
                break
        for process in self.processes:
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        if self.previous_auth_mode is None:
            os.environ.pop(AUTH_MODE, None)
        else:
            os.environ[AUTH_MODE] = self.previous_auth_mode
        if exc[0] is None and not self.running():  # logs are kept when something failed
            shutil.rmtree(self.folder, ignore_errors=True)
