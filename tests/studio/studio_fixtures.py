"""Fixtures of the studio tests: a studio served on a free loopback port with the tiny model, a real headless
Chromium driven by Selenium (Debian's chromium + chromium-driver; `.ci/run` installs them), and Page, the few
gestures the tests make on it. Without the browser the browser tests skip locally, but fail under CI (CI=true).

Test modules import these fixtures by name: a second conftest.py would replace the `conftest` module that other
test files import helpers from.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--window-size=1400,1300")
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first(paths) -> str | None:
    return next((p for p in paths if os.access(p, os.X_OK)), None)


def missing(reason: str):
    """Skip on a developer's machine; under CI the browser tests must run, so the same gap fails there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium and chromium-driver)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def gradio():
    try:
        import gradio
    except ImportError:
        missing("gradio is not installed (pip install '.[studio]')")
    return gradio


@pytest.fixture(scope="session")
def browser(gradio):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium is not installed (pip install '.[test]')")
    binary, driver_path = _first(CHROMIUM), _first(DRIVER)
    if not binary or not driver_path:
        missing("Chromium or its driver is missing (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="dreamreel-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def studio_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("studio-home")


@pytest.fixture(scope="session")
def tiny_vgg16(tiny_model):  # tiny_model: tests/conftest.py
    """The tiny random VGG under the name "vgg16", as the job tests use it: jobs check layer names against the
    registered vgg16 (which has every tiny layer), the page offers the tiny layers, and the loader returns it."""
    from dreamreel.models import Model

    return Model(params=tiny_model.params, spec=dataclasses.replace(tiny_model.spec, name="vgg16"))


@pytest.fixture(scope="session")
def served(gradio, tiny_vgg16, studio_home):
    """(studio, url): the real page, queue and jobs, on the tiny network."""
    from dreamreel.studio import launch

    studio, url = launch("127.0.0.1", free_port(), block=False, home=studio_home,
                         load_model=lambda name: tiny_vgg16, models=[tiny_vgg16.spec])
    yield studio, url
    studio.close()


@pytest.fixture
def photo_file(tmp_path) -> Path:
    from conftest import photo

    from dreamreel.io import write_image

    return write_image(tmp_path / "photo.png", photo((64, 64)))


@pytest.fixture
def not_an_image(tmp_path) -> Path:
    path = tmp_path / "holiday.png"
    path.write_text("this is a text file wearing a .png name\n")
    return path


class Page:
    """The studio in the browser, addressed by the elem_ids the page gives its widgets."""

    def __init__(self, driver, url: str):
        from selenium.webdriver.common.by import By

        self.driver, self.url, self.by = driver, url, By

    def open(self) -> "Page":
        self.driver.get(self.url)
        self.wait(lambda: self.driver.find_elements(self.by.ID, "dream-run"), "the page to load")
        return self

    def wait(self, condition, what: str, timeout: float = 120.0):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
            lambda _: condition(), message=f"waited {timeout:.0f} s for {what}")

    def find(self, css: str):
        return self.driver.find_element(self.by.CSS_SELECTOR, css)

    def tab(self, label: str) -> None:
        buttons = [b for b in self.driver.find_elements(self.by.CSS_SELECTOR, "button[role=tab]")
                   if b.text.strip() == label]
        buttons[0].click()
        self.wait(lambda: self.find(f"#tab-{label.lower()}").is_displayed(), f"the {label} tab")

    def upload(self, key: str, path) -> None:
        """Choose a file with the upload button of picker `key` (its hidden file input comes just before it)."""
        self.find(f"input[type=file]:has(+ #{key}-upload)").send_keys(str(path))

    def set_value(self, elem_id: str, value) -> None:
        """Type into a number box, a slider's box or a text box, then leave it so the page takes the value."""
        from selenium.webdriver.common.keys import Keys

        box = self.find(f"#{elem_id} input[type=number], #{elem_id} textarea, #{elem_id} input[type=text]")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(str(value))
        box.send_keys(Keys.TAB)

    def text(self, elem_id: str) -> str:
        return self.find(f"#{elem_id}").text.strip()

    def value(self, elem_id: str) -> str:
        return self.find(f"#{elem_id} textarea, #{elem_id} input").get_attribute("value") or ""

    def click(self, elem_id: str) -> None:
        self.find(f"#{elem_id}").click()

    def image_src(self, elem_id: str) -> str:
        images = self.driver.find_elements(self.by.CSS_SELECTOR, f"#{elem_id} img")
        return (images[0].get_attribute("src") or "") if images else ""

    def image_pixels(self, elem_id: str):
        """The picture the page shows in `elem_id`, downloaded from the page's own URL and decoded."""
        import urllib.request

        import imageio.v3 as iio

        with urllib.request.urlopen(self.image_src(elem_id), timeout=30) as response:
            return iio.imread(response.read())

    def screenshot(self, name: str) -> None:
        """examples/studio_<name>.png, only when DREAMREEL_SCREENSHOTS=1 (so test runs never rewrite the tree)."""
        if os.environ.get("DREAMREEL_SCREENSHOTS") == "1":
            self.driver.execute_script("window.scrollTo(0, 0)")
            folder = Path(__file__).resolve().parents[2] / "examples"
            self.driver.save_screenshot(str(folder / f"studio_{name}.png"))


@pytest.fixture
def page(browser, served) -> Page:
    return Page(browser, served[1]).open()
