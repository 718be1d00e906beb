"""The Whoosh schema and the analysis that makes `refugee` find "Refugees" and `odesa` "Odesa"."""

from __future__ import annotations

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.columns import NumericColumn, RefBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, Schema
from whoosh.support.charset import accent_map

from index.analysis import FastText

# Bump when the schema or the analysis changes: an index of another version is rebuilt.
SCHEMA_VERSION = 6

TITLE_BOOST = 3.0
# Dates sort as numbers; articles without one sort last both ways.
NO_DATE_NEWEST = 0
NO_DATE_OLDEST = 99_999_999


def text_analyzer() -> Analyzer:
    """Words, lower-cased, accents folded, stop words dropped, English stems."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=1)
        | StemFilter(cachesize=100_000)
    )


def name_analyzer() -> Analyzer:
    """Names and outlets: folded like text, never stemmed; stop words dropped.

    Without the stop filter, a query word like "the" would be required in the
    author or outlet of every hit.
    """
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter(minsize=1)


def build_schema() -> Schema:
    """The fields of an indexed article."""
    text = text_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        path=STORED(),  # kept, never searched: not indexed
        folder=KEYWORD(lowercase=True, commas=True, scorable=False),
        folder_facet=ID(stored=True, sortable=True),
        title=FastText(analyzer=text, stored=True, field_boost=TITLE_BOOST),
        title_sort=COLUMN(VarBytesColumn()),  # UTF-8; sorting only
        body=FastText(analyzer=text, stored=True),
        author=FastText(stemming=False, analyzer=name_analyzer(), stored=True),
        source=FastText(stemming=False, analyzer=name_analyzer(), stored=True),
        source_facet=ID(stored=True, sortable=RefBytesColumn()),  # few outlets
        date=DATETIME(stored=True),
        date_newest=COLUMN(NumericColumn("I")),  # sorting only
        date_oldest=COLUMN(NumericColumn("I")),
        year=ID(stored=True, sortable=RefBytesColumn()),
        # "2022-03": the publication month, else the file's; the timeline counts and filters it.
        month=ID(sortable=RefBytesColumn()),
        words=STORED(),
        truncated=STORED(),
    )
