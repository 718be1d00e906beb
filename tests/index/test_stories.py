"""Stories: copies, updates and rewrites of one story found at indexing time, on real articles."""

import hashlib
import os
import shutil
import signal
import sqlite3
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from index import Library, SearchRequest, SortOrder, indexer, parallel, stories, versions
from index.parallel import SegmentWorkers
from index.stories import (
    COMMON_SAMPLE,
    SAME_STORY,
    Pair,
    StoryStore,
    _worth_checking,
    containment,
    shingles,
    sketch,
    sketch_row,
)
from index.versions import differences

SKETCHED_BY_THE_CALLER: list[str] = []  # texts the syncing process sketched itself


@pytest.fixture(scope="module")
def bbc_seeds(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("stories"))
    library.add_folder(corpora / "bbc")
    library.add_folder(corpora / "seeds")

    def counted(article_id: str, text: str) -> Any:
        SKETCHED_BY_THE_CALLER.append(text)
        return sketch_row(article_id, text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indexer, "sketch_row", counted)
        library.sync()  # 2,228 files: written (and sketched) by segment workers
    yield library
    library.close()


def test_a_large_sync_takes_every_sketch_from_its_workers(bbc_seeds: Library) -> None:
    # Had the workers' sketches been lost, the sync would have sketched the texts again
    # from the index at its end (`_sketch_missing`) and the stories would look the same.
    assert SKETCHED_BY_THE_CALLER == []
    assert bbc_seeds._story_store.count() == bbc_seeds._catalog.count_files() == 2228


def identical_groups(corpora: Path) -> list[set[str]]:
    """bbc's groups of byte-identical files, as paths."""
    by_hash: defaultdict[str, set[str]] = defaultdict(set)
    for path in (corpora / "bbc").rglob("*.txt"):
        if path.name != "README.TXT":
            by_hash[hashlib.sha256(path.read_bytes()).hexdigest()].add(str(path))
    return [group for group in by_hash.values() if len(group) > 1]


def story_paths(library: Library) -> list[set[str]]:
    return [{v.path for v in story.versions} for story in library.stories()]


def test_the_two_seeds_are_one_story(bbc_seeds: Library, corpora: Path) -> None:
    first, second = sorted((corpora / "seeds").glob("*.txt"))
    article = bbc_seeds.get(str(first))
    assert article is not None

    story = bbc_seeds.story(article.id)

    assert story is not None
    assert {v.path for v in story.versions} == {str(first), str(second)}
    other = next(v.id for v in story.versions if v.id != article.id)
    # They share quotes, not wording: 41% of the shorter one's five-word runs.
    assert 0.35 < story.shares[other] < 0.5


@pytest.mark.parametrize("signal_sent", [signal.SIGKILL, signal.SIGSTOP], ids=["gone", "hung"])
def test_stories_are_grouped_when_a_worker_fails_them(
    tmp_path: Path, corpora: Path, monkeypatch: pytest.MonkeyPatch, signal_sent: int
) -> None:
    """The workers check the candidate pairs of a large sync; without them, the caller does.

    A worker that is gone says so at once; one that hangs is given up after a wait.
    """
    checked_by_workers = SegmentWorkers.check_pairs
    stopped: list[SegmentWorkers] = []

    def one_fails(workers: SegmentWorkers, pairs: list[Pair]) -> list[float | None]:
        os.kill(workers._processes[0].pid, signal_sent)
        stopped.append(workers)
        return checked_by_workers(workers, pairs)

    # Segment workers run on two cores or more: this machine's count must not skip them.
    monkeypatch.setattr(indexer, "available_cores", lambda: 2)
    monkeypatch.setattr(SegmentWorkers, "check_pairs", one_fails)
    monkeypatch.setattr(parallel, "PAIRS_WAIT_S", 2.0)
    monkeypatch.setattr(parallel, "PAIR_WAIT_S", 0.0)
    library = Library(tmp_path / "data")
    try:
        library.add_folder(corpora / "bbc")
        library.add_folder(corpora / "seeds")
        report = library.sync()
        assert report.added == 2228 and report.problems == 0
        grouped = story_paths(library)
    finally:
        library.close()
    assert len(stopped) == 1, "the workers were not asked to check the pairs"
    assert not any(process.is_alive() for process in stopped[0]._processes)
    seeds = {str(path) for path in (corpora / "seeds").glob("*.txt")}
    assert seeds in grouped
    for group in identical_groups(corpora):
        assert any(group <= story for story in grouped)


def test_every_identical_group_of_bbc_is_found(bbc_seeds: Library, corpora: Path) -> None:
    groups = identical_groups(corpora)
    assert len(groups) == 98
    stories = story_paths(bbc_seeds)

    for group in groups:
        assert any(group <= story for story in stories), group


