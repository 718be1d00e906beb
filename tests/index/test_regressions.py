"""Defects found in review, each pinned by a test on a real index."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index import Library, SearchRequest
from index.extract import parse_bounded


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_deleted_file_does_not_make_the_next_run_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    for i in range(6):
        write(folder, f"{i}.txt", f"Title {i}\n\nBody word{i}.\n")
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    (folder / "3.txt").unlink()
    assert library.sync().removed == 1
    again = library.sync()
    assert again.rebuilt is None and again.unchanged == 5


def test_a_new_file_never_takes_the_id_of_one_that_vanished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.indexer

    folder = tmp_path / "a"
    a = write(folder, "a.txt", "Alpha\n\nFirst content of alpha.\n")
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    a.write_text("Alpha\n\nSecond content of alpha.\n", encoding="utf-8")
    library.sync()
    a.unlink()
    write(folder, "zz.txt", "Alpha\n\nFirst content of alpha.\n")
    monkeypatch.setattr(index.indexer, "BATCH_DOCS", 1)  # every file its own commit
    library.sync()
    assert library.count() == 1
    assert library.search(SearchRequest("alpha")).total == 1
    assert library.sync().unchanged == 1


def test_an_unavailable_folder_keeps_its_articles(tmp_path: Path) -> None:
    folder = tmp_path / "drive"
    write(folder, "one.txt", "One\n\nArticle on the external drive.\n")
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    shutil.move(folder, tmp_path / "unplugged")
    report = library.sync()
    assert report.removed == 0 and library.count() == 1
    (problem,) = library.problems()
    assert "Folder not available" in problem.reason
    shutil.move(tmp_path / "unplugged", folder)
    assert library.sync().unchanged == 1 and library.problems() == []


def test_a_folder_name_that_is_not_utf8_is_indexed(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    odd = os.fsencode(root) + b"/caf\xe9"
    os.mkdir(odd)
    with open(odd + b"/menu.txt", "w", encoding="utf-8") as handle:
        handle.write("Menu\n\nCroissants and strong coffee.\n")
    write(root, "plain.txt", "Plain\n\nAnother article.\n")
    library = Library(tmp_path / "data")
    library.add_folder(root)
    report = library.sync()
    assert report.added == 2 and report.problems == 0
    assert library.search(SearchRequest("croissants")).total == 1


def test_yaml_aliases_cannot_blow_up_memory() -> None:
    bomb = (
        b"---\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        b"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
        b"title: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\nBody.\n"
    )
    article = parse_bounded(Path("bomb.md"), "markdown", bomb)
    assert len(article.title) <= 300


def test_control_characters_never_reach_the_text() -> None:
    article = parse_bounded(
        Path("esc.txt"), "text", b"\x1b]0;PWNED\x07Title\n\nBody \x1b[31mred\x1b[0m.\n"
    )
    assert "\x1b" not in article.title + article.text and "\x07" not in article.title


def test_filters_are_forgiving_about_case_and_folder_names(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    write(folder, "politics/a.md", "---\ntitle: A\nsource: The Courier\n---\nBudget vote.\n")
    write(folder, "sport/b.md", "---\ntitle: B\nsource: The Courier\n---\nBudget for the club.\n")
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    from index import Filters

    by_source = library.search(SearchRequest("budget", filters=Filters(sources=("the courier",))))
    assert by_source.total == 2
    by_name = library.search(SearchRequest("budget", filters=Filters(folders=("politics",))))
    assert [hit.title for hit in by_name.hits] == ["A"]
    newest = library.search(SearchRequest("budget", sort=__import__("index").SortOrder.NEWEST))
    assert all(hit.score is None for hit in newest.hits)
