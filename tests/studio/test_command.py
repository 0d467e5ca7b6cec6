"""`dreamreel studio`: its options, and the refusals a user can meet (bad port, a port in use, a non-local host)."""

from __future__ import annotations

import argparse
import socket

import pytest

from dreamreel.cli.studio import add, main
from dreamreel.errors import DreamreelError


def parse(argv):
    parser = argparse.ArgumentParser(prog="dreamreel")
    add(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_defaults_bind_to_this_computer_only():
    args = parse(["studio"])
    assert (args.host, args.port, args.run) == ("127.0.0.1", 7860, main)
    assert parse(["studio", "--port", "8000", "--host", "0.0.0.0"]).port == 8000


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_ports_are_refused(port, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse(["studio", "--port", port])
    assert exit_.value.code == 2 and "a port is a number from 1 to 65535" in capsys.readouterr().err


def test_a_port_in_use_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("gradio")
    monkeypatch.setenv("DREAMREEL_HOME", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        args = parse(["studio", "--port", str(taken.getsockname()[1])])
        with pytest.raises(DreamreelError, match=r"cannot listen on 127.0.0.1:\d+ .*choose another with --port"):
            main(args)


def test_dreamreel_studio_on_a_taken_port_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    pytest.importorskip("gradio")
    from dreamreel.cli import main as dreamreel

    monkeypatch.setenv("DREAMREEL_HOME", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert dreamreel(["studio", "--port", str(taken.getsockname()[1])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dreamreel: error: cannot listen on 127.0.0.1:") and err.count("\n") == 1


def test_a_non_local_host_warns():
    pytest.importorskip("gradio")
    from dreamreel.studio.app import LOOPBACK, launch

    warnings = []
    with pytest.raises(OSError):  # not an address of this machine: refused before anything is built or served
        launch("203.0.113.7", 7860, block=False, warn=warnings.append, home="/nonexistent/never-created")
    assert "anyone who can reach this machine" in warnings[0] and "127.0.0.1" in LOOPBACK
