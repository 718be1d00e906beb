"""Reading, listing and printing an article never fetches anything, and no code runs a shell.

Articles full of remote images, stylesheets, scripts, frames, forms, `file://` and
`javascript:` links point at an HTTP server on 127.0.0.1 that counts requests,
and at canary files watched with inotify. The articles are indexed, listed,
opened in the real window, bookmarked and printed to PDF: the server must see
no request and no canary may be opened.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import errno
import os
import struct
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from desktop.bookmarks import Bookmark
from desktop.paths import AppPaths
from desktop.printing import export_pdf
from index import Library, SearchRequest
from tests.desktop.conftest import WindowFactory
from tests.robustness.conftest import REPO_ROOT, readingroom, search_in_window

WAIT_MS = 60_000
TOKEN = "readersafetytoken"


class CountingServer:
    """An HTTP server on 127.0.0.1 that answers everything and remembers every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                requests.append(f"{self.command} {self.path}")
                body = b"/* fetched */"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CountingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


class OpenWatch:
    """Counts every open of some files (Linux inotify), to catch `file://` loads."""

    IN_OPEN = 0x00000020
    IN_ACCESS = 0x00000001
    IN_NONBLOCK = 0o4000
    IN_CLOEXEC = 0o2000000

    def __init__(self, paths: list[Path]) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        if self._fd < 0:
            pytest.fail(f"inotify is not available: {os.strerror(ctypes.get_errno())}")
        mask = self.IN_OPEN | self.IN_ACCESS
        for path in paths:
            if libc.inotify_add_watch(self._fd, os.fsencode(path), mask) < 0:
                pytest.fail(f"cannot watch {path}: {os.strerror(ctypes.get_errno())}")
        self.events = 0

    def count(self) -> int:
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return self.events
            except OSError as error:
                if error.errno == errno.EAGAIN:
                    return self.events
                raise
            offset = 0
            while offset < len(data):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                self.events += 1
                offset += 16 + length

    def close(self) -> None:
        os.close(self._fd)


def hostile_html(server: str, canary: Path) -> str:
    local = canary.as_uri()
    return f"""<!doctype html>
<html><head>
<meta charset="utf-8">
<title>Hostile page {TOKEN}</title>
<base href="{server}/base/">
<meta http-equiv="refresh" content="0; url={server}/refresh">
<link rel="stylesheet" href="{server}/style.css">
<link rel="preload" href="{server}/preload.js" as="script">
<link rel="icon" href="{server}/favicon.ico">
<style>@import url("{server}/import.css"); body {{ background: url({server}/bg.png); }}</style>
<script src="{server}/script.js"></script>
<script>fetch("{server}/inline-fetch"); new Image().src = "{server}/beacon.gif";</script>
</head>
<body style="background-image: url('{server}/body-bg.png')">
<article>
<h1>Hostile page {TOKEN}</h1>
<p>The first paragraph of a page that tries to load things, with the word {TOKEN}.
<img src="{server}/image.png" srcset="{server}/image-2x.png 2x" alt="a picture">
<img src="{local}" alt="a local file"></p>
<p>A frame <iframe src="{server}/frame.html"></iframe> and an object
<object data="{server}/object.swf"></object><embed src="{server}/embed.swf">
<video poster="{server}/poster.jpg" src="{server}/video.mp4"></video>
<audio src="{server}/audio.mp3"></audio> sit in this paragraph.</p>
<p>Links: <a href="{server}/link">a remote link</a>, <a href="{local}">a local file</a>,
<a href="javascript:fetch('{server}/javascript')">a script link</a>,
<a href="file:///etc/passwd">the password file</a>.</p>
<form action="{server}/form" method="post"><input name="q" value="x">
<input type="image" src="{server}/input.png"><button>Send</button></form>
<p>Markup written as text: &lt;img src="{server}/escaped.png"&gt;
&lt;img src="{local}"&gt; &lt;script src="{server}/escaped.js"&gt;&lt;/script&gt;</p>
<svg><image href="{server}/svg.png"/></svg>
</article></body></html>
"""


def hostile_text(server: str, canary: Path) -> str:
    local = canary.as_uri()
    return (
        f'<img src="{server}/title.png"><img src="{local}"> Markup in a title {TOKEN}\n\n'
        f'The body is plain text that looks like HTML: <img src="{server}/text.png"> '
        f'<img src="{local}"> <link rel="stylesheet" href="{server}/text.css"> '
        f'<iframe src="{server}/text-frame"></iframe> <a href="javascript:alert(1)">x</a> '
        f"<script>fetch('{server}/text-script')</script> and the word {TOKEN} again.\n"
    )


