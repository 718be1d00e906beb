"""The bookmarks file: atomic, backed up, never lost, and tied to the article's identity."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from desktop.bookmarks import Bookmark, BookmarkFileError, BookmarkStore
from index import Library


@pytest.fixture
def library(tmp_path: Path, corpora: Path) -> Library:
    articles = tmp_path / "articles"
    shutil.copytree(corpora / "seeds", articles)
    lib = Library(tmp_path / "library")
    lib.add_folder(articles)
    lib.sync()
    return lib


def first_article_id(library: Library, query: str) -> str:
    from index import SearchRequest

    return library.search(SearchRequest(query)).hits[0].id


def test_put_remove_and_reload(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "data" / "bookmarks.json"
    store = BookmarkStore(path)
    article = library.get(first_article_id(library, "Sakellis"))
    assert article is not None
    store.put(Bookmark.from_article(article, ("ukraine", " dance ", "ukraine"), "two outlets"))
    again = BookmarkStore(path).get(article.id)
    assert again is not None
    assert again.tags == ("ukraine", "dance") and again.note == "two outlets"
    assert again.sha256 == article.sha256 and again.path == article.path
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["version"] == 1  # human-readable, versioned
    assert store.ids_with_tag("UKRAINE") == frozenset({article.id})
    assert store.tags() == {"dance": 1, "ukraine": 1}
    assert store.remove(article.id) and not store.remove(article.id)
    assert BookmarkStore(path).all() == []


def test_every_write_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "bookmarks.json"
    store = BookmarkStore(path)
    store.put(Bookmark(id="a", title="A", path="/a"))
    store.put(Bookmark(id="b", title="B", path="/b"))
    backup = json.loads((tmp_path / "bookmarks.json.bak").read_text(encoding="utf-8"))
    assert [b["id"] for b in backup["bookmarks"]] == ["a"]
    assert not list(tmp_path.glob(".bookmarks.json.*"))  # no temporary files left behind


def test_a_damaged_file_is_set_aside_and_the_backup_restored(tmp_path: Path) -> None:
    path = tmp_path / "bookmarks.json"
    store = BookmarkStore(path)
    store.put(Bookmark(id="a", title="A", path="/a"))
    store.put(Bookmark(id="b", title="B", path="/b"))
    path.write_text('{"version": 1, "bookmarks": [{"id": "a", "ti', encoding="utf-8")
    reopened = BookmarkStore(path)
    assert [b.id for b in reopened.all()] == ["a"]  # the backup's contents
    assert reopened.warning is not None and "damaged" in reopened.warning
    damaged = list(tmp_path.glob("bookmarks.json.damaged-*"))
    assert len(damaged) == 1 and damaged[0].read_text(encoding="utf-8").endswith('"ti')
    reopened.put(Bookmark(id="c", title="C", path="/c"))
    assert {b.id for b in BookmarkStore(path).all()} == {"a", "c"}


def test_damage_without_backup_loses_nothing_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "bookmarks.json"
    path.write_bytes(b"\x00\xff not json")
    store = BookmarkStore(path)
    assert store.all() == []
    assert store.warning is not None and "nothing was deleted" in store.warning
    (aside,) = tmp_path.glob("bookmarks.json.damaged-*")
    assert aside.read_bytes() == b"\x00\xff not json"


def test_a_newer_format_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "bookmarks.json"
    path.write_text(json.dumps({"version": 99, "bookmarks": []}), encoding="utf-8")
    store = BookmarkStore(path)
    assert store.all() == []
    assert store.warning is not None and "newer" in store.warning
    assert list(tmp_path.glob("bookmarks.json.damaged-*"))


def test_two_writers_do_not_lose_each_others_bookmarks(tmp_path: Path) -> None:
    path = tmp_path / "bookmarks.json"
    window, command_line = BookmarkStore(path), BookmarkStore(path)
    window.all()
    command_line.put(Bookmark(id="cli", title="From the command line", path="/c"))
    window.put(Bookmark(id="gui", title="From the window", path="/g"))
    assert {b.id for b in BookmarkStore(path).all()} == {"cli", "gui"}


def test_export_and_import(tmp_path: Path) -> None:
    store = BookmarkStore(tmp_path / "one.json")
    store.put(Bookmark(id="a", title="Alpha, with comma", path="/a", tags=("x",), note="Line"))
    store.put(Bookmark(id="b", title="Beta", path="/b", source="Outlet", date="2022-03-05"))
    markdown = store.export(".md")
    assert "- **Alpha, with comma**" in markdown and "Beta** — Outlet · 2022-03-05" in markdown
    rows = list(csv.reader(io.StringIO(store.export(".csv"))))
    assert rows[0][:3] == ["id", "title", "source"]
    assert {row[1] for row in rows[1:]} == {"Alpha, with comma", "Beta"}
    other = BookmarkStore(tmp_path / "two.json")
    other.put(Bookmark(id="a", title="Alpha", path="/a", tags=("y",)))
    assert other.import_json(store.export(".json")) == 2
    merged = other.get("a")
    assert merged is not None and merged.tags == ("y", "x") and merged.note == "Line"
    assert other.get("b") is not None
    with pytest.raises(BookmarkFileError):
        other.import_json("[1, 2, 3]")


def test_reattach_after_the_article_got_a_new_id(tmp_path: Path, library: Library) -> None:
    store = BookmarkStore(tmp_path / "bookmarks.json")
    article = library.get(first_article_id(library, "Sakellis"))
    assert article is not None
    # A bookmark from before a rebuild: its id is gone, its file and bytes are not.
    store.put(
        Bookmark(
            id="0000000000000000",
            title=article.title,
            path=article.path,
            sha256=article.sha256,
            tags=("kept",),
        )
    )
    assert store.reattach(library) == 1
    moved = store.get(article.id)
    assert moved is not None and moved.tags == ("kept",)
    assert store.get("0000000000000000") is None
