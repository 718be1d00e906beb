"""Main-text extraction quality on real saved news pages (tools/score_html.py's scoring)."""

import json
from pathlib import Path

import pytest

from index.html import NoArticleTextError, parse_html
from tools.score_html import f1_score


@pytest.mark.slow
def test_html_news_mean_f1(corpora: Path) -> None:
    root = corpora / "html-news"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    assert len(truth) >= 150

    scores: list[float] = []
    for name, entry in sorted(truth.items()):
        try:
            text = parse_html((root / "pages" / f"{name}.html").read_bytes()).text
        except NoArticleTextError:
            text = ""
        scores.append(f1_score(text, entry["articleBody"])[2])

    mean = sum(scores) / len(scores)
    assert mean >= 0.95, f"mean F1 {mean:.3f} over {len(scores)} pages"


def test_f1_score_itself() -> None:
    assert f1_score("the cat sat", "the cat sat")[2] == 1.0
    assert f1_score("", "the cat sat")[2] == 0.0
    precision, recall, f1 = f1_score("the cat sat on the mat", "the cat sat")
    assert recall == 1.0
    assert precision == pytest.approx(0.5)
    assert f1 == pytest.approx(2 / 3)
