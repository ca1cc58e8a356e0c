"""A commune's état de répartition as a PDF on its coordinator's letterhead, archived
(core/archive.py) with its allocation each time it is produced with a new content: the archive
holds every version a commune or the treasury may have received, and none twice.

Rendering and keeping are two steps, so that the statements job (statements_job.py) renders every
commune's PDF while only reading and keeps them all in the short transaction that stores its zip."""

from __future__ import annotations

from dataclasses import dataclass, replace

from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.archive import archive, archived_documents, serialise_first_archiving
from groupement.core.files.pdf import Letterhead
from groupement.extensions import db
from groupement.invoices import pages
from groupement.invoices.ledgers import commune_statement
from groupement.invoices.statements import statement_pdf, statement_title
from groupement.organisations import scope
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.user_models import User

KIND = "etat_de_repartition"
OBJECT_TYPE = "allocation"


@dataclass(frozen=True)
class StatementPdf:
    """A rendered statement and what its archiving needs (plain data: it outlives its session)."""

    content: bytes
    file_name: str
    title: str
    coordinator_id: int
    allocation_id: int


def certifier_name(actor: Actor) -> str:
    """The name printed above « certifié exact »: the coordinator side's user, else nobody."""
    if actor.user_id is None or actor.role not in COORDINATOR_SIDE_ROLES:
        return ""
    user = db.session.scalar(scope.users(actor).where(User.id == actor.user_id))
    return user.name if user is not None else ""


def render_statement_pdf(
    actor: Actor, invoice_id: int, commune_id: int, certifier: str, letterhead: Letterhead | None = None
) -> StatementPdf:
    """The commune's statement as PDF bytes; NotFound outside the actor's scope (another
    coordinator's invoice, another commune's share). Writes nothing."""
    statement = commune_statement(actor, invoice_id, commune_id)
    document, stem = pages.statement_document(actor, invoice_id, commune_id)
    if certifier:
        document = replace(document, certifier_name=certifier)
    coordinator_id = statement.invoice.coordinator_id
    content = statement_pdf(document, letterhead or letterhead_for(coordinator_id))
    return StatementPdf(content, f"{stem}.pdf", statement_title(document), coordinator_id, statement.allocation.id)


def keep_statement_pdf(actor_id: int | None, pdf: StatementPdf) -> bool:
    """Archives the PDF unless its latest archived version has the same bytes; True if archived."""
    serialise_first_archiving(OBJECT_TYPE, pdf.allocation_id, KIND)
    kept = archived_documents(pdf.coordinator_id, OBJECT_TYPE, pdf.allocation_id)
    if kept and kept[0].content == pdf.content:
        return False
    archive(
        actor_id=actor_id,
        coordinator_id=pdf.coordinator_id,
        object_type=OBJECT_TYPE,
        object_id=pdf.allocation_id,
        kind=KIND,
        title=pdf.title,
        file_name=pdf.file_name,
        content=pdf.content,
    )
    return True


def statement_pdf_file(actor: Actor, invoice_id: int, commune_id: int) -> tuple[bytes, str]:
    """The PDF and its file name, archived if new; NotFound outside the actor's scope."""
    pdf = render_statement_pdf(actor, invoice_id, commune_id, certifier_name(actor))
    keep_statement_pdf(actor.user_id, pdf)
    return pdf.content, pdf.file_name
