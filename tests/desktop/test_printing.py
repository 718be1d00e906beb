"""Printing to PDF: the citation header and the words come out as written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.printing import export_pdf
from index import Library

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_has_citation_and_extractable_words(
    qapp: QApplication, tmp_path: Path, corpora: Path
) -> None:
    library = Library(tmp_path / "library")
    library.add_folder(corpora / "seeds")
    library.sync()
    article = library.get(str(corpora / "seeds" / "002_4eb3baba7c0f491b.txt"))
    assert article is not None
    out = tmp_path / "article.pdf"
    spans = library.hit_spans("baranova", article.text)
    export_pdf(article, out, spans, printed_on=datetime(2026, 11, 22, 10, 30))
    text = pdf_text(out)
    flat = " ".join(text.split())
    assert "Please Come Back To Us" in flat
    assert "Taylor Sakellis" in flat
    assert article.path in flat
    assert "Printed on 22 November 2026, 10:30" in flat
    assert "Baranova 27 is the address" in flat
    # No ligatures: "fi" and "fl" stay two letters.
    assert "\ufb01" not in text and "\ufb02" not in text
    assert "fleeing Ukraine" in flat  # "fl" would become one glyph with ligatures on
    library.close()


def test_print_command_writes_a_pdf(tmp_path: Path, corpora: Path) -> None:
    base = tmp_path / "base"
    run = [sys.executable, "-m", "desktop", "--basedir", str(base)]
    subprocess.run([*run, "index", str(corpora / "bbc" / "tech")], check=True, capture_output=True)
    found = subprocess.run(
        [*run, "search", "broadband", "--json", "--limit", "1"],
        check=True,
        capture_output=True,
        text=True,
    )
    hit = json.loads(found.stdout)["hits"][0]
    out = tmp_path / "out.pdf"
    printed = subprocess.run(
        [*run, "print", hit["id"], "--pdf", str(out), "--highlight", "broadband"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    text = " ".join(pdf_text(out).split())
    assert hit["title"] in text
    assert "broadband" in text.lower()
    missing = subprocess.run(
        [*run, "print", "nope", "--pdf", str(out)], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1
