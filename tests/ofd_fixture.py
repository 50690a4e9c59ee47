"""OFD documents (GB/T 33190-2016) for the tests, written part by part.

No OFD editor is at hand to save a Chinese plan as .ofd, so this writes the parts a reader needs, as
the standard lays them out: ``OFD.xml`` (the entry: a ``DocBody`` whose ``DocRoot`` names the
document), ``Doc_0/Document.xml`` (the page size, the public resources with the fonts, the template
pages and the ``Pages`` list, each with the ``BaseLoc`` of its ``Content.xml``), and one
``Content.xml`` per page and per template: a ``Content`` with a ``Layer`` of ``TextObject``\\ s
(``Boundary`` "x y w h" in millimetres from the top left of the page, ``Size`` the font size, an
optional ``CTM``), each holding ``TextCode``\\ s (``X`` and ``Y`` of the baseline of the first
character inside the boundary, ``DeltaX`` the advances between characters, ``g n d`` for ``n``
times ``d``).

:func:`ofd_package` lays paragraphs out as an official document would be (GB/T 9704: 28
characters of 3号 type a line, the first line of a paragraph indented by two): each line is drawn in one of several ways that real producers use
(one ``TextCode`` with ``DeltaX``, the line cut into several ``TextObject``\\ s, one ``TextCode``
per character without ``DeltaX``, a scaled ``CTM``), the objects of a page are written in a shuffled
order, and the page number (``— 3 —``) sits at the foot of every page.
"""

from __future__ import annotations

import io
import random
import unicodedata
import zipfile
from xml.sax.saxutils import escape

NS = "http://www.ofdspec.org/2016"
SIZE = 5.6  # 3号 (16 pt) in millimetres
PITCH = 10.0  # line pitch: 22 lines on the 225 mm of type area
LEFT, TOP = 26.0, 37.0  # GB/T 9704 margins
PER_LINE = 28
PER_PAGE = 22


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def advance(ch: str, size: float = SIZE) -> float:
    """How far a character moves the pen: a full em for Chinese characters and punctuation, half
    an em for ASCII (as in 宋体)."""
    return size if unicodedata.east_asian_width(ch) in ("W", "F", "A") else size / 2


def delta_x(advances: list[float]) -> str:
    """A ``DeltaX`` list, runs of three or more equal advances written as ``g n d``."""
    out: list[str] = []
    i = 0
    while i < len(advances):
        j = i
        while j < len(advances) and advances[j] == advances[i]:
            j += 1
        out.append(
            f"g {j - i} {_number(advances[i])}" if j - i >= 3 else " ".join([_number(advances[i])] * (j - i))
        )
        i = j
    return " ".join(out)


def layout(paragraphs: list[str], width: float = PER_LINE * SIZE) -> list[tuple[float, str]]:
    """Paragraphs broken into lines as a fixed layout breaks them: the first line indented by two
    characters, every line as many characters as fit in ``width`` (mm). Returns (indent, text)
    pairs."""
    lines: list[tuple[float, str]] = []
    for paragraph in paragraphs:
        indent, start, used = 2 * SIZE, 0, 2 * SIZE
        for i, ch in enumerate(paragraph):
            if used + advance(ch) > width + 1e-6:
                lines.append((indent, paragraph[start:i]))
                indent, start, used = 0.0, i, 0.0
            used += advance(ch)
        if start < len(paragraph):
            lines.append((indent, paragraph[start:]))
    return lines


def text_object(
    x: float,
    y: float,
    text: str,
    *,
    size: float = SIZE,
    delta: bool = True,
    per_char: bool = False,
    ctm: str | None = None,
    object_id: int = 0,
) -> str:
    """A ``TextObject`` whose first character's baseline starts at page position (x, y).

    The boundary starts one size above the baseline (as producers place it) and the ``TextCode``'s
    ``Y`` is the baseline inside it. ``delta`` gives the advances as ``DeltaX``; ``per_char``
    writes one ``TextCode`` per character at its own ``X`` instead; ``ctm`` scales the object
    (its coordinates are then written in the object's space, divided by the scale).
    """
    scale = float(ctm.split()[0]) if ctm else 1.0
    steps = [advance(ch, size) / scale for ch in text]
    width = sum(steps) * scale
    attributes = (
        f'ID="{object_id}" Boundary="{_number(x)} {_number(y - size)} {_number(width)} {_number(size * 1.4)}"'
    )
    attributes += f' Font="1" Size="{_number(size / scale)}"'
    if ctm:
        attributes += f' CTM="{ctm}"'
    codes = []
    if per_char:
        for i, ch in enumerate(text):
            x_i = _number(sum(steps[:i]))
            codes.append(f'<ofd:TextCode X="{x_i}" Y="{_number(size / scale)}">{escape(ch)}</ofd:TextCode>')
    else:
        deltas = f' DeltaX="{delta_x(steps[:-1])}"' if delta and len(text) > 1 else ""
        codes.append(f'<ofd:TextCode X="0" Y="{_number(size / scale)}"{deltas}>{escape(text)}</ofd:TextCode>')
    return f"<ofd:TextObject {attributes}>{''.join(codes)}</ofd:TextObject>"


