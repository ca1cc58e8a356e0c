"""A commune's état de répartition as a PDF on its coordinator's letterhead, archived
(core/archive.py) with its allocation each time it is produced with a new content: the archive
holds every version a commune or the treasury may have received, and none twice."""

from __future__ import annotations

from dataclasses import replace

from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.archive import archive, archived_documents, serialise_first_archiving
from groupement.extensions import db
from groupement.invoices import pages
from groupement.invoices.ledgers import commune_statement
from groupement.invoices.statements import statement_pdf, statement_title
from groupement.organisations import scope
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.user_models import User

KIND = "etat_de_repartition"
OBJECT_TYPE = "allocation"


def statement_pdf_file(actor: Actor, invoice_id: int, commune_id: int) -> tuple[bytes, str]:
    """The PDF and its file name; NotFound outside the actor's scope (another coordinator's
    invoice, another commune's share)."""
    statement = commune_statement(actor, invoice_id, commune_id)
    document, stem = pages.statement_document(actor, invoice_id, commune_id)
    user = db.session.scalar(scope.users(actor).where(User.id == actor.user_id)) if actor.user_id else None
    if user is not None and actor.role in COORDINATOR_SIDE_ROLES:
        document = replace(document, certifier_name=user.name)
    coordinator_id = statement.invoice.coordinator_id
    content = statement_pdf(document, letterhead_for(coordinator_id))
    file_name = f"{stem}.pdf"
    allocation_id = statement.allocation.id
    serialise_first_archiving(OBJECT_TYPE, allocation_id, KIND)
    kept = archived_documents(coordinator_id, OBJECT_TYPE, allocation_id)
    if not kept or kept[0].content != content:
        archive(
            actor_id=actor.user_id,
            coordinator_id=coordinator_id,
            object_type=OBJECT_TYPE,
            object_id=allocation_id,
            kind=KIND,
            title=statement_title(document),
            file_name=file_name,
            content=content,
        )
    return content, file_name
