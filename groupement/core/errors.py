from __future__ import annotations

from collections.abc import Sequence

from groupement.core.imports import ImportIssue


class ServiceError(Exception):
    """A refusal the user can act on; the message is French."""


class NotFound(ServiceError):
    """Absent, or outside the actor's scope: the two are indistinguishable on purpose."""

    def __init__(self, message: str = "Élément introuvable."):
        super().__init__(message)


class Forbidden(ServiceError):
    pass


class ImportRejected(ServiceError):
    def __init__(self, issues: Sequence[ImportIssue]):
        self.issues = sorted(issues, key=lambda i: (i.file, i.row or 0, i.column or ""))
        count = len(self.issues)
        super().__init__(f"Import refusé : {count} erreur{'s' if count > 1 else ''}, rien n'a été enregistré.")