def line_objects(row: int, indent: float, text: str, style: int, first_id: int) -> list[str]:
    """The objects drawing ``text`` on line ``row`` of a page, ``indent`` mm from the left margin,
    in one of five styles."""
    x, y = LEFT + indent, TOP + row * PITCH + SIZE
    if style == 1 and len(text) >= 6:  # cut into three objects, as a change of font does
        cuts = [0, len(text) // 3, 2 * len(text) // 3, len(text)]
        return [
            text_object(x + sum(map(advance, text[:a])), y, text[a:b], object_id=first_id + i)
            for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False))
        ]
    if style == 2:
        return [text_object(x, y, text, per_char=True, object_id=first_id)]
    if style == 3:
        return [text_object(x, y, text, ctm="0.5 0 0 0.5 0 0", object_id=first_id)]
    return [text_object(x, y, text, delta=style != 4, object_id=first_id)]


def content_xml(objects: list[str], template: str | None = None) -> str:
    """A page's (or template's) ``Content.xml`` with one layer of ``objects``."""
    reference = f'<ofd:Template TemplateID="{template}" ZOrder="Background"/>' if template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">{reference}'
        f'<ofd:Content><ofd:Layer ID="2" Type="Body">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def ofd_package(
    paragraphs: list[str],
    *,
    page_numbers: bool = True,
    absolute: bool = False,
    template: list[str] | None = None,
    extra: dict[str, bytes] | None = None,
    shuffle: int | None = 7,
) -> bytes:
    """An OFD package with ``paragraphs`` laid out (see :func:`layout`), ``PER_PAGE`` lines to a page.

    Parameters
    ----------
    paragraphs : the text, one paragraph a string.
    page_numbers : whether every page has its number at its foot (``— n —``).
    absolute : whether the document's ``BaseLoc``\\ s are absolute from the package root
        (``/Doc_0/Pages/…``) instead of relative to ``Document.xml``.
    template : lines of a template page every page uses (page furniture), if any.
    extra : more parts to put in the package.
    shuffle : the seed the objects of a page are shuffled with (None: in reading order).

    Returns
    -------
    The bytes of the ZIP package.
    """
    lines = layout(paragraphs)
    pages = [lines[i : i + PER_PAGE] for i in range(0, len(lines), PER_PAGE)] or [[]]
    base = "/Doc_0/" if absolute else ""
    parts: dict[str, str | bytes] = {}
    page_list = []
    next_id = 100
    rng = random.Random(shuffle)
    for number, page in enumerate(pages):
        objects: list[str] = []
        for row, (indent, text) in enumerate(page):
            objects.extend(line_objects(row, indent, text, (number * PER_PAGE + row) % 5, next_id))
            next_id += 4
        if page_numbers:
            label = f"— {number + 1} —"
            objects.append(
                text_object(105 - len(label) * SIZE / 4, 280, label, size=SIZE / 2, object_id=next_id)
            )
            next_id += 1
        if shuffle is not None:
            rng.shuffle(objects)
        parts[f"Doc_0/Pages/Page_{number}/Content.xml"] = content_xml(objects, "3" if template else None)
        page_list.append(f'<ofd:Page ID="{10 + number}" BaseLoc="{base}Pages/Page_{number}/Content.xml"/>')
    templates = ""
    if template:
        templates = f'<ofd:TemplatePage ID="3" BaseLoc="{base}Tpls/Tpl_0/Content.xml"/>'
        parts["Doc_0/Tpls/Tpl_0/Content.xml"] = content_xml(
            [text_object(LEFT, 20 + i * PITCH, line, object_id=90 + i) for i, line in enumerate(template)]
        )
    parts["OFD.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:DocID>6f0d7e1c2b3a49588a7d1e2f3a4b5c6d</ofd:DocID>"
        "<ofd:Creator>tests</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
        "</ofd:DocBody></ofd:OFD>"
    )
    parts["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{next_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
        f"</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{templates}</ofd:CommonData>"
        f"<ofd:Pages>{''.join(page_list)}</ofd:Pages></ofd:Document>"
    )
    parts["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
        '<ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
    )
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()
