"""The signed documents on a real database: each produced PDF archived once with its object, its
SHA-256 and an audit event, on the coordinator's letterhead; out of scope, a 404 (NotFound)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from groupement.contracts.order_file import order_pdf_file
from groupement.contracts.orders import place_order
from groupement.core.access import OrganisationKind, Role
from groupement.core.archive import ArchivedDocument, archived_documents
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import NotFound, ServiceError
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.ledgers import commune_statement
from groupement.invoices.splitting import split_invoice
from groupement.invoices.statement_file import statement_pdf_file
from groupement.organisations.models import Organisation
from tests.integration.test_invoice_split import CAPI_FOUR, facturx, members  # noqa: F401  (fixture)
from tests.integration.test_orders import ADDRESS, actor, setting  # noqa: F401  (fixture)
from tests.pdf_reading import pdf_text, pdf_to_png


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def documents(database, kind: str) -> list[ArchivedDocument]:
    return list(database.session.scalars(select(ArchivedDocument).where(ArchivedDocument.kind == kind)))


def test_placing_an_order_archives_its_bon_de_commande_with_the_references_for_the_invoice(setting, database):  # noqa: F811  (the fixture imported above)
    s = setting
    s.a.chorus_service_code = "SERV-ARTAS-01"
    coordinator = database.session.get(Organisation, s.coordinator.organisation_id)
    coordinator.address, coordinator.postcode, coordinator.city = "17 avenue du Bourg", "38080", "L'Isle-d'Abeau"
    coordinator.siret = "20004267900017"
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 2)], ADDRESS, engagement_number=" EJ-2027-17 ")
    assert order.engagement_number == "EJ-2027-17"
    [kept] = documents(database, "bon_de_commande")
    assert (kept.object_type, kept.object_id, kept.coordinator_id) == ("purchase_order", str(order.id), coordinator.id)
    assert kept.sha256 == hashlib.sha256(kept.content).hexdigest() and kept.size == len(kept.content)
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.archived")).one()
    assert event.after["sha256"] == kept.sha256 and event.object_id == str(order.id)

    text = flat(pdf_text(kept.content))
    pdf_to_png(kept.content, "bon-de-commande-archive")
    assert coordinator.name in text and "SIRET 20004267900017" in text and "38080 L'Isle-d'Abeau" in text
    assert f"N° du bon de commande {order.number}" in text
    assert "N° d'engagement juridique EJ-2027-17" in text and "Code service Chorus Pro SERV-ARTAS-01" in text
    assert "Artas" in text and "1 530,20 €" in text  # 2 × (764,10 € + 1,00 €)

    content, name = order_pdf_file(s.coordinator, order.id)
    assert content == kept.content and name == f"{order.number}.pdf"  # the archived file, byte for byte
    assert len(documents(database, "bon_de_commande")) == 1


def test_an_engagement_number_beyond_fifty_characters_is_refused(setting, database):  # noqa: F811  (the fixture imported above)
    with pytest.raises(ServiceError, match="50 caractères"):
        place_order(setting.agent_a, setting.contract.id, [(setting.laptop.id, 1)], ADDRESS, engagement_number="E" * 51)
    assert documents(database, "bon_de_commande") == []


def test_another_commune_or_coordinator_gets_no_bon_de_commande(setting, make, database):  # noqa: F811  (the fixture imported above)
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    other = actor(make, Role.COORDINATOR, make.organisation(OrganisationKind.COORDINATOR, name="Autre EPCI"))
    for outsider in (s.agent_b, other):
        with pytest.raises(NotFound):
            order_pdf_file(outsider, order.id)


def test_a_statement_is_archived_once_per_content_and_refused_to_another_commune(members, database):  # noqa: F811  (the fixture imported above)
    invoice = facturx(members["accountant"])
    split_invoice(members["accountant"], invoice.id, AllocationKey.EQUAL, list(CAPI_FOUR))
    four = members["communes"]["38172"]
    content, name = statement_pdf_file(members["accountant"], invoice.id, four.id)
    again, _ = statement_pdf_file(members["accountant"], invoice.id, four.id)
    assert again == content
    pdf_to_png(content, "etat-de-repartition-archive")
    text = flat(pdf_text(content))
    allocation = commune_statement(members["agent_four"], invoice.id, four.id).allocation
    assert "État de répartition" in text and "Four" in text and "à parts égales" in text
    assert f"Total TTC dû par la commune {allocation.ttc:.2f} €".replace(".", ",") in text
    assert "Certifié exact" in text
    [kept] = documents(database, "etat_de_repartition")
    assert (kept.object_type, kept.object_id) == ("allocation", str(allocation.id))
    assert kept.content == content and kept.sha256 == hashlib.sha256(content).hexdigest()
    assert name.endswith(".pdf") and kept.file_name == name
    # The commune's own download leaves the certifier's name blank: another content, another version.
    commune_copy, _ = statement_pdf_file(members["agent_four"], invoice.id, four.id)
    assert commune_copy != content
    assert [d.content for d in archived_documents(kept.coordinator_id, "allocation", allocation.id)] == [
        commune_copy,
        content,
    ]
    with pytest.raises(NotFound):
        statement_pdf_file(members["agent_four"], invoice.id, members["communes"]["38053"].id)
