"""The `dreamreel` command: one module per command parses its flags into a job and runs it (dreamreel.jobs).

main(argv=None) -> exit code      0 done, 2 a user mistake (one line on stderr), 130 interrupted (Ctrl-C or SIGTERM)
build_parser() -> argparse.ArgumentParser

Adding a command: a module here with add(commands) and the functions it sets as `run`; it is found by name
(ORDER places it in `dreamreel --help`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys
import threading

from .. import __version__
from ..errors import DreamreelError

def commands() -> list:
    """The command modules of this package (those with an add(subparsers)), in their ORDER."""
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
    return sorted((m for m in modules if hasattr(m, "add")), key=lambda m: getattr(m, "ORDER", 100))


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line like every other dreamreel error (and `--help` to learn more)."""

    def error(self, message: str):
        self.exit(2, f"dreamreel: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="dreamreel",
        description="DeepDream and neural-style animation on a JIT-compiled JAX core.",
        epilog="Run `dreamreel COMMAND --help` for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=f"dreamreel {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands():
        command.add(subparsers)
    return parser


def _terminate(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops a render like Ctrl-C: staging removed, checkpoint kept


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a flag argparse refused (one line printed)
        return int(stop.code or 0)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return args.run(args)
    except DreamreelError as error:
        print(f"dreamreel: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dreamreel: stopped; run the same command again to resume where a video left off", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
