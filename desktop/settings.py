"""The user's settings: one table of defaults with types, stored as JSON in the config directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write

FORMAT_VERSION = 1

# name: (type, default)
DEFAULTS: dict[str, tuple[type, Any]] = {
    "window/geometry": (str, ""),
    "window/state": (str, ""),
    "window/splitter": (list, []),
    "window/bookmarks_visible": (bool, False),
    "search/last_query": (str, ""),
    "search/sort": (str, "relevance"),
    "reader/zoom": (int, 0),
    "appearance/theme": (str, "system"),
    "print/highlights": (bool, True),
}


class Settings:
    """Typed settings with change notification; unknown or mistyped stored values are ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._values: dict[str, Any] = {}
        self._listeners: list[Callable[[str, Any], None]] = []
        self.save_error: str | None = None
        self._load()

    def _load(self) -> None:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no file yet, or a damaged one: the defaults stand
        values = stored.get("values", {}) if isinstance(stored, dict) else {}
        for name, value in values.items():
            if name in DEFAULTS and isinstance(value, DEFAULTS[name][0]):
                self._values[name] = value

    def get(self, name: str) -> Any:
        """The value of a setting, or its default."""
        return self._values.get(name, DEFAULTS[name][1])

    def set(self, name: str, value: Any) -> None:
        """Change a setting, tell the listeners, and save."""
        kind = DEFAULTS[name][0]
        if not isinstance(value, kind):
            raise TypeError(f"setting {name} takes {kind.__name__}, not {type(value).__name__}")
        if self.get(name) == value:
            return
        self._values[name] = value
        for listener in self._listeners:
            listener(name, value)
        self.save()

    def on_change(self, listener: Callable[[str, Any], None]) -> None:
        """Call `listener(name, value)` after every change."""
        self._listeners.append(listener)

    def save(self) -> None:
        """Write the settings file; if it cannot be written, the settings last this session."""
        document = {"version": FORMAT_VERSION, "values": self._values}
        try:
            atomic_write(self.path, json.dumps(document, indent=2, sort_keys=True) + "\n")
        except OSError as error:
            self.save_error = f"Settings could not be saved: {error.strerror or error}"
