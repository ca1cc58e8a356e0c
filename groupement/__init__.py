"""groupement: the web application of a groupement de commandes publiques."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from groupement.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` imported when first asked for, not with the package: a process that only writes
    spreadsheets (the annexes' pool, tenders/annex_xlsx.py) imports no application."""
    if name == "create_app":
        from groupement.app import create_app

        return create_app
    raise AttributeError(f"module 'groupement' has no attribute {name!r}")
