"""Reading back the PDFs the application writes: their text (to check key figures) and their pages
as PNG (to look at them), with pypdfium2 (PDFium, the engine of Chromium's PDF viewer)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2

SCREENSHOTS = Path(__file__).resolve().parent / "e2e" / "screenshots"


def pdf_pages_text(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages_text(pdf))


def pdf_to_png(pdf: bytes, name: str, *, scale: float = 1.5) -> list[Path]:
    """Every page as tests/e2e/screenshots/<name>-<n>.png; returns the paths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    paths = []
    try:
        for number, page in enumerate(document, 1):
            path = SCREENSHOTS / f"{name}-{number}.png"
            page.render(scale=scale).to_pil().save(path)
            paths.append(path)
    finally:
        document.close()
    return paths
