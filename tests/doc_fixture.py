"""Word 97 binary documents (.doc) for the tests, built byte by byte.

No Word is at hand to save a Chinese plan as .doc, so this writes the few structures a .doc reader
needs, as [MS-CFB] and [MS-DOC] lay them out:

* :func:`compound_file`: an OLE compound file, version 3 (512-byte sectors), with a FAT, one
  directory and the given streams in the root storage. Every stream is padded to at least 4096
  bytes, so none lives in the mini stream and no mini FAT is needed.
* :func:`word_streams`: the ``WordDocument`` stream (a FIB as Word 97–2003 writes it: nFib 0x00C1,
  csw 14, cslw 22, cbRgFcLcb 0x005D, then the text) and the ``1Table`` stream (a Clx: one Prc,
  then the piece table) of a document made of the given pieces of text, each stored as UTF-16LE
  or as compressed 8-bit text.

The text of a piece is Word's: ``\\r`` ends a paragraph, ``\\x07`` a table cell (and, doubled, a
row), ``\\x13`` code ``\\x14`` result ``\\x15`` is a field.
"""

from __future__ import annotations

import struct
from typing import Any

SECTOR = 512
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

FIB_CLX = 0x1A2  # where Word's FIB (csw 14, cslw 22) keeps fcClx
TEXT_AT = 0x800  # where the text starts in WordDocument (Word writes it there too)

# [MS-DOC] 2.4.1: the 8-bit bytes that are not Latin-1
_EIGHT_BIT = {
    "\u201a": 0x82,
    "\u0192": 0x83,
    "\u201e": 0x84,
    "\u2026": 0x85,
    "\u2020": 0x86,
    "\u2021": 0x87,
    "\u02c6": 0x88,
    "\u2030": 0x89,
    "\u0160": 0x8A,
    "\u2039": 0x8B,
    "\u0152": 0x8C,
    "\u2018": 0x91,
    "\u2019": 0x92,
    "\u201c": 0x93,
    "\u201d": 0x94,
    "\u2022": 0x95,
    "\u2013": 0x96,
    "\u2014": 0x97,
    "\u02dc": 0x98,
    "\u2122": 0x99,
    "\u0161": 0x9A,
    "\u203a": 0x9B,
    "\u0153": 0x9C,
    "\u0178": 0x9F,
}


