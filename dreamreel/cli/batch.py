"""Several jobs from one command (`dreamreel dream photos/*.jpg -o out/`), run here one after another with the
model kept loaded, or spread over a Ray cluster with --cluster (dreamreel.cluster, imported only then).

add_cluster_flag(parser)                    --cluster ADDRESS
is_folder(output) -> bool                   "out/" or an existing folder
outputs_in(folder, inputs, suffix=None) -> [str]   FOLDER/NAME.SUFFIX per input (its own suffix if an image
                                            format, else .png); the folder is made if missing
run_jobs(jobs, args, desc, **cluster_options) -> int   runs them, prints each output, returns the exit code 0
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from ..errors import DreamreelError
from ..io import IMAGE_SUFFIXES
from ..jobs import default_loader, run
from .progress import progress_bar

CLUSTER_HELP = ("render on a Ray cluster: auto (RAY_ADDRESS, else a local Ray), ray://HOST:PORT or HOST:PORT; "
                "inputs must be at the same paths on every node (see README, Render on a cluster)")


def add_cluster_flag(parser) -> None:
    parser.add_argument("--cluster", metavar="ADDRESS", help=CLUSTER_HELP)


def is_folder(output: str) -> bool:
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def outputs_in(folder: str, inputs: list[str], suffix: str | None = None) -> list[str]:
    if not is_folder(folder):
        raise DreamreelError(f"several inputs need an output folder: -o {folder.rstrip('/')}/")
    if not Path(folder).is_dir():
        try:
            Path(folder).mkdir()
        except OSError as error:
            raise DreamreelError(f"cannot make the output folder {folder}: {error.strerror}") from None
    names = [Path(p).stem + (suffix or (Path(p).suffix.lower() if Path(p).suffix.lower() in IMAGE_SUFFIXES else ".png"))
             for p in inputs]
    doubles = sorted({name for name in names if names.count(name) > 1})
    if doubles:
        raise DreamreelError(f"two inputs would both be written to {Path(folder, doubles[0])}: rename one")
    return [str(Path(folder, name)) for name in names]


def run_jobs(jobs: list, args, desc: str, **cluster_options) -> int:
    if getattr(args, "cluster", None):
        from ..cluster import run as run_on_cluster

        with progress_bar(f"{desc} on the cluster") as bar:
            outputs = run_on_cluster(jobs, address=args.cluster, progress=bar, **cluster_options)
    else:
        outputs, kept_model = [], lru_cache(maxsize=None)(default_loader)  # loaded once for the whole batch
        for job in jobs:
            with progress_bar(desc if len(jobs) == 1 else f"{desc} {len(outputs) + 1}/{len(jobs)}") as bar:
                outputs.append(run(job, progress=bar, load_model=kept_model))
    for output in outputs:
        print(f"wrote {output}", file=sys.stderr)
    return 0
