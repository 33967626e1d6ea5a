"""A tiny self-contained HTML report builder: every string it did not write itself is escaped."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

from langgap._io import atomic_write_text
from langgap.report.tables import Cell, Link, cell_text, is_numeric

_MIME = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}

# The policy forbids scripts and every external fetch, so even a missed escape cannot run code
# or load anything: images must be data URIs and styles inline.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;
color:#1a1a1a;max-width:72rem;margin:2rem auto;padding:0 1rem}
h1,h2,h3{line-height:1.2}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:.3rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;vertical-align:top;text-align:left}
th{background:#f4f4f4}tr:nth-child(even) td{background:#fafafa}td.num{text-align:right;
font-variant-numeric:tabular-nums}figure{margin:1.5rem 0}figure img{max-width:100%;height:auto}
figcaption{font-size:.9rem;color:#444}
.wide{overflow-x:auto;max-width:100%}
""".strip()


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def data_uri(data: bytes, mime: str) -> str:
    """Encode bytes as a base64 data URI."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _image_uri(source: Path | str | bytes) -> str:
    # A str that looks like markup is SVG text; any other str is a path to an image file.
    if isinstance(source, bytes):
        mime = "image/svg+xml" if source.lstrip()[:1] == b"<" else "image/png"
        return data_uri(source, mime)
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return data_uri(source.encode("utf-8"), "image/svg+xml")
    path = Path(source)
    file_mime = _MIME.get(path.suffix.lower())
    if file_mime is None:
        raise ValueError(f"{path}: unsupported image type {path.suffix!r}; use .png or .svg")
    return data_uri(path.read_bytes(), file_mime)


def _cell_html(cell: Cell) -> str:
    text = _esc(cell_text(cell))
    if isinstance(cell, Link) and cell.safe_href is not None:
        return f'<a href="{_esc(cell.safe_href)}" rel="noopener noreferrer">{text}</a>'
    return text


def write_text_atomic(path: Path, text: str) -> Path:
    """Write text so that readers never see half a file; returns the path."""
    atomic_write_text(path, text)
    return path


class HtmlReport:
    """Build one self-contained HTML page: headings, paragraphs, tables and embedded figures."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = [f"<h1>{_esc(title)}</h1>"]

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading; level is clamped to 1..6."""
        level = min(max(level, 1), 6)
        self._parts.append(f"<h{level}>{_esc(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        """Add a paragraph of plain text."""
        self._parts.append(f"<p>{_esc(text)}</p>")

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        caption: str | None = None,
    ) -> None:
        """Add a table; numbers are right-aligned and formatted, None prints as n/a. A table wider
        than the page scrolls sideways in its own box; the page itself never does."""
        out = ['<div class="wide"><table>']
        if caption:
            out.append(f"<caption>{_esc(caption)}</caption>")
        out.append(
            "<thead><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in headers) + "</tr></thead>"
        )
        out.append("<tbody>")
        for row in rows:
            tds = (
                f'<td class="num">{_cell_html(c)}</td>'
                if is_numeric(c)
                else f"<td>{_cell_html(c)}</td>"
                for c in row
            )
            out.append("<tr>" + "".join(tds) + "</tr>")
        out.append("</tbody></table></div>")
        self._parts.append("".join(out))

    def figure(self, source: Path | str | bytes, caption: str = "", alt: str | None = None) -> None:
        """Embed an image (a .png/.svg path, SVG text or image bytes) as a data URI."""
        img = f'<img src="{_image_uri(source)}" alt="{_esc(alt if alt is not None else caption)}">'
        cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
        self._parts.append(f"<figure>{img}{cap}</figure>")

    def raw_trusted(self, html: str) -> None:
        """Add markup verbatim; only for markup this code produced, never for user text."""
        self._parts.append(html)

    def render(self) -> str:
        """The whole page as a string."""
        body = "\n".join(self._parts)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_esc(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
        )

    def write(self, path: Path) -> Path:
        """Write the page to path atomically and return the path."""
        return write_text_atomic(path, self.render())
