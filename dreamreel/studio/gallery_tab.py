"""The Gallery tab: every finished result (this run of the studio and earlier ones), its settings and command line.

build(studio, tab) -> None       refreshed whenever the tab is opened
gallery_entries(gallery) -> [(result path, caption)]
"""

from __future__ import annotations

import json

import gradio as gr

MAX_SHOWN = 200


def gallery_entries(gallery) -> list[tuple[str, str]]:
    return [(str(item.result), f"{item.kind} · {item.id}") for item in gallery.items()[:MAX_SHOWN]]


def build(studio, tab) -> None:
    gr.HTML(f'<p class="dr-hint">Results are kept in <code>{studio.gallery.root}</code>, each folder with a '
            f"<code>settings.json</code>.</p>")
    with gr.Row(equal_height=False):
        with gr.Column(scale=7):
            shown = gr.Gallery(gallery_entries(studio.gallery), label="Results", columns=4, height=560,
                               object_fit="cover", elem_id="gallery-items", buttons=["download", "fullscreen"])
            refresh = gr.Button("Refresh", size="sm", elem_id="gallery-refresh")
        with gr.Column(scale=5):
            command = gr.Textbox("", label="The same in a terminal", lines=1, max_lines=4, interactive=False,
                                 buttons=["copy"], elem_id="gallery-command", elem_classes=["dr-command"])
            settings = gr.Code("", language="json", label="settings.json", lines=12, interactive=False,
                               elem_id="gallery-settings")
            download = gr.File(label="Download", interactive=False, elem_id="gallery-download")
    ids = gr.State([item.id for item in studio.gallery.items()[:MAX_SHOWN]])

    def reload():
        return gallery_entries(studio.gallery), [item.id for item in studio.gallery.items()[:MAX_SHOWN]]

    def select(item_ids, event: gr.SelectData):
        item = studio.gallery.find(item_ids[event.index]) if 0 <= event.index < len(item_ids) else None
        if item is None:
            return "", "", None
        return item.command, json.dumps(item.record, indent=2), str(item.result)

    refresh.click(reload, None, [shown, ids], show_progress="hidden")
    tab.select(reload, None, [shown, ids], show_progress="hidden")
    shown.select(select, [ids], [command, settings, download], show_progress="hidden")
