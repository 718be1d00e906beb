"""Turning bytes into text: BOMs, UTF-16, legacy code pages, damage."""

import codecs
from pathlib import Path

import pytest

from index.decode import decode_bytes
from index.extract import parse_article
from tools.measure_encodings import LABELS, reference_text

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
UDHR = CORPORA / "encodings" / "udhr"


def _udhr(name: str) -> bytes:
    return (UDHR / name).read_bytes()


def _english() -> str:
    return _udhr("English-Latin1").decode("cp1252").replace("\r\n", "\n")


def _russian() -> str:
    return _udhr("Russian-UTF8").decode("utf-8-sig").replace("\r\n", "\n")


# --- byte order marks and UTF-16 --------------------------------------------------------


def test_utf8_with_bom() -> None:
    raw = _udhr("Russian-UTF8")
    assert raw.startswith(codecs.BOM_UTF8)

    decoded = decode_bytes(raw)

    assert decoded.encoding == "utf-8"
    assert not decoded.text.startswith("\ufeff")
    assert "\ufeff" not in decoded.text
    assert decoded.text.startswith("Всеобщая декларация прав человека")


def test_utf8_without_bom() -> None:
    text = "Всеобщая декларация прав человека. Ελληνικά. 世界人権宣言. Déclaration."

    decoded = decode_bytes(text.encode("utf-8"))

    assert decoded.encoding == "utf-8"
    assert decoded.text == text


@pytest.mark.parametrize("language", ["english", "russian"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_utf16(language: str, codec: str, bom: bool) -> None:
    text = _english() if language == "english" else _russian()
    data = (("\ufeff" + text) if bom else text).encode(codec)

    decoded = decode_bytes(data)

    assert decoded.encoding == codec
    assert decoded.text == text


def test_real_utf16le_file_with_bom() -> None:
    # The corpus's one UTF-16 file; it is cut after an odd number of bytes.
    raw = _udhr("Hungarian_Magyar-Unicode")
    assert raw.startswith(codecs.BOM_UTF16_LE)

    decoded = decode_bytes(raw)

    assert decoded.encoding == "utf-16-le"
    assert decoded.text.startswith("Az Emberi Jogok Egyetemes Nyilatkozata\nBevezető\n")
    assert "méltóság" in decoded.text


# --- legacy code pages, from the corpus -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("French_Francais-Latin1", "Déclaration universelle des droits de l'homme"),
        ("German_Deutsch-Latin1", "Die Allgemeine Erklärung der Menschenrechte"),
        ("Spanish-Latin1", "Declaración Universal de Derechos Humanos"),
        ("Russian-Cyrillic", "Всеобщая декларация прав человека"),
        ("Ukrainian-Cyrillic", "ЗАГАЛЬНА ДЕКЛАРАЦІЯ ПРАВ ЛЮДИНІ"),
        ("Japanese_Nihongo-SJIS", "世界人権宣言"),
        ("Chinese_Mandarin-GB2312", "世界人权宣言"),
    ],
)
def test_legacy_encodings_from_the_corpus(name: str, expected: str) -> None:
    raw = _udhr(name)
    label = name.rsplit("-", 1)[1]
    reference = reference_text(raw, label)
    assert reference is not None

    decoded = decode_bytes(raw)

    assert expected in decoded.text
    assert decoded.text == reference
    assert "\ufffd" not in decoded.text


def test_cp1252_smart_quotes_and_euro() -> None:
    text = (
        "The minister’s “plan” was rejected on Tuesday.\n"
        "She said it would cost €2bn – far too much – and that the café owners "
        "were right to complain.\n"
    )

    decoded = decode_bytes(text.encode("cp1252"))

    assert decoded.encoding == "cp1252"
    assert decoded.text == text


def test_cp1251_written_text() -> None:
    text = (
        "Порт Одессы снова открылся во вторник: первые суда с зерном вышли в Стамбул, "
        "сообщили портовые власти. Страховщики согласились покрывать рейсы.\n"
    ) * 2

    decoded = decode_bytes(text.encode("cp1251"))

    assert decoded.text == text


def test_line_ends_are_normalised() -> None:
    decoded = decode_bytes(b"first line\r\nsecond line\rthird line\n")

    assert decoded.text == "first line\nsecond line\nthird line\n"


@pytest.mark.parametrize("byte", [*range(0, 9), *range(11, 32), 127])
def test_every_control_byte_in_utf8_text_is_dropped_or_a_line_end(byte: int) -> None:
    """UTF-8 text without control bytes skips the cleaning: one such byte must not."""
    data = b"first line \xc3\xa9t\xc3\xa9" + bytes([byte]) + b"second line\n"

    text = decode_bytes(data).text

    assert text == "first line été" + ("\n" if byte in (12, 13) else "") + "second line\n"


# --- damage -----------------------------------------------------------------------------


def test_nul_bytes_within_text_are_dropped() -> None:
    text = "Grain ships left Odesa on Tuesday, port officials said; insurers covered them.\n"
    data = text[:20].encode() + b"\x00" + text[20:50].encode() + b"\x00\x00" + text[50:].encode()

    decoded = decode_bytes(data)

    assert "\x00" not in decoded.text
    assert decoded.text == text


def test_nul_bytes_within_an_article_file(tmp_path: Path) -> None:
    body = "Grain ships left Odesa on Tuesday, port officials said, and insurers covered them."
    data = f"Grain ships leave Odesa\n\n{body}\n".encode().replace(b"port", b"po\x00rt", 1)

    article = parse_article(tmp_path / "nul.txt", "text", data)

    assert article.title == "Grain ships leave Odesa"
    assert article.text == body


def test_utf8_with_one_damaged_byte_stays_utf8() -> None:
    text = "Déclaration universelle — «droits» de l’homme, adoptée à Paris. " * 20
    data = bytearray(text.encode("utf-8"))
    at = data.index(b" ", 100)  # between two characters
    data[at:at] = b"\xff"

    decoded = decode_bytes(bytes(data))

    assert decoded.encoding == "utf-8"
    assert decoded.text.count("\ufffd") == 1
    assert decoded.text.replace("\ufffd", "") == text


# --- the whole corpus -------------------------------------------------------------------


def test_udhr_corpus_decodes_exactly() -> None:
    """The tools/measure_encodings.py measurement: at least 90% decode exactly."""
    good = total = 0
    misses: list[str] = []
    for path in sorted(UDHR.iterdir()):
        label = path.name.rsplit("-", 1)[-1]
        if label not in LABELS:
            continue
        raw = path.read_bytes()
        reference = reference_text(raw, label)
        if reference is None:
            continue  # the label is wrong for these bytes
        total += 1
        decoded = decode_bytes(raw)
        if decoded.text == reference:
            good += 1
        else:
            misses.append(f"{path.name} read as {decoded.encoding}")

    assert total >= 250, "the corpus should hold about 300 usable files"
    assert good / total >= 0.90, f"{good}/{total} decoded exactly; misses: {misses}"
