"""Reaching a Ray cluster, with one-line errors when it is not there.

connect(address) -> context manager yielding the ray module
    address "auto" or None: $RAY_ADDRESS, else a cluster started on this machine with `ray start`, else a new Ray
    for this run only; "ray://host:port": a remote cluster through Ray Client; "host:port": a cluster this
    machine is a node of. An existing connection (ray.init called by the caller) is used as it is and left open.
cluster_cpus(ray) -> int     CPUs the cluster offers now (one worker each)

Ray is imported here and nowhere else above it is needed, so dreamreel without --cluster never imports it.
"""

from __future__ import annotations

import os
import socket
import warnings
from contextlib import contextmanager
from typing import Iterator

from ..errors import DreamreelError

INSTALL_HINT = "pip install 'dreamreel[cluster]'"


def import_ray():
    try:
        import ray
    except ImportError:
        raise DreamreelError(f"--cluster needs Ray on this machine and every node: {INSTALL_HINT}") from None
    return ray


def _listening(address: str, seconds: float = 5.0) -> str | None:
    """Why nothing answers at "host:port" or "ray://host:port" (Ray itself waits minutes on a wrong address)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except ValueError:
        return f"{address!r} is not HOST:PORT"
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


@contextmanager
def connect(address: str | None = "auto") -> Iterator:
    ray = import_ray()
    if ray.is_initialized():  # the caller holds the connection (a test, a benchmark, a studio)
        yield ray
        return
    where = address if address not in (None, "auto") else os.environ.get("RAY_ADDRESS") or "this machine"
    if where != "this machine" and where != "auto":
        problem = _listening(where)
        if problem:
            raise DreamreelError(f"cannot reach a Ray cluster at {where}: {problem} (start one with `ray start "
                                 f"--head`, or use --cluster auto)")
    try:
        with warnings.catch_warnings():
            # a new local Ray starts its processes by fork + exec: no JAX code runs in the child
            warnings.filterwarnings("ignore", message="os.fork", category=RuntimeWarning)
            # log_to_driver off: workers report through results and errors, not through our terminal
            ray.init(address=None if address in (None, "auto") else address, logging_level="ERROR",
                     log_to_driver=False, configure_logging=True)
    except (ConnectionError, ValueError, RuntimeError, TimeoutError) as error:
        raise DreamreelError(f"cannot reach a Ray cluster at {where}: {_first_line(error)} "
                             f"(start one with `ray start --head`, or use --cluster auto)") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def cluster_cpus(ray) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
