import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# tests/conftest.py -> parents[1] is the project root; the corpora are ../shared/corpora from it.
REPO_ROOT = Path(__file__).resolve().parents[1]
CORPORA = REPO_ROOT.parent / "shared" / "corpora"

# The engine and tools/ are not installed: import them from the checkout.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared test corpora (../shared/corpora from the project root). Read-only."""
    if not CORPORA.is_dir():
        pytest.fail(f"the shared corpora are missing: expected them at {CORPORA}")
    return CORPORA
