"""The Content-Security-Policy forbids inline scripts and styles: no template may rely on them."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def _templates():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert files, "aucun gabarit trouvé"
    return files


def _markup(path: Path) -> str:
    """The template without its Jinja comments (which may name what they avoid)."""
    return JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))


def test_no_template_has_an_inline_script():
    offenders = [
        f"{path.relative_to(TEMPLATES)} : {tag}"
        for path in _templates()
        for tag in SCRIPT_TAG.findall(_markup(path))
        if not re.search(r"\ssrc\s*=", tag, re.IGNORECASE)
    ]
    assert offenders == []


def test_no_template_has_an_inline_style_or_event_handler():
    offenders = [
        f"{path.relative_to(TEMPLATES)} : {pattern.pattern}"
        for path in _templates()
        for pattern in (STYLE_ATTRIBUTE, STYLE_TAG, EVENT_ATTRIBUTE)
        if pattern.search(_markup(path))
    ]
    assert offenders == []
