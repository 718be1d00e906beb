"""Sorted pages are picked from the matches by their column keys, in Whoosh's own order.

"said" is in most articles: its pages walk the archive's sorted order (search.DENSE_SHARE).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import sorting

from index import Filters, Library, SearchRequest, SortOrder
from index.query import expand_fuzzy, parse_query
from index.search import _filter_query, _restrict

WHOOSH_SORTS = {
    SortOrder.NEWEST: sorting.FieldFacet("date_newest", reverse=True),
    SortOrder.OLDEST: sorting.FieldFacet("date_oldest"),
    SortOrder.TITLE: sorting.FieldFacet("title_sort"),
}
QUERIES = ["", "said", "economy", '"prime minister"', "film OR music", "comput*", "zzzunknown"]


@pytest.fixture(scope="module")
def library(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("sorting") / "data")
    library.add_folder(corpora / "bbc")
    library.add_folder(corpora / "seeds")
    library.sync()
    yield library
    library.close()


def whoosh_ids(library: Library, request: SearchRequest) -> list[str]:
    """The page Whoosh's own sorted search gives (the engine's way before it sorted itself)."""
    searcher = library._searcher()
    assert searcher is not None
    text = request.query
    query = parse_query(text, library._parser).query if text else None
    query = expand_fuzzy(query, searcher.reader()) if query is not None else None
    from whoosh import query as wq

    restricted = _restrict(query or wq.Every(), _filter_query(searcher, request.filters))
    results = searcher.search(
        restricted, limit=request.offset + request.limit, sortedby=WHOOSH_SORTS[request.sort]
    )
    return [hit["id"] for hit in results[request.offset : request.offset + request.limit]]


@pytest.mark.parametrize("sort", list(WHOOSH_SORTS))
@pytest.mark.parametrize("text", QUERIES)
def test_sorted_pages_equal_whoosh(library: Library, text: str, sort: SortOrder) -> None:
    for offset, filters in ((0, Filters()), (30, Filters()), (0, Filters(folders=("tech",)))):
        request = SearchRequest(
            text, sort=sort, offset=offset, limit=30, filters=filters, collapse=False
        )
        ours = [hit.id for hit in library.search(request).hits]
        assert ours == whoosh_ids(library, request), (text, sort, offset, filters)


def test_sorted_hits_keep_their_passages(library: Library) -> None:
    result = library.search(
        SearchRequest("economy", sort=SortOrder.NEWEST, limit=5, collapse=False)
    )
    assert len(result.hits) == 5
    assert all("<mark>" in hit.snippets[0].lower() for hit in result.hits)
    assert all(hit.score is None for hit in result.hits)
