"""The archive of the documents people sign: each PDF (or spreadsheet) kept, byte for byte, with
the object it belongs to, who produced it and when, and its SHA-256. Kept in the database, not on
a local disk, so that every app server and worker sees the same archive; append-only like the
audit trail (a corrected document is a new version, the old one stays)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, event, func, select
from sqlalchemy.orm import Mapped, mapped_column

from groupement.core.audit import record
from groupement.core.timeutil import utcnow
from groupement.extensions import db

PDF = "application/pdf"


class ArchivedDocument(db.Model):
    __tablename__ = "archived_document"
    __table_args__ = (Index("ix_archived_document_object", "coordinator_id", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(60))  # "bon_de_commande", "etat_de_repartition"…
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100), default=PDF)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ArchiveIsAppendOnly(RuntimeError):
    pass


@event.listens_for(ArchivedDocument, "before_update")
@event.listens_for(ArchivedDocument, "before_delete")
def _refuse_rewriting(mapper, connection, target):
    raise ArchiveIsAppendOnly("Un document archivé ne se modifie pas : une nouvelle version s'ajoute.")


def archive(
    *,
    actor_id: int | None,
    coordinator_id: int,
    object_type: str,
    object_id: object,
    kind: str,
    title: str,
    file_name: str,
    content: bytes,
    media_type: str = PDF,
) -> ArchivedDocument:
    """Keeps the document and writes the audit event, in the caller's transaction (flushed)."""
    document = ArchivedDocument(
        coordinator_id=coordinator_id,
        object_type=object_type,
        object_id=str(object_id),
        kind=kind,
        title=title,
        file_name=file_name,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_by_id=actor_id,
    )
    db.session.add(document)
    db.session.flush()
    record(
        actor_id,
        "document.archived",
        object_type,
        object_id,
        after={"document_id": document.id, "kind": kind, "sha256": document.sha256, "size": document.size},
    )
    return document


def serialise_first_archiving(object_type: str, object_id: object, kind: str) -> None:
    """Call before "archive it unless it is already there": two requests doing it at once for the
    same object then run one after the other, and the second finds the first's document. On
    PostgreSQL a transaction-scoped advisory lock keyed by the object and kind; on SQLite the
    writing transaction (POST, or a GET marked transaction.writes_on_get) already holds the
    database's single write lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = f"archive:{object_type}:{object_id}:{kind}"
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def archived_documents(coordinator_id: int, object_type: str, object_id: object) -> list[ArchivedDocument]:
    """The documents of one object of one coordinator, newest first (scoped by the coordinator the
    caller has already checked the object against)."""
    return list(
        db.session.scalars(
            select(ArchivedDocument)
            .where(
                ArchivedDocument.coordinator_id == coordinator_id,
                ArchivedDocument.object_type == object_type,
                ArchivedDocument.object_id == str(object_id),
            )
            .order_by(ArchivedDocument.id.desc())
        )
    )