def test_stories_do_not_cross_bbc_topics(bbc_seeds: Library) -> None:
    """Unrelated articles are not merged: every story stays within one topic folder."""
    stories = bbc_seeds.stories()

    assert len(stories) > 150
    for story in stories:
        assert len({v.folder for v in story.versions}) == 1 or story.outlets == ("seeds",), story
        assert len(story.versions) <= 6


def test_a_story_shows_once_in_the_results(bbc_seeds: Library) -> None:
    folded = bbc_seeds.search(SearchRequest("chmerkovskiy"))
    every = bbc_seeds.search(SearchRequest("chmerkovskiy", collapse=False))

    assert every.total == folded.total == 2
    assert len(every.hits) == 2 and every.hidden == 0
    assert len(folded.hits) == 1 and folded.hidden == 1 and folded.rows == 1
    assert folded.hits[0].versions == 2
    assert folded.hits[0].outlets == ("seeds",)
    assert folded.hits[0].id == every.hits[0].id  # the best-placed version stands for it


def test_folded_pages_follow_the_ranking(bbc_seeds: Library) -> None:
    """Page after page, the folded list is the full ranking with later versions left out."""
    every = bbc_seeds.search(SearchRequest("election", limit=500, collapse=False, facets=False))
    folded = bbc_seeds.search(SearchRequest("election", limit=500, facets=False))
    assert folded.hidden > 0

    seen: set[str] = set()
    expected = []
    for hit in every.hits:
        if hit.id not in seen:
            expected.append(hit.id)
            story = bbc_seeds.story(hit.id)
            seen.update(v.id for v in story.versions) if story else seen.add(hit.id)
    assert [h.id for h in folded.hits] == expected
    assert folded.rows == len(expected)
    for offset in (0, 7, 20):
        page = bbc_seeds.search(SearchRequest("election", offset=offset, limit=10, facets=False))
        assert [h.id for h in page.hits] == expected[offset : offset + 10]
    newest = bbc_seeds.search(
        SearchRequest("election", limit=500, sort=SortOrder.NEWEST, facets=False)
    )
    assert len(newest.hits) == folded.rows
    assert len({h.story for h in newest.hits if h.story}) == sum(1 for h in newest.hits if h.story)


def test_related_articles_are_on_the_subject_and_not_versions(bbc_seeds: Library) -> None:
    story = next(s for s in bbc_seeds.stories() if len(s.versions) >= 3)
    opened = story.versions[0]

    related = bbc_seeds.related(opened.id, limit=5)

    assert len(related) == 5
    assert not {h.id for h in related} & {v.id for v in story.versions}
    assert sum(h.folder == opened.folder for h in related) >= 4


def test_related_share_the_topic_folder_on_bbc(bbc_seeds: Library, corpora: Path) -> None:
    """How useful the Related panel is: the top five mostly come from the opened one's topic."""
    paths = sorted((corpora / "bbc").rglob("*.txt"))[::45]
    shares = []
    for path in paths:
        article = bbc_seeds.get(str(path))
        if article is None:
            continue
        related = bbc_seeds.related(article.id, limit=5)
        shares.append(sum(h.folder == article.folder for h in related) / max(1, len(related)))
    assert sum(shares) / len(shares) > 0.8  # 0.90 measured (benchmarks/bench_stories.py)


def test_stories_follow_changes(tmp_path: Path, corpora: Path) -> None:
    """A copy that arrives joins its story; when it leaves, the story is gone."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("business/001.txt", "business/002.txt", "politics/040.txt", "politics/221.txt"):
        shutil.copy(corpora / "bbc" / name, folder / name.replace("/", "-"))
    library = Library(tmp_path / "data")
    try:
        library.add_folder(folder)
        library.sync()
        assert story_paths(library) == [
            {str(folder / "politics-040.txt"), str(folder / "politics-221.txt")}
        ]

        # An updated copy of a business article: the original with a paragraph more.
        original = (folder / "business-001.txt").read_text()
        (folder / "update.txt").write_text(original + "\n\nThe company declined to comment.\n")
        library.sync()
        assert {str(folder / "business-001.txt"), str(folder / "update.txt")} in story_paths(
            library
        )
        result = library.search(SearchRequest("profit"))
        assert result.hidden == 1

        (folder / "business-001.txt").unlink()
        (folder / "politics-221.txt").unlink()
        library.sync()
        assert story_paths(library) == []
        assert library.search(SearchRequest("profit")).hidden == 0
    finally:
        library.close()


def test_story_members_are_found_after_they_are_replaced(tmp_path: Path, corpora: Path) -> None:
    """An edited member lives on in a newer segment; its old document is deleted, not found."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("politics/040.txt", "politics/221.txt", "business/001.txt"):
        shutil.copy(corpora / "bbc" / name, folder / name.replace("/", "-"))
    library = Library(tmp_path / "data")
    try:
        library.add_folder(folder)
        library.sync()
        edited = folder / "politics-040.txt"
        edited.write_text(edited.read_text() + "\n\nThis article was corrected.\n")
        library.sync()

        searcher = library._searcher()
        assert searcher is not None and searcher.reader().has_deletions()
        story_of = library._story_store.story_map()
        assert len(story_of) == 2
        found = versions.story_docnums(searcher, story_of, "after the edit")
        live = {searcher.document_number(id=i): story for i, story in story_of.items()}
        assert found.by_doc == live and None not in live
        assert library.search(SearchRequest("corrected")).total == 1
        assert library.search(SearchRequest('"human rights"')).hidden == 1
    finally:
        library.close()


