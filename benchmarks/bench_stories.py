"""How well stories and related articles work on bbc (and how long they take): figures, not tests.

    python benchmarks/bench_stories.py [--sample 20] [--existing DATA_DIR] [FOLDER ...]

Indexes bbc and the seeds (or FOLDERs) into a temporary library and prints:
- recall on bbc's byte-identical groups (every group inside one story);
- stories that span two bbc topic folders (a merge of unrelated articles would);
- a random sample of linked pairs that are not byte-identical, with titles and
  the share of text found, to be judged by hand (the README gives the verdicts);
- how often the top five related articles share the opened one's topic folder;
- the time to group the stories in a full build, and per related search.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index import Library  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def identical_groups(folder: Path) -> list[set[str]]:
    by_hash: defaultdict[str, set[str]] = defaultdict(set)
    for path in folder.rglob("*.txt"):
        if path.name != "README.TXT":
            by_hash[hashlib.sha256(path.read_bytes()).hexdigest()].add(str(path))
    return [group for group in by_hash.values() if len(group) > 1]


def report(library: Library, sample: int, seed: int) -> None:
    stories = library.stories()
    members = sum(len(s.versions) for s in stories)
    sizes = sorted((len(s.versions) for s in stories), reverse=True)
    print(f"stories: {len(stories)} with {members} articles; largest {sizes[:5]}")
    story_sets = [{v.path for v in s.versions} for s in stories]

    groups = identical_groups(CORPORA / "bbc")
    found = sum(any(g <= s for s in story_sets) for g in groups)
    print(f"bbc byte-identical groups inside one story: {found}/{len(groups)}")
    topics = [s for s in stories if len({v.folder for v in s.versions if "bbc" in v.folder}) > 1]
    print(f"stories spanning two bbc topic folders: {len(topics)}")
    for story in topics:
        print("   ", [f"{v.folder}: {v.title}" for v in story.versions])

    identical = {frozenset(p) for g in groups for p in itertools.combinations(sorted(g), 2)}
    linked = []
    for story in stories:
        for version in story.versions:
            shares = library.story(version.id)
            if shares is None:
                continue
            for other, share in shares.shares.items():
                if version.id < other:
                    linked.append((version.id, other, share))
    by_id = {v.id: v for s in stories for v in s.versions}
    rewrites = [
        pair
        for pair in linked
        if frozenset((by_id[pair[0]].path, by_id[pair[1]].path)) not in identical
    ]
    print(f"links: {len(linked)}; not byte-identical: {len(rewrites)}")
    bands: defaultdict[int, int] = defaultdict(int)
    for _, _, share in rewrites:
        bands[min(9, int(share * 10))] += 1
    print("  share of text found (tenths):", dict(sorted(bands.items())))
    print(f"sample of {sample} linked pairs that are not byte-identical (judge by hand):")
    for first, second, share in random.Random(seed).sample(rewrites, min(sample, len(rewrites))):
        a, b = by_id[first], by_id[second]
        print(f"  {share:.2f}  {a.folder}: {a.title!r}  <>  {b.folder}: {b.title!r}")

    paths = sorted((CORPORA / "bbc").rglob("*.txt"))[::9]
    shares_same, timings = [], []
    for path in paths:
        article = library.get(str(path))
        if article is None:
            continue
        started = time.perf_counter()
        related = library.related(article.id, limit=5)
        timings.append((time.perf_counter() - started) * 1000)
        shares_same.append(sum(h.folder == article.folder for h in related) / max(1, len(related)))
    print(
        f"related: top five in the opened article's topic folder: "
        f"{statistics.mean(shares_same):.1%} over {len(shares_same)} bbc articles; "
        f"{statistics.median(timings):.0f} ms median, {max(timings):.0f} ms max per look-up"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--existing", type=Path, help="a library already built (its data dir)")
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.existing:
        library = Library(args.existing)
        report(library, args.sample, args.seed)
        library.close()
        return
    with tempfile.TemporaryDirectory(prefix="bench-stories-") as temp:
        library = Library(Path(temp))
        for folder in args.folders or [CORPORA / "bbc", CORPORA / "seeds"]:
            library.add_folder(folder)
        started = time.perf_counter()
        result = library.sync()
        print(f"indexed {result.added} articles in {time.perf_counter() - started:.1f} s")
        report(library, args.sample, args.seed)
        library.close()


if __name__ == "__main__":
    main()