def hostile_markdown(server: str, canary: Path) -> str:
    local = canary.as_uri()
    return (
        f"---\ntitle: Markdown that loads {TOKEN}\nsource: '<img src=\"{server}/source.png\">'\n"
        f"author: '<img src=\"{local}\">'\n---\n\n"
        f"![remote]({server}/md.png) ![local]({local}) [a link]({server}/md-link)\n\n"
        f'Raw HTML in Markdown: <img src="{server}/md-raw.png"> <img src="{local}"> '
        f"with the word {TOKEN}.\n"
    )


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with CountingServer() as running:
        yield running


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_reading_listing_and_printing_fetch_nothing(
    qtbot: QtBot,
    window_factory: WindowFactory,
    server: CountingServer,
    tmp_path: Path,
) -> None:
    canaries = tmp_path / "canaries"
    canaries.mkdir()
    canary = canaries / "secret.png"
    canary.write_bytes(b"\x89PNG\r\n\x1a\n")
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "hostile.html").write_text(hostile_html(server.base, canary), encoding="utf-8")
    (articles / "hostile.txt").write_text(hostile_text(server.base, canary), encoding="utf-8")
    (articles / "hostile.md").write_text(hostile_markdown(server.base, canary), encoding="utf-8")
    watch = OpenWatch([canary])
    try:
        # Both detectors work: one deliberate request, one deliberate read.
        with urllib.request.urlopen(f"{server.base}/calibration", timeout=10) as answer:
            assert answer.read() == b"/* fetched */"
        assert server.requests == ["GET /calibration"]
        server.requests.clear()
        canary.read_bytes()
        assert watch.count() >= 1
        calibrated = watch.count()

        basedir = tmp_path / "base"
        indexed = readingroom(basedir, "index", str(articles))
        assert indexed.returncode == 0, indexed.describe()
        library = Library(AppPaths.resolve(basedir).library)
        try:
            ids = [hit.id for hit in library.search(SearchRequest(TOKEN)).hits]
        finally:
            library.close()
        assert len(ids) == 3, indexed.describe()

        window = window_factory.open(basedir)
        result = search_in_window(qtbot, window, TOKEN)
        assert sorted(hit.id for hit in result.hits) == sorted(ids)
        titles = " ".join(hit.title for hit in result.hits)
        assert f'<img src="{server.base}/title.png">' in titles  # the markup is there, as text
        window.results_view.viewport().grab()  # draw every result through the delegate
        window.grab()
        shown = ""
        for article_id in ids:
            with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS):
                window.open_article(article_id)
            view = window.reader.view
            view.grab()
            shown += view.toPlainText()
            article = view.article
            assert article is not None and article.id == article_id
            for url in (f"{server.base}/navigate", canary.as_uri(), "javascript:alert(1)"):
                view.setSource(QUrl(url))
                assert view.article is article  # a link never takes it away from the article
            window.bookmarks.put(Bookmark.from_article(article, ("hostile",)))
            spans = window.session.current.hit_spans(TOKEN, article.text)
            export_pdf(article, tmp_path / f"{article_id}.pdf", spans)
            assert (tmp_path / f"{article_id}.pdf").stat().st_size > 0
        window.commands.show_bookmarks.setChecked(True)
        window.bookmarks_panel.set_bookmarks(window.bookmarks.all())
        window.grab()
        printed = readingroom(
            basedir, "print", ids[0], "--pdf", str(tmp_path / "cli.pdf"), "--highlight", TOKEN
        )
        assert printed.returncode == 0, printed.describe()
        assert f'<img src="{server.base}/text.png">' in shown
        assert f'<img src="{canary.as_uri()}">' in shown
        qtbot.wait(500)  # let anything that was going to load, load
        opened = watch.count() - calibrated
        print(f"\nserver requests: {len(server.requests)}; canary opens: {opened}")
        assert server.requests == []
        assert opened == 0, "a file:// address in an article was opened"
    finally:
        watch.close()


# --- no shell --------------------------------------------------------------------------------

_SUBPROCESS_CALLS = {"run", "call", "check_call", "check_output", "Popen"}
_ALWAYS_A_SHELL = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
}


def _called_name(node: ast.Call) -> tuple[str, str]:
    function = node.func
    if isinstance(function, ast.Attribute):
        owner = function.value
        return (owner.id if isinstance(owner, ast.Name) else "", function.attr)
    if isinstance(function, ast.Name):
        return ("", function.id)
    return ("", "")


def _is_string(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_string(node.left) or _is_string(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _is_string(node.func.value)
    return False


def shell_uses(source: str) -> list[tuple[int, str]]:
    """Where a module runs a shell or passes a command line as one string."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "subprocess"):
            for alias in node.names:
                if (node.module, alias.name) in _ALWAYS_A_SHELL:
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        if not isinstance(node, ast.Call):
            continue
        owner, name = _called_name(node)
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append((node.lineno, f"{owner}.{name}(shell=…)"))
        if (owner, name) in _ALWAYS_A_SHELL or name in ("system", "popen", "startCommand"):
            found.append((node.lineno, f"{owner}.{name}(…)"))
        if name in _SUBPROCESS_CALLS and owner in ("subprocess", ""):
            first = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg == "args":
                    first = keyword.value
            if first is not None and _is_string(first):
                found.append((node.lineno, f"{owner}.{name}() with a command line as a string"))
    return found


def test_the_shell_check_finds_what_it_looks_for() -> None:
    hostile = (
        "import os, subprocess\nfrom os import system\n"
        "os.system('ls')\nos.popen('ls')\nsubprocess.run('ls -l')\n"
        "subprocess.Popen(f'ls {x}')\nsubprocess.run(['ls'], shell=True)\n"
        "subprocess.check_output('ls ' + x)\nsubprocess.getoutput('ls')\n"
        "process.startCommand('ls -l')\n"
        "subprocess.run(['ls', x], check=False)\n"
    )
    assert [line for line, _ in shell_uses(hostile)] == [2, 3, 4, 5, 6, 7, 8, 9, 10]


def test_no_module_runs_a_shell() -> None:
    found = []
    for package in ("index", "desktop"):
        for module in sorted((REPO_ROOT / package).rglob("*.py")):
            for line, what in shell_uses(module.read_text(encoding="utf-8")):
                found.append(f"{module.relative_to(REPO_ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)
