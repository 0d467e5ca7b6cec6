"""`dreamreel studio [--host 127.0.0.1] [--port 7860]`: start the local web page and print its address.

add(commands) -> None        the `studio` subcommand (its `run` is main), as every module of dreamreel.cli
main(args) -> exit code; serves until Ctrl+C. A missing extra, a taken port or a bad host is a one-line
DreamreelError (the CLI prints it and exits 2).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import DreamreelError

ORDER = 60  # place in `dreamreel --help`

STUDIO_EXAMPLES = """\
examples:
  dreamreel studio                      # then open http://127.0.0.1:7860 in a browser
  dreamreel studio --port 8000
  dreamreel studio --host 0.0.0.0       # reachable from other machines on the network (warns)
"""


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, got {port}")
    return port


def add(commands) -> None:
    p = commands.add_parser(
        "studio", help="a local web page to dream, paint and render", epilog=STUDIO_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start dreamreel studio, a web page on this computer with tabs for dreams, styles, "
                    "animations and clips. Needs the studio extra: pip install 'dreamreel[studio]'.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default %(default)s: only this computer can open the page)")
    p.add_argument("--port", type=port_number, default=7860, help="port to listen on (default %(default)s)")
    p.set_defaults(run=main)


def main(args) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise DreamreelError("the studio needs its optional packages: pip install 'dreamreel[studio]'") from None
    from ..home import enable_compilation_cache
    from ..studio import launch

    def warn(text: str) -> None:
        print(text, file=sys.stderr)

    enable_compilation_cache()  # compiled steps are kept across restarts of the studio, as for every command
    try:
        studio, url = launch(args.host, args.port, block=False, warn=warn)
    except OSError as error:
        raise DreamreelError(f"cannot listen on {args.host}:{args.port} ({error.strerror or error}); "
                             f"choose another with --port") from None
    print(f"dreamreel studio is running at {url}  (Ctrl+C stops it)", flush=True)
    try:
        studio.blocks.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        studio.close()
    return 0
