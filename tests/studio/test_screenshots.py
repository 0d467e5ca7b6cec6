"""The README's pictures of the studio: each tab with a real result made by the real default weights, taken by the
same browser code as the tests. Runs only with DREAMREEL_SCREENSHOTS=1 (it rewrites examples/studio_*.png):

    DREAMREEL_SCREENSHOTS=1 python -m pytest tests/studio/test_screenshots.py -m integration
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from studio_fixtures import Page, browser, free_port, gradio  # noqa: F401

# gradio's own queue uses pandas calls that pandas 3 deprecates: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LONG = 1800.0  # seconds: real weights on a shared CPU


def finish(page: Page, tab: str) -> None:
    def state() -> str:
        refused = page.driver.find_elements(page.by.CSS_SELECTOR, f"#{tab}-message .dr-error")
        return "refused" if refused else page.find(f"#{tab}-progress .dr-progress").get_attribute("data-state")

    page.click(f"{tab}-run")
    page.wait(lambda: state() in ("done", "failed", "refused"), f"the {tab} job", timeout=LONG)
    assert state() == "done", page.text(f"{tab}-message")
    time.sleep(1.5)  # a picture, not a measurement: let the page settle (the Run button comes back from pending)


@pytest.mark.integration
def test_screenshots_of_every_tab(browser, tmp_path):
    if os.environ.get("DREAMREEL_SCREENSHOTS") != "1":
        pytest.skip("set DREAMREEL_SCREENSHOTS=1 to retake examples/studio_*.png")
    from dreamreel.studio import launch

    studio, url = launch("127.0.0.1", free_port(), block=False, home=tmp_path / "studio")
    try:
        browser.set_window_size(1400, 1250)
        page = Page(browser, url).open()
        [opener] = [b for b in page.driver.find_elements(page.by.CSS_SELECTOR, "button")
                    if b.text.startswith("What each layer dreams")]
        opener.click()
        page.click("dream-atlas-run")  # queued first: the dream below waits for it, as a user's would
        page.set_value("dream-max-side", 448)
        finish(page, "dream")
        assert "atlas.png" in page.image_src("dream-atlas")
        page.screenshot("dream")

        page.tab("Style")
        for elem_id, value in (("style-size", 320), ("style-iterations", 60)):
            page.set_value(elem_id, value)
        finish(page, "style")
        page.screenshot("style")

        page.tab("Animate")
        for elem_id, value in (("animate-width", 320), ("animate-height", 320), ("animate-frames", 36)):
            page.set_value(elem_id, value)
        finish(page, "animate")
        page.screenshot("animate")

        page.tab("Clip")
        page.upload("clip-input", EXAMPLES / "demo_clip.mp4")
        page.wait(lambda: page.driver.find_elements(page.by.CSS_SELECTOR, "#clip-input-preview video"),
                  "the clip's preview")
        page.set_value("clip-end", 1.5)
        finish(page, "clip")
        page.screenshot("clip")

        page.tab("Gallery")
        page.wait(lambda: len(page.driver.find_elements(page.by.CSS_SELECTOR, "#gallery-items button img")) >= 2,
                  "the gallery's thumbnails")
        page.driver.find_elements(page.by.CSS_SELECTOR, "#gallery-items button img")[0].click()
        page.wait(lambda: page.value("gallery-command").startswith("dreamreel "), "the item's command line")
        page.screenshot("gallery")
    finally:
        studio.close()
