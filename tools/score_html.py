"""Score main-text extraction on the html-news corpus: token-level F1 against the ground truth.

Usage: python tools/score_html.py [../shared/corpora/html-news]

Tokens are lower-cased words; precision and recall count shared tokens as multisets
(the scoring of the article-extraction benchmark). Prints the mean F1, precision, recall
and the worst pages.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from index.html import NoArticleTextError, parse_html

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    """The multiset of lower-cased word tokens of a text."""
    return Counter(_TOKEN.findall(text.casefold()))


def f1_score(predicted: str, truth: str) -> tuple[float, float, float]:
    """Token-level precision, recall and F1 of an extraction."""
    got, want = tokens(predicted), tokens(truth)
    shared = sum((got & want).values())
    if not got or not want:
        return (0.0, 0.0, 1.0 if got == want else 0.0)
    precision = shared / sum(got.values())
    recall = shared / sum(want.values())
    f1 = 0.0 if shared == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora/html-news")
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    scores: list[tuple[float, float, float, str]] = []
    started = time.perf_counter()
    for name, entry in sorted(truth.items()):
        try:
            text = parse_html((root / "pages" / f"{name}.html").read_bytes()).text
        except NoArticleTextError:
            text = ""
        scores.append((*f1_score(text, entry["articleBody"]), name))
    elapsed = time.perf_counter() - started
    n = len(scores)
    print(f"pages: {n}, {1000 * elapsed / n:.0f} ms a page")
    print(f"precision {sum(s[0] for s in scores) / n:.3f}")
    print(f"recall    {sum(s[1] for s in scores) / n:.3f}")
    print(f"F1        {sum(s[2] for s in scores) / n:.3f}")
    for precision, recall, f1, name in sorted(scores, key=lambda s: s[2])[:5]:
        print(f"  worst: {name[:16]} F1 {f1:.2f} (P {precision:.2f} R {recall:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
