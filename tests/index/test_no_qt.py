"""The engine never imports Qt: the command line and the tests run without a display."""

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib.util, json, pkgutil, sys
sys.path.insert(0, {root!r})
import index
for module in pkgutil.walk_packages(index.__path__, "index."):
    __import__(module.name)
from index import Library
print(json.dumps({{
    "qt_installed": importlib.util.find_spec("PySide6") is not None,
    "engine_modules": sorted(m for m in sys.modules if m == "index" or m.startswith("index.")),
    "qt_loaded": sorted(m for m in sys.modules
                        if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"))
}}))
"""


def test_importing_the_engine_does_not_load_qt() -> None:
    completed = subprocess.run(
        [sys.executable, "-I", "-c", _PROBE.format(root=str(REPO_ROOT))],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)

    # The probe means something only if Qt could have been imported, and the engine was.
    assert report["qt_installed"] is True
    assert {"index", "index.library", "index.search", "index.indexer"} <= set(
        report["engine_modules"]
    )
    assert report["qt_loaded"] == []