def test_sketches_survive_a_rebuild(bbc_seeds: Library, tmp_path: Path, corpora: Path) -> None:
    library = Library(tmp_path / "data")
    try:
        library.add_folder(corpora / "seeds")
        library.sync()
        assert len(library.stories()) == 1
        library.sync(rebuild=True)
        assert len(library.stories()) == 1
    finally:
        library.close()


def test_putting_a_sketch_again_replaces_the_old_one(tmp_path: Path) -> None:
    store = StoryStore(tmp_path / "stories.sqlite3")
    try:
        first, second = array("I", [16, 32, 48]).tobytes(), array("I", [64, 80]).tobytes()
        store.put([("a", first, 40), ("b", first, 40)])
        store.put([("a", second, 50), ("c", first, 3), ("c", second, 2)])  # the last "c" counts
        rows = store._db.execute("SELECT id, samples, shingles FROM sketches ORDER BY id")
        kept = {article_id: (list(array("I", blob)), count) for article_id, blob, count in rows}
    finally:
        store.close()
    assert kept == {"a": ([64, 80], 50), "b": ([16, 32, 48], 40), "c": ([64, 80], 2)}


def test_new_articles_find_the_same_candidates_one_by_one_as_all_at_once(
    bbc_seeds: Library, tmp_path: Path
) -> None:
    """A re-sync looks up a few new articles' samples; a large sync counts every sample.

    On bbc's 2,228 sketches, taken as new a few at a time (as a day's articles are) and
    all at once, the two ways find the same pairs worth checking on their texts.
    """
    store = StoryStore(tmp_path / "stories.sqlite3")
    try:
        sketches = bbc_seeds._story_store._db.execute("SELECT id, samples, shingles FROM sketches")
        store.put(list(sketches))
        docs = [row[0] for row in store._db.execute("SELECT doc FROM sketches ORDER BY doc")]
        every = store._candidates_bulk(set(docs))
        assert len(every) > 100
        assert every == store._candidates_of(set(docs))
        story_members = ({first for first, _ in every[:3]}, {second for _, second in every[-2:]})
        for new in (*story_members, set(docs[:5]), set(docs[1000:1040]), {docs[-1]}):
            store._db.execute("UPDATE sketches SET grouped = 1")
            store._db.executemany(
                "UPDATE sketches SET grouped = 0 WHERE doc = ?", ((doc,) for doc in new)
            )
            one_by_one = store._candidates_of(new)
            assert one_by_one or new not in story_members
            assert one_by_one == store._candidates_bulk(new)
            assert one_by_one == [pair for pair in every if new.intersection(pair)]
    finally:
        store.close()


def test_the_candidates_are_the_pairs_a_brute_force_count_finds(
    bbc_seeds: Library, tmp_path: Path
) -> None:
    """Every pair of 800 of bbc's sketches compared on its own: the samples both hold,
    those in 2 to `COMMON_SAMPLE` sketches, must make it worth checking its texts."""
    store = StoryStore(tmp_path / "stories.sqlite3")
    try:
        rows = bbc_seeds._story_store._db.execute(
            "SELECT id, samples, shingles FROM sketches ORDER BY id LIMIT 800"
        )
        store.put(list(rows))
        sketches = {
            doc: set(array("I", blob))
            for doc, blob in store._db.execute("SELECT doc, samples FROM sketches")
        }
        held = Counter(value for samples in sketches.values() for value in samples)
        docs = sorted(sketches)
        reference = []
        for number, first in enumerate(docs):
            for second in docs[number + 1 :]:
                both = sketches[first] & sketches[second]
                shared = sum(1 for value in both if 1 < held[value] <= COMMON_SAMPLE)
                if shared and _worth_checking(shared, len(sketches[first]), len(sketches[second])):
                    reference.append((first, second))

        assert len(reference) > 10
        assert store._candidates_bulk(set(docs)) == reference
        assert store._candidates_of(set(docs)) == reference
        new = set(docs[::50])
        assert store._candidates_of(new) == [pair for pair in reference if new.intersection(pair)]
    finally:
        store.close()


