"""The timeline: matches by month (published, else the file's date) and period filters."""

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from desktop.periods import bars, format_timeline, is_period
from index import Filters, Library, SearchRequest


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[Library]:
    """The saved news pages (dated 2018-2019) and the seeds (no date: their files' dates)."""
    seeds = tmp_path_factory.mktemp("seeds")
    for path in sorted((corpora / "seeds").glob("*.txt")):
        copy = seeds / path.name
        copy.write_bytes(path.read_bytes())
        when = datetime(2022, 3, 15).timestamp()
        os.utime(copy, (when, when))
    library = Library(tmp_path_factory.mktemp("timeline"))
    library.add_folder(corpora / "html-news")
    library.add_folder(seeds)
    library.sync()
    yield library
    library.close()


def test_the_timeline_counts_every_match_by_month(news: Library) -> None:
    result = news.search(SearchRequest("", limit=1))

    assert sum(result.timeline.values()) == result.total
    assert list(result.timeline) == sorted(result.timeline)
    assert all(is_period(month) and len(month) == 7 for month in result.timeline)
    assert result.timeline["2022-03"] == 2  # the undated seeds, by their files' date
    dated = news.search(SearchRequest("", limit=500, collapse=False))
    by_month: dict[str, int] = {}
    for hit in dated.hits:
        if hit.date is not None:
            key = f"{hit.date:%Y-%m}"
            by_month[key] = by_month.get(key, 0) + 1
    for month, count in by_month.items():
        assert result.timeline[month] >= count


def test_a_period_filters_and_keeps_its_own_timeline(news: Library) -> None:
    every = news.search(SearchRequest("trump"))
    month = max(every.timeline, key=lambda m: every.timeline[m])

    one_month = news.search(SearchRequest("trump", filters=Filters(periods=(month,))))
    one_year = news.search(SearchRequest("trump", filters=Filters(periods=(month[:4],))))

    assert one_month.total == every.timeline[month]
    assert one_month.timeline == every.timeline  # the timeline still shows every period
    year_total = sum(n for m, n in every.timeline.items() if m.startswith(month[:4]))
    assert one_year.total == year_total
    assert all(h.date is None or f"{h.date:%Y-%m}" == month for h in one_month.hits)
    seeds = news.search(SearchRequest("chmerkovskiy", filters=Filters(periods=("2022-03",))))
    assert seeds.total == 2


def test_bars_fill_the_gaps_and_switch_to_years() -> None:
    months = bars({"2019-11": 3, "2020-02": 1})
    assert [(b.period, b.count) for b in months] == [
        ("2019-11", 3),
        ("2019-12", 0),
        ("2020-01", 0),
        ("2020-02", 1),
    ]
    assert months[0].label == "Nov 2019"
    years = bars({"2015-01": 2, "2019-11": 3, "2019-12": 1})
    assert [(b.period, b.count) for b in years] == [
        ("2015", 2),
        ("2016", 0),
        ("2017", 0),
        ("2018", 0),
        ("2019", 4),
    ]
    assert bars({}) == []
    assert "Nov 2019       3  ####" in format_timeline({"2019-11": 3, "2019-12": 0})
    assert not is_period("2019-13") and not is_period("19") and is_period("2019")
