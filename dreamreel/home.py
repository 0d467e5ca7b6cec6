"""Where dreamreel keeps its cache: converted weights and JAX's compiled programs.

dreamreel_home() -> Path: $DREAMREEL_HOME, else $XDG_CACHE_HOME/dreamreel, else ~/.cache/dreamreel.
"""

from __future__ import annotations

import os
from pathlib import Path


def dreamreel_home() -> Path:
    if os.environ.get("DREAMREEL_HOME"):
        return Path(os.environ["DREAMREEL_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "dreamreel"


def enable_compilation_cache(home: Path | None = None) -> Path:
    """Turn on JAX's persistent compilation cache under the dreamreel home, so re-runs skip compiles."""
    import jax

    path = (home or dreamreel_home()) / "jax-cache"
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path
