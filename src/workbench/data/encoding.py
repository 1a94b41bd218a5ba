"""The text encoding of a CSV export.

UTF-8 (with or without BOM), UTF-16 (BOM) or Big5/CP950, and nothing guessed beyond these.

``detect_encoding`` looks at a BOM, then at the first 64 KiB: UTF-8 if they decode so, else CP950. The
reader (pyarrow) then decodes the whole file; when it fails, ``diagnose`` reads the file once to say why,
with the first bad line (file line numbers, the header is line 1):

* an encoding switch inside the file (lines of UTF-8 text, then a line that is not UTF-8 but reads as
  Big5/CP950, or the other way round) is an error: no single encoding reads such a file;
* a file whose non-ASCII text starts after the first 64 KiB is still read: as UTF-8 if it is, else as
  CP950 if the whole file is;
* anything else is neither UTF-8 nor Big5/CP950, and the message says to set ``encoding``.
"""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

from workbench.errors import WorkbenchError

HEAD_BYTES = 1 << 16
CANDIDATES = ("utf-8", "cp950")
_NAMES = {"utf-8": "UTF-8", "cp950": "Big5/CP950"}
ENCODING_HINT = "set the encoding (params data.encoding / encoding=): utf-8, utf-8-sig, cp950 (Big5), utf-16"


class EncodingProblem(WorkbenchError):
    """Why a file cannot be decoded, as a sentence; the reader turns it into a ``DataValidationError``."""


def open_binary(path: Path):
    """The file's bytes as a binary stream (``.gz`` decompressed)."""
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def _first_error(data: bytes, encoding: str, final: bool = True) -> int | None:
    """Offset of the first byte that does not decode in ``encoding`` (None: it all decodes)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _line(data: bytes, pos: int) -> tuple[int, int, bytes]:
    """(1-based line number, start offset, bytes of the line) of the byte at ``pos``."""
    start = data.rfind(b"\n", 0, pos) + 1
    end = data.find(b"\n", pos)
    return data.count(b"\n", 0, pos) + 1, start, data[start : end if end >= 0 else len(data)]


def _reads_as(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return not line.isascii()


def _switch(first: str, number: int, then: str) -> EncodingProblem:
    lines = "line 1 is" if number == 2 else f"lines 1-{number - 1} are"
    return EncodingProblem(
        f"the file changes encoding: {lines} {_NAMES[first]} text, but line {number} is not {_NAMES[first]} "
        f"(it reads as {_NAMES[then]}): re-export the whole file in one encoding (UTF-8 preferred); no "
        "encoding setting reads a file written in two"
    )


def _check(data: bytes, final: bool = True) -> str:
    """``utf-8`` or ``cp950`` for ``data`` (the start of a file when not ``final``), else EncodingProblem."""
    bad = _first_error(data, "utf-8", final)
    if bad is None:
        return "utf-8"
    number, start, line = _line(data, bad)
    if not data[:start].isascii():  # UTF-8 text on earlier lines: the file switches
        if _reads_as(line, "cp950"):
            raise _switch("utf-8", number, "cp950")
        raise neither(number, bad, data[bad])
    bad = _first_error(data, "cp950", final)
    if bad is None:
        return "cp950"
    number, start, line = _line(data, bad)
    if not data[:start].isascii() and _reads_as(line, "utf-8"):
        raise _switch("cp950", number, "utf-8")
    raise neither(number, bad, data[bad])


def neither(number: int, pos: int, byte: int) -> EncodingProblem:
    """The problem of a line that is neither UTF-8 nor Big5/CP950 (its number, offset and byte)."""
    return EncodingProblem(
        f"line {number} is neither UTF-8 nor Big5/CP950 text (byte 0x{byte:02X} at offset {pos:,}): "
        f"{ENCODING_HINT}, or another Python codec name such as big5hkscs, gb18030, shift_jis"
    )


def detect_encoding(path: Path) -> str:
    """BOM, else UTF-8 if the first 64 KiB decode so, else CP950 (raises EncodingProblem for a switch inside those 64 KiB)."""
    with open_binary(path) as fh:
        head = fh.read(HEAD_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return _check(head, final=False)


def diagnose(path: Path, encoding: str | None) -> str:
    """After the reader failed to decode ``path``.

    The encoding that reads it (``utf-8``/``cp950``, when ``encoding`` was detected), or an EncodingProblem
    naming the first bad line.
    """
    with open_binary(path) as fh:
        data = fh.read()
    if encoding is not None:
        bad = _first_error(data, encoding)
        if bad is None:
            raise EncodingProblem(f"the file could not be decoded as {encoding}; {ENCODING_HINT}")
        number, _, _ = _line(data, bad)
        raise EncodingProblem(
            f"line {number} is not valid {encoding} text (byte 0x{data[bad]:02X} at offset {bad:,}); {ENCODING_HINT}"
        )
    return _check(data)
