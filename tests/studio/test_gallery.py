"""The gallery folder: items published whole, kept across restarts, staging cleared, broken items skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass

from dreamreel import __version__
from dreamreel.studio.gallery import SETTINGS_FILE, Gallery, new_item_id, plain, record_of


@dataclass(frozen=True)
class Settings:
    steps: int = 3
    layers: tuple = ("a", "b")


@dataclass(frozen=True)
class Job:
    input: str
    output: str
    settings: Settings = Settings()
    max_side: int | None = None


def publish(gallery, text="pixels", kind="dream"):
    item_id = new_item_id()
    folder = gallery.stage(item_id)
    (folder / "dream.png").write_text(text)
    job = Job("in.png", str(gallery.final(item_id) / "dream.png"))
    return gallery.publish(item_id, record_of(job, kind, "dreamreel dream in.png -o x", "dream.png"))


def test_publish_moves_the_whole_item_in_with_its_settings(tmp_path):
    gallery = Gallery(tmp_path)
    item = publish(gallery)
    assert item.folder == tmp_path / item.id and item.result.read_text() == "pixels"
    record = json.loads((item.folder / SETTINGS_FILE).read_text())
    assert record == item.record
    assert record["job"] == {"input": "in.png", "output": str(item.result),
                             "settings": {"steps": 3, "layers": ["a", "b"]}, "max_side": None}
    assert record["dreamreel"] == __version__ and record["kind"] == "dream"
    assert record["command"] == "dreamreel dream in.png -o x"
    assert not list(gallery.staging.iterdir())


def test_items_survive_a_restart_newest_first_and_staging_is_cleared(tmp_path):
    gallery = Gallery(tmp_path)
    first, second = publish(gallery, "1"), publish(gallery, "2")
    leftover = gallery.stage(new_item_id())  # a job that was running when the studio was killed
    (leftover / "half.png").write_text("half")
    reopened = Gallery(tmp_path)
    assert [item.id for item in reopened.items()] == sorted([first.id, second.id], reverse=True)
    assert reopened.find(first.id).result.read_text() == "1"
    assert not leftover.exists()


def test_broken_items_are_skipped_not_fatal(tmp_path):
    gallery = Gallery(tmp_path)
    good = publish(gallery)
    (tmp_path / "no-settings").mkdir()
    bad_json = tmp_path / "bad-json"
    bad_json.mkdir()
    (bad_json / SETTINGS_FILE).write_text("{not json")
    gone = publish(gallery)
    gone.result.unlink()
    (tmp_path / "a-file.txt").write_text("not an item")
    assert [item.id for item in gallery.items()] == [good.id]
    assert gallery.find("no-such-id") is None


def test_discard_removes_a_staged_item(tmp_path):
    gallery = Gallery(tmp_path)
    folder = gallery.stage("x")
    (folder / "partial.mp4").write_text("half")
    gallery.discard("x")
    assert not folder.exists() and gallery.items() == []


def test_ids_sort_by_time_and_differ():
    ids = [new_item_id() for _ in range(50)]
    assert len(set(ids)) == 50 and ids == sorted(ids)


def test_plain_turns_jobs_into_json_data(tmp_path):
    data = plain(Job("a", "b", Settings(5, ("x",)), 64))
    assert json.loads(json.dumps(data)) == {"input": "a", "output": "b", "settings": {"steps": 5, "layers": ["x"]},
                                           "max_side": 64}
    assert plain(tmp_path) == str(tmp_path)
