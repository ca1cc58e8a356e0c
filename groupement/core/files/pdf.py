"""Documents people sign, as PDF: HTML and CSS (Jinja templates under templates/pdf/) turned into
PDF by WeasyPrint.

Why WeasyPrint rather than drawing with fpdf2: the documents are pages like the others (tables,
letterhead, signature blocks), written once in HTML and CSS, with CSS paged media for what paper
needs (A4, margins, « Page 2 sur 3 » in the footer, a table header repeated on each page, no row
cut across two pages) and French hyphenation.

The renderer reads nothing from the network or the disk but the application's own static files
(fonts, the stylesheet) and data: URIs (the uploaded logo): a name typed by a user can only ever
be text, since Jinja escapes it, and even a crafted reference could not reach a file or a server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetchingError

STATIC = (Path(__file__).resolve().parents[2] / "static").resolve()

# The same document must give the same bytes: the archive keeps a new version of a signed PDF
# only when its bytes change (invoices/statement_file.keep_statement_pdf), and a certified
# statement downloaded twice is one document. Without HarfBuzz's subsetter (Debian's
# libharfbuzz-subset0, which `make` installs), WeasyPrint subsets the fonts with fontTools, which
# stamps each font's `head.modified` with the current second: a statement rendered a second
# later differed, and was archived again at every download. fontTools reads the
# reproducible-builds date instead of the clock when it is set (fontTools.misc.timeTools): a
# fixed one, 1 January 2026, unless the environment already sets it.
FONT_TIMESTAMP = "1767225600"
os.environ.setdefault("SOURCE_DATE_EPOCH", FONT_TIMESTAMP)


@dataclass(frozen=True)
class Letterhead:
    """Who issues the document, printed at the top of every page of templates/pdf/_document.html."""

    name: str
    address_lines: tuple[str, ...] = ()
    siret: str = ""
    logo_data_uri: str = ""  # data:image/png;base64,… (validated when uploaded)


class StaticOnlyFetcher(URLFetcher):
    """Serves data: URIs and files under groupement/static; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parsed = urlparse(url)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if path.is_relative_to(STATIC) and path.is_file():
                return super().fetch(url, headers)
        # Not fatal: the document is written without the resource (WeasyPrint logs the refusal).
        raise URLFetchingError(f"ressource refusée dans un document PDF : {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    """The PDF of a complete HTML document; relative URLs resolve against groupement/static/."""
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=StaticOnlyFetcher())
    return document.write_pdf()
