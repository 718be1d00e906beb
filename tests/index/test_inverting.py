"""The inverting segment writer writes the very files Whoosh's segment writer writes."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import QueryParser
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

import index.indexer as indexer
from index import Library, inverting, term_entries
from index.inverting import InvertingWriter
from index.parallel import SegmentWorkers, commit_segments
from index.schema import build_schema
from index.whoosh_fixes import apply


@pytest.fixture(scope="module")
def documents(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The fields the engine indexes for real articles of every kind, collected as it indexes."""
    collected: list[dict[str, Any]] = []
    original = indexer.document_fields

    def recording(*args: Any) -> dict[str, Any]:
        fields = original(*args)
        collected.append(dict(fields))
        return fields

    root = tmp_path_factory.mktemp("collect")
    pages = root / "pages"  # a few saved web pages: the HTML extraction takes its time
    pages.mkdir()
    for page in sorted((corpora / "html-news" / "pages").iterdir())[:40]:
        (pages / page.name).symlink_to(page)
    library = Library(root / "data")
    for folder in (corpora / "seeds", pages, corpora / "encodings", corpora / "bbc" / "tech"):
        library.add_folder(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indexer, "document_fields", recording)
        library.sync()
    library.close()
    assert len(collected) > 700
    # Words whose UTF-8 order and code point order must agree: beyond the BMP, private use,
    # accents folded, and an author and outlet left empty.
    extra = dict(collected[0], id="extra", author="", source="")
    extra["body"] = "\U0001d518nicode \uffe0wide ﬁne café caf\u00e9s zürich \U0001f600 smile"
    extra["title"] = "𝔘nicode titles \ue000private"
    # A one-word body and title: a field length of 1 is kept as 0 (Whoosh's length byte),
    # which the writer's short way for words leaves to Whoosh's block writer.
    short = dict(collected[1], id="short", title="Zebra", body="Quagga")
    return [*collected, extra, short]


def _segment_files(directory: Path, segment: Segment) -> dict[str, bytes]:
    """Each file of a segment (inside its compound file), named without the segment's id."""
    storage = FileStorage(str(directory))
    if segment.is_compound():
        storage = segment.open_compound_file(storage)
    files = {}
    for name in storage.list():
        if segment.segid in name:
            with storage.open_file(name) as file:
                files[name.replace(segment.segid, "SEGMENT")] = file.read()
    return files


def _written(directory: Path, writer_class: type, documents: list[dict[str, Any]]) -> Segment:
    apply()
    directory.mkdir()
    ix = whoosh_index.create_in(str(directory), build_schema())
    writer = writer_class(ix, _lk=False)
    for fields in documents:
        writer.add_document(**fields)
    segment = writer._finalize_segment()
    writer._close_segment()
    return segment


@pytest.fixture(scope="module")
def segments(
    documents: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> dict[type, tuple[Path, Segment]]:
    """The documents written into a segment by each writer: (index folder, segment)."""
    written = {}
    for writer_class in (SegmentWriter, InvertingWriter):
        directory = tmp_path_factory.mktemp(writer_class.__name__) / "index"
        written[writer_class] = directory, _written(directory, writer_class, documents)
    return written


def test_same_files_as_whooshs_segment_writer(
    documents: list[dict[str, Any]], segments: dict[type, tuple[Path, Segment]]
) -> None:
    whoosh_segment = segments[SegmentWriter][1]
    ours_segment = segments[InvertingWriter][1]
    whoosh_files = _segment_files(*segments[SegmentWriter])
    ours = _segment_files(*segments[InvertingWriter])
    assert sorted(ours) == sorted(whoosh_files)
    assert any(name.endswith(".pst") for name in ours)  # the postings are among them
    for name, content in whoosh_files.items():
        assert ours[name] == content, name
    assert ours_segment.doc_count_all() == whoosh_segment.doc_count_all() == len(documents)


def test_a_segment_reads_as_whooshs(
    documents: list[dict[str, Any]], segments: dict[type, tuple[Path, Segment]]
) -> None:
    """Searched through Whoosh, the words and their articles are there."""
    directory, segment = segments[InvertingWriter]
    ix = whoosh_index.open_dir(str(directory))
    commit_segments(ix, [segment], [])
    with ix.searcher() as searcher:
        assert searcher.doc_count() == len(documents)
        for field, text in (
            ("body", "cafés"),
            ("body", "\U0001d518nicode"),
            ("title", "\ue000private"),
        ):
            query = QueryParser(field, ix.schema).parse(text)
            hits = [hit["id"] for hit in searcher.search(query, limit=None)]
            assert "extra" in hits, text
        query = QueryParser("body", ix.schema).parse("software")
        assert len(searcher.search(query, limit=None)) > 100  # postings over several blocks


def _failing(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield documents[0]
    yield dict(documents[1], date="not a date")


def test_a_half_added_document_poisons_the_segment(
    documents: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A document that fails half-way has postings in: the segment must not be written."""
    apply()
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = InvertingWriter(ix, _lk=False)
    good, bad = _failing(documents)
    writer.add_document(**good)
    with pytest.raises(Exception):  # noqa: B017 - whatever Whoosh raises for the value
        writer.add_document(**bad)
    with pytest.raises(RuntimeError, match="half-added"):
        writer.add_document(**good)
    with pytest.raises(RuntimeError, match="half-added"):
        writer._finalize_segment()
    writer.cancel()


def test_documents_with_boosts_are_refused(documents: list[dict[str, Any]], tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = InvertingWriter(ix, _lk=False)
    with pytest.raises(ValueError, match="_boost"):
        writer.add_document(**documents[0], _boost=2.0)
    writer.cancel()


def test_workers_finish_segments_early_to_bound_their_memory(
    documents: list[dict[str, Any]], tmp_path: Path
) -> None:
    """With a small memory budget, each worker writes several segments: none is lost."""
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    workers = SegmentWorkers(str(tmp_path), 2, segment_bytes=500_000)
    try:
        for fields in documents:
            workers.add(fields)
        segments = workers.flush()
    finally:
        workers.close()
    assert len(segments) > 4
    assert sum(segment.doc_count_all() for segment in segments) == len(documents)
    commit_segments(ix, segments, [])
    with whoosh_index.open_dir(str(tmp_path)).searcher() as searcher:
        assert searcher.doc_count() == len(documents)
        stored = {fields["id"] for fields in searcher.all_stored_fields()}
        assert stored == {fields["id"] for fields in documents}
        query = QueryParser("body", searcher.schema).parse("cafés")
        assert "extra" in [hit["id"] for hit in searcher.search(query)]


@settings(max_examples=300, deadline=None)
@given(
    doc=st.integers(0, 2**31 - 1),
    weight=st.integers(1, 2**24 - 1),
    length=st.integers(1, 10**6),
    value=st.binary(min_size=1, max_size=inverting._LONE_VALUE_BYTES - 1),
    offset=st.integers(0, 2**40),
)
def test_a_lone_posting_made_directly_as_the_long_way(
    doc: int, weight: int, length: int, value: bytes, offset: int
) -> None:
    """The short way for a term's one posting gives the bytes `_term_postings` gives."""
    code = length_to_byte(length)
    stored = byte_to_length(code)  # the length as the lengths column gives it back
    written = inverting._term_postings([doc], [weight], [value], [stored], 128, 1)
    entry = term_entries.extent_entry(
        1, weight, weight, stored, stored, doc, doc, offset, len(written)
    )
    assert inverting._lone_posting(doc, weight, code, value, offset) == (written, entry)
