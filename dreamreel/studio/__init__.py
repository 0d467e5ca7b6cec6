"""dreamreel studio: a local web page to dream, paint and render, over the same jobs as the command line.

build(*, load_model=None, home=None, models=None) -> (gr.Blocks, Studio)     the page, not yet served
launch(host="127.0.0.1", port=7860, *, block=True, **build options) -> (Studio, url)

Needs the optional `studio` extra (pip install 'dreamreel[studio]'); nothing here is imported by the rest of
dreamreel. Modules: app (page and launch), panel (run/cancel/progress/command line), queue (one worker, FIFO),
gallery (results + settings.json), uploads (size caps, decoding checks), pickers, forms (controls from settings
dataclasses), runner (the adapter to dreamreel.jobs), one module per tab.
"""

from .app import build, launch

__all__ = ["build", "launch"]
