"""Signed documents are archived with their object, byte for byte, and never rewritten."""

import hashlib

import pytest
from sqlalchemy import select

from groupement.core.archive import ArchiveIsAppendOnly, archive, archived_documents
from groupement.core.audit_log import AuditEvent
from groupement.extensions import db
from tests import factories


def test_an_archived_document_keeps_its_bytes_its_hash_and_an_audit_event(database):
    coordinator = factories.coordinator()
    content = b"%PDF-1.7 bon de commande"
    document = archive(
        actor_id=None,
        coordinator_id=coordinator.id,
        object_type="order",
        object_id=42,
        kind="bon_de_commande",
        title="Bon de commande n° 2026-0042",
        file_name="bon-de-commande-2026-0042.pdf",
        content=content,
    )
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert [d.content for d in archived_documents(coordinator.id, "order", 42)] == [content]
    assert archived_documents(coordinator.id, "order", 43) == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.archived")).one()
    assert event.after["sha256"] == document.sha256


def test_an_archived_document_cannot_be_rewritten_or_deleted(database):
    coordinator = factories.coordinator()
    document = archive(
        actor_id=None,
        coordinator_id=coordinator.id,
        object_type="order",
        object_id=1,
        kind="bon_de_commande",
        title="Bon",
        file_name="bon.pdf",
        content=b"v1",
    )
    document.content = b"v2"
    with pytest.raises(ArchiveIsAppendOnly):
        db.session.flush()
    db.session.rollback()
