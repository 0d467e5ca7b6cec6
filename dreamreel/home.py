"""Where dreamreel keeps its cache (converted weights, JAX's compiled programs) and finds its presets.

dreamreel_home() -> Path: $DREAMREEL_HOME, else $XDG_CACHE_HOME/dreamreel, else ~/.cache/dreamreel.
presets_dir() -> Path:    $DREAMREEL_PRESETS, else the presets installed with the package (dreamreel/presets:
                          animation TOML files, video/ for clips, images/ with their credits).
"""

from __future__ import annotations

import os
from pathlib import Path


def dreamreel_home() -> Path:
    if os.environ.get("DREAMREEL_HOME"):
        return Path(os.environ["DREAMREEL_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "dreamreel"


def presets_dir() -> Path:
    if os.environ.get("DREAMREEL_PRESETS"):
        return Path(os.environ["DREAMREEL_PRESETS"]).expanduser()
    # package data (pyproject.toml's package-data), so it is there in a wheel as in a clone
    return Path(__file__).resolve().parent / "presets"


# Every compiled program goes to the cache, not only those that took a second: a warm still dream otherwise spends
# seconds recompiling dozens of small programs (resizes, clips, key folds; 0.05-0.35 s each on 2 cores). Entries are
# small (a still dream's are about 5 MB in all). No size limit: JAX's eviction (jax_compilation_cache_max_size) needs
# the `filelock` package and an "-atime" file beside every entry, and fails on entries written without one.
CACHE_MIN_COMPILE_SECONDS = 0.0


def enable_compilation_cache(home: Path | None = None) -> Path | None:
    """Turn on JAX's persistent compilation cache under the dreamreel home, so re-runs skip compiles.
    DREAMREEL_COMPILATION_CACHE=0 leaves it off (the test suite does, so tests never write into a user's cache).

    The key of an entry is the program (so the DREAMREEL_CONV path, shapes and XLA flags each have their own), the
    JAX/jaxlib version and the machine's backend; `benchmarks/still_dream.py` shows hits, misses and entries written.
    """
    import jax

    if os.environ.get("DREAMREEL_COMPILATION_CACHE", "1").strip() == "0":
        return None
    path = (home or dreamreel_home()) / "jax-cache"
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", CACHE_MIN_COMPILE_SECONDS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path
