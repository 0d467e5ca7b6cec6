"""The studio's page: tabs for Dream, Style, Animate, Clip and the Gallery, over one job queue.

build(*, load_model=None, home=None, models=None) -> (gr.Blocks, Studio)
    load_model(name) -> Model replaces the real weights (tests pass a tiny random network); home defaults to
    $DREAMREEL_HOME/studio; models: the ModelSpecs offered (default: every registered model)
launch(host="127.0.0.1", port=7860, **build_options) -> (Studio, url)   serves until the process ends
    (the caller may pass block=False to get control back, then studio.close())
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import DreamreelError
from ..home import dreamreel_home
from .gallery import Gallery
from .jobqueue import JobQueue
from .runner import Runner
from .uploads import MAX_VIDEO_BYTES, sample_images

LOOPBACK = ("127.0.0.1", "localhost", "::1")


CSS = """
.dr-header h1 { margin: 0.2em 0 0.1em; font-size: 1.9em; letter-spacing: -0.01em; }
.dr-header p { margin: 0 0 0.6em; opacity: 0.8; }
.dr-progress { margin: 0.2em 0; }
.dr-progress[data-state="idle"] { display: none; }
.dr-bar { height: 10px; border-radius: 5px; background: var(--neutral-200); overflow: hidden; }
.dr-fill { height: 100%; background: linear-gradient(90deg, #7c3aed, #4f46e5); transition: width 0.3s; }
.dr-progress[data-state="cancelled"] .dr-fill, .dr-progress[data-state="failed"] .dr-fill { background: #9ca3af; }
.dr-progress-text { font-size: 0.9em; margin-top: 0.3em; opacity: 0.85; }
.dr-error { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: 0.4em 0.7em; }
.dr-note { color: #3730a3; font-size: 0.9em; }
.dr-hint { font-size: 0.9em; opacity: 0.8; }
"""


@dataclass
class Studio:
    """What the tabs share: the queue, the gallery, where uploads go, the models and samples offered."""

    home: Path
    queue: JobQueue
    gallery: Gallery
    models: dict[str, Any]  # name -> ModelSpec
    samples: dict[str, Path] = field(default_factory=sample_images)
    blocks: Any = None
    url: str = ""

    @property
    def served_folders(self) -> list[str]:
        """What the page may show: results, uploads and the samples (gradio serves nothing else)."""
        return sorted({str(self.home), *(str(path.parent) for path in self.samples.values())})

    @property
    def uploads(self) -> Path:
        return self.home / "uploads"

    def spec(self, name: str):
        if name not in self.models:
            raise DreamreelError(f"unknown model {name!r}; choose one of {', '.join(self.models)}")
        return self.models[name]

    def close(self) -> None:
        if self.blocks is not None:
            self.blocks.close()
        self.queue.stop(timeout=10)


def studio_home() -> Path:
    return dreamreel_home() / "studio"


def _models(models: Sequence[Any] | None) -> dict[str, Any]:
    if models is None:
        from ..models import get_spec, model_names

        models = [get_spec(name) for name in model_names()]
    return {spec.name: spec for spec in models}


def build(*, load_model: Callable[[str], Any] | None = None, home: str | os.PathLike | None = None,
          models: Sequence[Any] | None = None):
    import gradio as gr

    from . import animate_tab, clip_tab, dream_tab, gallery_tab, style_tab

    home = Path(home) if home is not None else studio_home()
    gallery = Gallery(home / "gallery")
    runner = Runner(load_model) if load_model else Runner()
    studio = Studio(home, JobQueue(runner, gallery).start(), gallery, _models(models))
    with gr.Blocks(title="dreamreel studio", analytics_enabled=False) as blocks:
        gr.HTML('<div class="dr-header"><h1>dreamreel studio</h1>'
                "<p>Dream into a photo, paint it in the style of another, render a zoom video or dream a clip. "
                "Every result lands in the gallery with the command that makes it again.</p></div>")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Dream", id="dream", elem_id="tab-dream"):
                dream_tab.build(studio)
            with gr.Tab("Style", id="style", elem_id="tab-style"):
                style_tab.build(studio)
            with gr.Tab("Animate", id="animate", elem_id="tab-animate"):
                animate_tab.build(studio)
            with gr.Tab("Clip", id="clip", elem_id="tab-clip"):
                clip_tab.build(studio)
            with gr.Tab("Gallery", id="gallery", elem_id="tab-gallery") as tab:
                gallery_tab.build(studio, tab)
    blocks.queue(default_concurrency_limit=None)  # watchers only wait; the job queue runs one job at a time
    studio.blocks = blocks
    return blocks, studio


def check_address(host: str, port: int) -> None:
    """An OSError now, before the page is built, when the address is taken or not this machine's."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def launch(host: str = "127.0.0.1", port: int = 7860, *, block: bool = True, warn=print, **options):
    """Start the page; a host other than loopback is announced with a warning (anyone on that network may use it)."""
    import gradio as gr

    if host not in LOOPBACK:
        warn(f"warning: the studio listens on {host}: anyone who can reach this machine on port {port} can run "
             f"jobs and see the gallery. Use --host 127.0.0.1 to keep it to this computer.")
    check_address(host, port)
    blocks, studio = build(**options)
    _, url, _ = blocks.launch(
        server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False,
        show_error=False, max_file_size=MAX_VIDEO_BYTES, allowed_paths=studio.served_folders,
        footer_links=[], theme=gr.themes.Soft(primary_hue="violet", secondary_hue="indigo"), css=CSS)
    studio.url = url
    if block:
        try:
            blocks.block_thread()
        finally:
            studio.close()
    return studio, url
