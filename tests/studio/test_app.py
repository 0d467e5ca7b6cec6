"""The studio in a real browser (headless Chromium): upload, dream, see the result's pixels, cancel, bad uploads, two
tabs at once. The studio runs in-process on a free loopback port with the tiny random VGG and 64 px images."""

from __future__ import annotations

import numpy as np
import pytest

from studio_fixtures import (Page, browser, gradio, not_an_image, page, photo_file, served,  # noqa: F401
                             studio_home, tiny_vgg16)

# gradio's own queue uses pandas calls that pandas 3 deprecates: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


def progress_state(page: Page, tab: str) -> str:
    return page.find(f"#{tab}-progress .dr-progress").get_attribute("data-state")


def items_of(studio, kind: str):
    return [item for item in studio.gallery.items() if item.kind == kind]


def start_small_animation(page: Page, frames: int = 400) -> None:
    page.tab("Animate")
    for elem_id, value in (("animate-width", 64), ("animate-height", 64), ("animate-frames", frames),
                           ("animate-steps", 1), ("animate-layers", "block3_conv2")):
        page.set_value(elem_id, value)
    page.click("animate-run")
    page.wait(lambda: progress_state(page, "animate") == "running" and "frames" in page.text("animate-progress"),
              "the animation to render frames")


def test_dream_shows_the_result_saved_in_the_gallery(page, served, photo_file):
    studio = served[0]
    before = {item.id for item in studio.gallery.items()}
    page.upload("dream-photo", photo_file)
    page.wait(lambda: "sky" not in page.image_src("dream-photo-preview"), "the uploaded photo's preview")
    for elem_id, value in (("dream-octaves", 1), ("dream-steps", 3), ("dream-max-side", 64)):
        page.set_value(elem_id, value)
    page.click("dream-run")
    page.wait(lambda: progress_state(page, "dream") in ("done", "failed"), "the dream to finish")
    assert progress_state(page, "dream") == "done", page.text("dream-message")

    [item] = [item for item in items_of(studio, "dream") if item.id not in before]
    page.wait(lambda: item.result.name in page.image_src("dream-result"), "the result image")
    shown = page.image_pixels("dream-result")
    import imageio.v3 as iio

    saved, uploaded = iio.imread(item.result), iio.imread(photo_file)
    assert shown.shape == saved.shape == (64, 64, 3)
    np.testing.assert_array_equal(shown, saved)  # the page shows exactly the file in the gallery
    assert np.abs(saved.astype(int) - uploaded.astype(int)).mean() > 1.0  # and it is a dream, not the photo
    command = page.value("dream-command")
    assert command.startswith("dreamreel dream ") and str(item.folder) in command
    assert item.record["command"] == command and (item.folder / "settings.json").is_file()
    page.screenshot("dream")


def test_bad_upload_shows_one_line_and_no_traceback(page, not_an_image):
    page.upload("dream-photo", not_an_image)
    page.wait(lambda: page.text("dream-photo-error"), "the upload's error")
    error = page.text("dream-photo-error")
    assert error == "holiday.png is not an image dreamreel can read; upload a PNG, JPEG or WebP photo"
    page.click("dream-run")  # the rejected upload left no photo chosen: the page says so, in one line
    page.wait(lambda: page.text("dream-message"), "the run's error")
    assert page.text("dream-message") == "choose a photo first: upload one or pick a sample"
    assert "Traceback" not in page.driver.page_source


def test_cancel_stops_an_animation_and_leaves_nothing(page, served, studio_home):
    studio = served[0]
    before = {item.id for item in studio.gallery.items()}
    start_small_animation(page)
    page.click("animate-run")  # a second press while the first job runs is refused, in one line
    page.wait(lambda: page.text("animate-message"), "the refusal")
    assert page.text("animate-message") == "this tab's job is not finished yet: wait for it, or press Cancel"
    page.click("animate-cancel")
    page.wait(lambda: progress_state(page, "animate") == "cancelled", "the animation to stop")
    assert "cancelled" in page.text("animate-progress")
    assert not [item for item in studio.gallery.items() if item.id not in before]
    assert not list(studio.gallery.staging.iterdir())  # the job's staging folder is gone
    assert not [p for p in studio_home.rglob("*") if p.suffix in (".mp4", ".gif") or ".part" in p.name]


def test_two_tabs_keep_their_own_jobs(page, served):
    driver = page.driver
    first = driver.current_window_handle
    start_small_animation(page)
    driver.switch_to.new_window("tab")
    try:
        other = Page(driver, page.url).open()
        other.click("dream-run")  # the sample photo: waits behind the first tab's animation
        other.wait(lambda: "number 1 in the queue" in other.text("dream-progress"), "the queue position")
        other.click("dream-cancel")
        other.wait(lambda: progress_state(other, "dream") == "cancelled", "the second tab's job to be cancelled")
    finally:
        driver.close()
        driver.switch_to.window(first)
    assert progress_state(page, "animate") == "running"  # the first tab's job did not notice
    page.click("animate-cancel")
    page.wait(lambda: progress_state(page, "animate") == "cancelled", "the animation to stop")


@pytest.mark.parametrize("tab", ["Style", "Animate", "Clip", "Gallery"])
def test_every_tab_opens(page, tab):
    page.tab(tab)
    assert "Traceback" not in page.driver.page_source
    page.screenshot(tab.lower())


def test_gallery_tab_lists_results_with_their_command(page, served, photo_file):
    import shutil

    from dreamreel.studio.gallery import new_item_id, record_of

    studio = served[0]
    item_id = new_item_id()  # a result from an earlier run of the studio: a folder with settings.json
    shutil.copy(photo_file, studio.gallery.stage(item_id) / "dream.png")
    studio.gallery.publish(item_id, record_of({"input": "photo.png"}, "dream", "dreamreel dream photo.png -o x.png",
                                              "dream.png"))
    page.tab("Gallery")
    thumbnails = "#gallery-items button img"
    page.wait(lambda: page.driver.find_elements(page.by.CSS_SELECTOR, thumbnails), "the gallery's thumbnails")
    page.driver.find_elements(page.by.CSS_SELECTOR, thumbnails)[0].click()  # newest first
    page.wait(lambda: page.value("gallery-command") == "dreamreel dream photo.png -o x.png", "the item's command")
    assert '"input": "photo.png"' in page.find("#gallery-settings").text