def _pad(data: bytes, size: int) -> bytes:
    size = max(size, len(data))
    size = -(-size // SECTOR) * SECTOR
    return data + bytes(size - len(data))


def _entry(name: str, kind: int, start: int, size: int, child: int = NO_STREAM) -> bytearray:
    """A 128-byte directory entry (kind 5 root, 2 stream), black, without siblings."""
    entry = bytearray(128)
    encoded = (name + "\0").encode("utf-16-le")
    entry[: len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, NO_STREAM, NO_STREAM, child)
    struct.pack_into("<IQ", entry, 116, start, size)
    return entry


def _tree(entries: list[bytearray], ids: list[int], depth: int, deepest: int) -> int:
    """Link the entries ``ids`` (sorted as CFB sorts names) into a balanced red-black tree; its root."""
    if not ids:
        return NO_STREAM
    middle = len(ids) // 2
    node = ids[middle]
    entries[node][67] = 0 if depth == deepest and depth > 0 else 1  # the deepest level red, others black
    left = _tree(entries, ids[:middle], depth + 1, deepest)
    right = _tree(entries, ids[middle + 1 :], depth + 1, deepest)
    struct.pack_into("<II", entries[node], 68, left, right)
    return node


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (CFB version 3) with ``streams`` in its root storage."""
    bodies = [_pad(data, 4096) for data in streams.values()]
    n_entries = 1 + len(streams)
    n_dir = -(-n_entries // 4)
    n_data = sum(len(body) // SECTOR for body in bodies)
    n_fat = 1
    while n_fat * 128 < n_fat + n_dir + n_data:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("too large for a header-only DIFAT")
    fat = [FAT_SECTOR] * n_fat
    directory_start = len(fat)
    fat += [*range(directory_start + 1, directory_start + n_dir), END_OF_CHAIN]
    starts = []
    for body in bodies:
        starts.append(len(fat))
        n = len(body) // SECTOR
        fat += [*range(len(fat) + 1, len(fat) + n), END_OF_CHAIN]
    fat += [FREE] * (n_fat * 128 - len(fat))

    entries = [_entry("Root Entry", 5, END_OF_CHAIN, 0)]
    for (name, _), start, body in zip(streams.items(), starts, bodies, strict=True):
        entries.append(_entry(name, 2, start, len(body)))
    order = sorted(
        range(1, n_entries), key=lambda i: (len(list(streams)[i - 1]), list(streams)[i - 1].upper())
    )
    deepest = max(0, len(order).bit_length() - 1)
    struct.pack_into("<I", entries[0], 76, _tree(entries, order, 0, deepest))
    while len(entries) % 4:
        unused = bytearray(128)
        struct.pack_into("<III", unused, 68, NO_STREAM, NO_STREAM, NO_STREAM)
        entries.append(unused)

    header = bytearray(SECTOR)
    header[:8] = MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into(
        "<IIIIIIIII", header, 40, 0, n_fat, directory_start, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0
    )
    difat = list(range(n_fat)) + [FREE] * (109 - n_fat)
    struct.pack_into("<109I", header, 76, *difat)
    return bytes(header) + struct.pack(f"<{len(fat)}I", *fat) + b"".join(entries) + b"".join(bodies)


def encode_8bit(text: str) -> bytes:
    """Text as a compressed piece stores it ([MS-DOC] 2.4.1)."""
    return bytes(_EIGHT_BIT.get(ch, ord(ch)) for ch in text)


def word_streams(
    pieces: list[tuple[str, bool]],
    *,
    footnotes: str = "",
    ccp_text: int | None = None,
    n_fib: int = 0x00C1,
    flags: int = 0x0200,
) -> dict[str, bytes]:
    """The ``WordDocument`` and ``1Table`` streams of a Word 97 document.

    Parameters
    ----------
    pieces : the main document as (text, compressed) pieces, in order.
    footnotes : the footnote story, stored after the main document (a UTF-16 piece of its own).
    ccp_text : the main document's length the FIB gives (default: the pieces' length).
    n_fib, flags : the FIB's nFib and flags (default: Word 97, fWhichTblStm set: ``1Table``).
    """
    stories = [*pieces, (footnotes, False)] if footnotes else list(pieces)
    text = bytearray()
    cps = [0]
    fcs = []
    for piece, compressed in stories:
        if compressed:
            fcs.append(((TEXT_AT + len(text)) * 2) | 0x40000000)
            text += encode_8bit(piece)
        else:
            fcs.append(TEXT_AT + len(text))
            text += piece.encode("utf-16-le")
        cps.append(cps[-1] + len(piece))
    main = sum(len(piece) for piece, _ in pieces)

    # the table stream: some unrelated bytes, then the Clx: a Prc (one sprm) and the Pcdt
    plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(struct.pack("<HIH", 0, fc, 0) for fc in fcs)
    prc = b"\x01" + struct.pack("<H", 3) + b"\x03\x24\x01"  # a Prc: cbGrpprl 3 (sprmPJc 1)
    clx = prc + b"\x02" + struct.pack("<I", len(plc)) + plc
    fc_clx = 0x100
    table = bytes(fc_clx) + clx

    fib = bytearray(TEXT_AT)
    struct.pack_into("<HHHHHH", fib, 0, 0xA5EC, n_fib, 0, 0x0804, 0, flags)  # wIdent … flags
    struct.pack_into("<H", fib, 0x0C, 0x00BF)  # nFibBack
    struct.pack_into("<H", fib, 32, 14)  # csw, then fibRgW (14 words)
    struct.pack_into("<H", fib, 62, 22)  # cslw, then fibRgLw (22 longs)
    lw = [0] * 22
    lw[0] = TEXT_AT + len(text)  # cbMac
    lw[3] = main if ccp_text is None else ccp_text  # ccpText
    lw[4] = len(footnotes)  # ccpFtn
    struct.pack_into("<22I", fib, 64, *lw)
    struct.pack_into("<H", fib, 152, 0x005D)  # cbRgFcLcb, then 93 fc/lcb pairs
    struct.pack_into("<II", fib, FIB_CLX, fc_clx, len(clx))
    return {"WordDocument": bytes(fib) + bytes(text), "1Table": table}


def word_document(pieces: list[tuple[str, bool]], **options: Any) -> bytes:
    """A Word 97 .doc file of ``pieces`` (``options`` as for :func:`word_streams`)."""
    return compound_file(word_streams(pieces, **options))


def _eight_bit(ch: str) -> bool:
    return ch in _EIGHT_BIT or (ord(ch) < 0x100 and not 0x80 <= ord(ch) < 0xA0)


def split_pieces(text: str, longest: int = 300) -> list[tuple[str, bool]]:
    """``text`` as Word might store it: runs of 4 or more 8-bit characters (``2021``, ``—``, ASCII)
    as compressed pieces, the rest as UTF-16 pieces of at most ``longest`` characters."""
    pieces: list[tuple[str, bool]] = []
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and _eight_bit(text[end]):
            end += 1
        if end - start >= 4:
            pieces.append((text[start:end], True))
        else:
            end = start + 1
            while end < len(text) and end - start < longest and not all(map(_eight_bit, text[end : end + 4])):
                end += 1
            pieces.append((text[start:end], False))
        start = end
    return pieces
