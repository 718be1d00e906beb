"""Measure how many files of the UDHR corpus decode exactly as their labelled encoding says.

Usage: python tools/measure_encodings.py [../shared/corpora/encodings/udhr]
"""

from __future__ import annotations

import sys
from pathlib import Path

from index.decode import decode_bytes

# The corpus names each file's encoding by its last "-" part; these are Python's names for them.
LABELS = {
    "Latin1": "cp1252",
    "UTF8": "utf-8",
    "Latin2": "cp1250",
    "Cyrillic": "cp1251",
    "SJIS": "shift_jis",
    "GB2312": "gb2312",
    "Hebrew": "cp1255",
    "Greek": "cp1253",
    "Turkish": "cp1254",
    "Baltic": "cp1257",
    "Arabic": "cp1256",
    "EUC": "euc_jp",
    "Unicode": "utf-16",
}


def reference_text(raw: bytes, label: str) -> str | None:
    """The text as its label says, or None when the label is wrong for these bytes."""
    try:
        text = raw.decode(LABELS[label])
    except (UnicodeDecodeError, LookupError):
        return None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora/encodings/udhr")
    per_label: dict[str, list[int]] = {}
    failures: list[str] = []
    unlabelled = wrong_label = 0
    for path in sorted(folder.iterdir()):
        label = path.name.rsplit("-", 1)[-1]
        if label not in LABELS:
            unlabelled += 1
            continue
        raw = path.read_bytes()
        reference = reference_text(raw, label)
        if reference is None:
            wrong_label += 1
            continue
        decoded = decode_bytes(raw)
        counts = per_label.setdefault(label, [0, 0])
        counts[1] += 1
        if decoded.text == reference:
            counts[0] += 1
        else:
            failures.append(f"{path.name}: read as {decoded.encoding}")
    good = sum(c[0] for c in per_label.values())
    total = sum(c[1] for c in per_label.values())
    print(f"decoded exactly: {good}/{total} ({100 * good / total:.1f}%)")
    for label, (ok, n) in sorted(per_label.items(), key=lambda kv: -kv[1][1]):
        print(f"  {label:10} {ok}/{n}")
    print(f"skipped: {unlabelled} with a font or unknown label, {wrong_label} whose label is wrong")
    for line in failures:
        print("  miss:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
