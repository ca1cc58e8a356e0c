"""Sending generated files."""

from __future__ import annotations

from flask import Response

from groupement.io.xlsx import XLSX_MIMETYPE


def xlsx_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def zip_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