def test_containment_of_real_texts(corpora: Path) -> None:
    first, second = (p.read_text() for p in sorted((corpora / "seeds").glob("*.txt")))
    other = (corpora / "bbc" / "tech" / "001.txt").read_text()

    assert containment(shingles(first), shingles(first)) == 1.0
    assert containment(shingles(first), shingles(second)) >= SAME_STORY
    assert containment(shingles(first), shingles(other)) < 0.02
    samples, count = sketch(second)
    assert count == len(shingles(second))
    assert list(samples) == sorted(samples)
    assert 6 <= len(samples) < count / 8


def test_differences_mark_what_an_update_changes() -> None:
    old = "The minister resigned on Monday. She gave no reason.\n\nMore follows."
    new = "The minister resigned on Tuesday. She gave no reason.\n\nShe was 54."

    marked = differences(old, new)

    assert "<del>Monday.</del>" in marked and "<ins>Tuesday.</ins>" in marked
    assert "She gave no reason." in marked
    assert "<del>More follows.</del>" in marked and "<ins>She was 54.</ins>" in marked
    assert "<br>" in marked
    assert differences(old, old) == old.replace("\n", "<br>\n")
    assert "&lt;script&gt;" in differences("", "<script>alert(1)</script>")
    # A rewritten ending: the struck text and the new one stay apart.
    assert (
        differences("Old end.", "New end here.") == "<del>Old end.</del> <ins>New end here.</ins>"
    )


def test_related_leaves_out_common_words_and_keeps_to_a_budget(
    bbc_seeds: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps "related" cheap on a large archive: common words out, postings capped."""
    searcher = bbc_seeds._searcher()
    assert searcher is not None
    article = bbc_seeds.get(str(next(iter(story_paths(bbc_seeds)[0]))))
    assert article is not None
    candidates = searcher.key_terms_from_text("body", article.text, numterms=60)
    monkeypatch.setattr(versions, "RELATED_POSTINGS", 300)
    monkeypatch.setattr(versions, "RELATED_MIN_COMMON", 50)
    monkeypatch.setattr(versions, "RELATED_COMMON_SHARE", 0.0)

    kept = versions._affordable(searcher, candidates)

    frequencies = [searcher.doc_frequency("body", word) for word, _ in kept]
    assert kept and all(f <= 50 for f in frequencies)
    assert sum(frequencies[1:]) <= 300
    assert [w for w, _ in kept] == [w for w, _ in candidates if w in dict(kept)]  # best first
    assert len(bbc_seeds.related(article.id, limit=5)) == 5


@pytest.mark.parametrize("damage", ["deleted", "garbage"])
def test_lost_or_damaged_stories_are_sketched_again(
    tmp_path: Path, corpora: Path, damage: str
) -> None:
    """The stories' file is derived data: the next sync rebuilds it from the index."""
    data = tmp_path / "data"
    library = Library(data)
    library.add_folder(corpora / "seeds")
    library.sync()
    before = story_paths(library)
    library.close()
    stories = data / "stories.sqlite3"
    for leftover in data.glob("stories.sqlite3*"):
        leftover.unlink()
    if damage == "garbage":
        stories.write_bytes(b"not a database at all" * 100)

    library = Library(data)
    try:
        assert library.stories() == []
        report = library.sync()
        assert report.changed == 0  # no file was read again
        assert story_paths(library) == before and len(before) == 1
    finally:
        library.close()
    if damage == "garbage":
        assert len(list(data.glob("stories.sqlite3.damaged-*"))) == 1


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_the_old_table_of_samples_goes_but_not_while_another_process_writes(
    tmp_path: Path, corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stories databases up to stop 19 kept every sampled hash in a table of its own too.

    Opening one drops that table. While another process holds the write lock, it stays
    until a later opening, and the busy database is not taken for a damaged one.
    """
    path = tmp_path / "stories.sqlite3"
    texts = sorted((corpora / "bbc" / "tech").glob("00*.txt"))
    store = StoryStore(path)
    store.put([sketch_row(text.name, text.read_text()) for text in texts])
    store.close()
    with closing(sqlite3.connect(path)) as db:  # as stop 19 wrote it
        db.execute(
            "CREATE TABLE samples (hash INTEGER NOT NULL, doc INTEGER NOT NULL,"
            " PRIMARY KEY (hash, doc)) WITHOUT ROWID"
        )
        db.execute("INSERT INTO samples VALUES (16, 1)")
        db.commit()
    monkeypatch.setattr(stories, "_DROP_WAIT_MS", 100)

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        store = StoryStore(path)
        assert store.count() == len(texts)
        store.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "samples" in _tables(path)
    assert not list(tmp_path.glob("*damaged*"))

    store = StoryStore(path)
    try:
        assert store.count() == len(texts)
    finally:
        store.close()
    assert "samples" not in _tables(path)
    assert not list(tmp_path.glob("*damaged*"))
