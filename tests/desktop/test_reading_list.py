"""Reading lists: selected results or tagged bookmarks as one PDF (cover, then articles) or HTML."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.reading_list import export_reading_list, reading_list_html
from index import Library
from tests.desktop.conftest import WindowFactory
from tests.desktop.test_window import WAIT_MS, search_for

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
REPO_ROOT = Path(__file__).resolve().parents[2]
WHEN = datetime(2026, 11, 23, 9, 15)


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def seeds_library(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("list"))
    library.add_folder(corpora / "seeds")
    library.sync()
    yield library
    library.close()


def test_pdf_has_a_cover_then_each_article_on_its_own_pages(
    qapp: QApplication, seeds_library: Library, corpora: Path, tmp_path: Path
) -> None:
    articles = [seeds_library.get(str(p)) for p in sorted((corpora / "seeds").glob("*.txt"))]
    assert all(articles)
    out = tmp_path / "list.pdf"

    export_reading_list("Maks in Poland", articles, out, made_on=WHEN)  # type: ignore[arg-type]

    pages = pdf_pages(out)
    cover = pages[0]
    assert cover.startswith("Maks in Poland")
    assert "2 articles · made with Reading Room on 23 November 2026, 09:15" in cover
    assert "1. ET has learned that Maks" in cover and "2. 'Dancing With The Stars'" in cover
    # The first article starts on page 2; the second starts on a fresh page after it.
    assert pages[1].startswith("ET has learned that Maks")
    second = next(i for i, page in enumerate(pages) if page.startswith("'Dancing With The"))
    assert second > 1
    assert "Taylor Sakellis" in pages[second]  # its citation header
    assert "Baranova 27 is the address" in " ".join(pages[second:])


def test_html_is_one_safe_file(seeds_library: Library, corpora: Path) -> None:
    article = seeds_library.get(str(corpora / "seeds" / "002_4eb3baba7c0f491b.txt"))
    assert article is not None
    hostile = replace(article, title="<script>fetch('http://x')</script>", text="<img src=x>")

    page = reading_list_html("<b>List</b>", [article, hostile], made_on=WHEN)

    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page.lower()
    assert "<title>&lt;b&gt;List&lt;/b&gt;</title>" in page
    assert 'href="#article-1"' in page and 'id="article-1"' in page
    assert html.escape("'Dancing With The Stars'") in page
    assert "&lt;script&gt;fetch" in page and "&lt;img src=x&gt;" in page
    assert not re.search(r"(src|href)=\"(https?:|//)", page)  # nothing to fetch


def test_command_line_reading_list_of_a_tag(tmp_path: Path, corpora: Path) -> None:
    base = tmp_path / "base"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop", "--basedir", str(base), *args],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=120,
        )

    assert run("index", str(corpora / "seeds")).returncode == 0
    found = json.loads(run("search", "chmerkovskiy", "--all-versions", "--json").stdout)
    for hit in found["hits"]:
        assert run("bookmarks", "add", hit["id"], "--tag", "ukraine").returncode == 0

    made = run("reading-list", "--tag", "ukraine", "-o", str(tmp_path / "ukraine.pdf"))
    page = run("reading-list", "--tag", "ukraine", "-o", str(tmp_path / "ukraine.html"))
    nothing = run("reading-list", "--tag", "nope", "-o", str(tmp_path / "nope.pdf"))

    assert made.returncode == 0 and "2 articles" in made.stdout
    assert pdf_pages(tmp_path / "ukraine.pdf")[0].startswith("Reading list: ukraine")
    assert page.returncode == 0 and "<!DOCTYPE html>" in (tmp_path / "ukraine.html").read_text()
    assert nothing.returncode == 1 and "no articles" in nothing.stderr
    assert not (tmp_path / "nope.pdf").exists()


def test_export_the_selected_results_from_the_window(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path, tmp_path: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "profit")
    qtbot.waitUntil(lambda: window.results_model.rowCount() >= 3, timeout=WAIT_MS)
    selection = window.results_view.selectionModel()
    for row in (0, 2):
        selection.select(window.results_model.index(row), selection.SelectionFlag.Select)
    ids = window.selected_ids()
    assert len(ids) == 2
    out = tmp_path / "two.pdf"

    window.export_reading_list(ids, "Two results", out)

    qtbot.waitUntil(
        lambda: "Wrote two.pdf: 2 articles" in window.status_label.text(), timeout=WAIT_MS
    )
    pages = pdf_pages(out)
    first = window.results_model.hit(0)
    assert first is not None and pages[0].startswith("Two results")
    assert f"1. {first.title}" in pages[0]
