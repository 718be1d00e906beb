"""The `readingroom` command line, run as a real process over a temporary base directory."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
SEEDS = CORPORA / "seeds"


def run(
    basedir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--basedir", str(basedir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    basedir = tmp_path_factory.mktemp("base")
    result = run(basedir, "index", str(SEEDS))
    assert result.returncode == 0, result.stderr
    return basedir


def test_version_and_help() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("readingroom ")
    helped = subprocess.run(
        [sys.executable, "-m", "desktop", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("index", "search", "show", "folders", "problems", "--basedir"):
        assert command in helped.stdout


def test_index_piped_prints_one_summary_line(tmp_path: Path) -> None:
    result = run(tmp_path, "index", str(SEEDS))
    assert result.returncode == 0
    summary = [line for line in result.stdout.splitlines() if line.startswith("Indexed")]
    assert len(summary) == 1
    assert "2 added" in summary[0] and "2 articles in the library" in summary[0]
    assert "\r" not in result.stderr  # no progress bar when not on a terminal
    again = run(tmp_path, "index")
    assert "2 unchanged" in again.stdout


def test_index_on_a_terminal_shows_progress(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--basedir", str(tmp_path), "index", str(SEEDS)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(controller)
    text = output.decode("utf-8", "replace")
    assert "Indexing" in text and "2/2" in text
    assert process.returncode == 0


def test_search_human_output(seeded: Path) -> None:
    result = run(seeded, "search", "chmerkovskiy", "poland")
    assert result.returncode == 0
    assert "2 articles for “chmerkovskiy poland”" in result.stdout
    # The two seeds are one story: it shows once, as its best-placed version.
    assert "1 more version of listed stories is folded in" in result.stdout
    assert "2 versions · seeds (readingroom stories " in result.stdout
    assert str(SEEDS.resolve() / "000_b3affed6fcba6295.txt") in result.stdout
    every = run(seeded, "search", "chmerkovskiy", "poland", "--all-versions")
    assert str(SEEDS.resolve() / "002_4eb3baba7c0f491b.txt") in every.stdout
    assert "Dancing With The Stars" in every.stdout
    assert "<mark>" not in result.stdout  # marks become terminal bold or plain text


def test_search_json_contract(seeded: Path) -> None:
    result = run(seeded, "search", "baranova 27", "--json")
    data = json.loads(result.stdout)
    assert {"query", "total", "elapsed_ms", "suggestion", "facets", "hits"} <= data.keys()
    assert set(data["facets"]) == {"source", "year", "folder"}
    assert data["query"] == "baranova 27"
    assert data["total"] == 2
    hit = data["hits"][0]
    assert {"id", "path", "title", "source", "author", "date", "score", "snippets"} <= hit.keys()
    assert any("<mark>Baranova</mark>" in s for s in hit["snippets"])


def test_search_sort_limit_and_suggestion(seeded: Path) -> None:
    limited = json.loads(run(seeded, "search", "ukraine", "--limit", "1", "--json").stdout)
    assert limited["total"] == 2 and len(limited["hits"]) == 1
    titled = json.loads(run(seeded, "search", "ukraine", "--sort", "title", "--json").stdout)
    titles = [h["title"] for h in titled["hits"]]
    assert titles == sorted(titles, key=lambda t: t.casefold().lstrip("'\""))
    misspelt = json.loads(run(seeded, "search", "chmerkovsky", "--json").stdout)
    assert misspelt["total"] == 0 and misspelt["suggestion"] == "chmerkovskiy"


def test_show_by_id_and_path(seeded: Path) -> None:
    hit = json.loads(run(seeded, "search", "Sakellis", "--json").stdout)["hits"][0]
    by_id = json.loads(run(seeded, "show", hit["id"], "--json").stdout)
    assert {"id", "path", "title", "source", "author", "date", "words", "text"} <= by_id.keys()
    assert by_id["author"] == "Taylor Sakellis"
    assert "Baranova 27" in by_id["text"] and by_id["words"] > 100
    by_path = json.loads(run(seeded, "show", hit["path"], "--json").stdout)
    assert by_path["id"] == hit["id"]
    human = run(seeded, "show", hit["id"])
    assert human.stdout.startswith("'Dancing With The Stars'") and "Taylor Sakellis" in human.stdout
    # The other seed is another version of the same story.
    other = json.loads(run(seeded, "search", "chmerkovskiy", "--all-versions", "--json").stdout)
    other_id = next(h["id"] for h in other["hits"] if h["id"] != hit["id"])
    assert by_id["versions"] == [other_id]
    assert f"Versions: {other_id}" in human.stdout
    missing = run(seeded, "show", "no-such-article")
    assert missing.returncode == 1 and "no article" in missing.stderr


def test_malformed_queries_never_fail(seeded: Path) -> None:
    for query in ['"unbalanced', "(a OR", "NOT", "*", "x" * 10_000, "date:2022-13", "title:"]:
        result = run(seeded, "search", query, "--json")
        assert result.returncode == 0, (query, result.stderr)
        json.loads(result.stdout)


def test_folders_and_remove(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    base = tmp_path / "base"
    run(base, "index", str(articles))
    listed = run(base, "folders")
    assert listed.stdout.strip() == str(articles.resolve())
    removed = run(base, "folders", "remove", str(articles))
    assert removed.returncode == 0
    assert json.loads(run(base, "search", "baranova", "--json").stdout)["total"] == 0
    assert "No folders yet" in run(base, "folders").stdout
    assert run(base, "folders", "remove", str(articles)).returncode == 1


def test_problems_are_listed_with_a_reason(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "good.txt").write_text("A headline\n\nSome body text about owls.\n")
    (articles / "noise.txt").write_bytes(bytes(range(256)) * 64)
    base = tmp_path / "base"
    indexed = run(base, "index", str(articles))
    assert "1 problems" in indexed.stdout and "readingroom problems" in indexed.stdout
    problems = json.loads(run(base, "problems", "--json").stdout)
    assert [Path(p["path"]).name for p in problems] == ["noise.txt"]
    assert "not text" in problems[0]["reason"]
    assert "noise.txt" in run(base, "problems").stdout


def test_basedir_from_environment(tmp_path: Path) -> None:
    env = {**os.environ, "READINGROOM_BASEDIR": str(tmp_path / "envbase")}
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "index", str(SEEDS)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "envbase" / "data" / "library" / "index").is_dir()


def test_second_writer_is_told(tmp_path: Path) -> None:
    base = tmp_path / "base"
    run(base, "index", str(SEEDS))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from index.lock import WriterLock;"
            "lock = WriterLock(Path(sys.argv[1])); lock.acquire();"
            "print('held', flush=True); time.sleep(30)",
            str(base / "data" / "library" / "writer.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        busy = run(base, "index", "--no-wait")
        assert busy.returncode == 3
        assert "another indexing run is going" in busy.stderr
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.communicate()
