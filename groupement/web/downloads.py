"""Sending generated files."""

from __future__ import annotations

from flask import Response

from groupement.core.files.xlsx import XLSX_MIMETYPE


def file_response(content: bytes, filename: str, mimetype: str) -> Response:
    """An attachment nobody caches: these files hold a commune's or a tender's figures."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_response(content: bytes, filename: str) -> Response:
    return file_response(content, filename, XLSX_MIMETYPE)


def zip_response(content: bytes, filename: str) -> Response:
    return file_response(content, filename, "application/zip")
