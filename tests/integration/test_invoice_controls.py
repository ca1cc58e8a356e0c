"""The controls an accountant and the public paymaster sign off (issue 12): blocking anomalies,
rejection, service fait certified by the commune, duplicates after normalisation, and every
euro billed to a commune traced back to an order, a delivery and a contract price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.models import Contract, Order
from groupement.contracts.orders import place_order, record_delivery
from groupement.core.access import Actor, Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.timeutil import paris_today, utcnow
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import InvoiceRejected, import_invoice
from groupement.invoices.matching import blocking_checks, match_invoice, reject_invoice, resolve_check
from groupement.invoices.models import Allocation, AllocationLine, Invoice, ServiceFait
from groupement.invoices.service_fait import certify_delivery, commune_deliveries
from groupement.invoices.splitting import SplitBlocked, split_invoice
from groupement.invoices.states import CheckResolution, InvoiceStatus, InvoiceTransitionRefused
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
HEADER = (
    "numero_facture;date_facture;fournisseur_siret;acheteur_nom;acheteur_siret;numero_commande;code_insee;"
    "ref_article;designation;quantite;prix_unitaire_ht;taux_tva"
)
CAPI_FOUR = {"38053": ("Bourgoin-Jallieu", 29816), "38553": ("Villefontaine", 19018), "38172": ("Four", 1672)}


@dataclass
class Bought:
    """Four ordered 2 laptops (849,00 € + 2,00 € eco-participation) under a framework contract."""

    capi_siret: str
    accountant: Actor
    coordinator: Actor
    agent: Actor
    other_agent: Actor
    contract: Contract
    order: Order
    price: Decimal
    eco: Decimal

    def csv(self, number: str, lines: list[tuple], day=None) -> bytes:
        """lines: (order number, item ref, quantity, unit price) per invoice line."""
        day = (day or paris_today()).isoformat()
        rows = [HEADER] + [
            f"{number};{day};{self.contract.supplier.siret};CAPI;{self.capi_siret};{order};38172;{ref};Portable;"
            f"{quantity};{price};20"
            for order, ref, quantity, price in lines
        ]
        return ("\n".join(rows) + "\n").encode()

    def laptops(self, quantity, price=None) -> tuple:
        return (self.order.number, "INF-PORT", quantity, price if price is not None else self.price)

    def deliver(self, quantity: int, certify: bool = True):
        delivery = record_delivery(self.agent, self.order.lines[0].id, paris_today(), quantity)
        if certify:
            certify_delivery(self.agent, delivery.id)
        return delivery


@pytest.fixture
def bought(make, database) -> Bought:
    capi = make.coordinator()
    group = make.groupement(capi)
    communes = {}
    for insee, (name, population) in CAPI_FOUR.items():
        communes[insee] = make.organisation(insee_code=insee, name=name, population=population)
        make.membership(group, communes[insee])
    laptop = make.item(ref="INF-PORT", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("2.00"))
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    make.submission(campaign, communes["38172"], {laptop: 10}, status=SubmissionStatus.VALIDATED)
    agent = make.user(Role.AGENT, communes["38172"]).actor
    other_agent = make.user(Role.AGENT, communes["38053"]).actor
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    coordinator = make.user(Role.COORDINATOR, capi).actor
    database.session.commit()
    aggregate_campaign(system_actor(capi.id), campaign.id)
    lot = database.session.scalars(select(Lot)).one()
    lot.maximum_amount = Decimal("100000")
    contract = make.contract(
        make.offer(lot, make.supplier(capi)),
        start_date=paris_today() - timedelta(days=5),
        notified_on=paris_today() - timedelta(days=6),
    )
    database.session.commit()
    order = place_order(agent, contract.id, [(contract.prices[0].id, 2)], "Mairie de Four")
    price = contract.prices[0]
    return Bought(
        capi.siret,
        accountant,
        coordinator,
        agent,
        other_agent,
        contract,
        order,
        price.unit_price,
        price.eco_participation,
    )


def imported_and_matched(bought: Bought, number: str, lines: list[tuple], **kwargs) -> Invoice:
    invoice = import_invoice(bought.accountant, f"{number}.csv", bought.csv(number, lines, **kwargs))
    match_invoice(bought.accountant, invoice.id)
    return invoice


def failed(invoice: Invoice) -> list[tuple[str, str]]:
    return [(c.rule, c.message) for c in blocking_checks(invoice)]


def count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


# --- item 2: an invoice nobody should pay ----------------------------------------------------------


def facturx(bought: Bought) -> Invoice:
    """The Factur-X sample: seller « LE FOURNISSEUR » (no known supplier), buyer « LE CLIENT »."""
    invoice = import_invoice(bought.accountant, "facture.pdf", (SAMPLES / "facturx_en16931_fr.pdf").read_bytes())
    match_invoice(bought.accountant, invoice.id)
    return invoice


def accept_all_but(bought: Bought, invoice: Invoice, rule: str) -> None:
    for check in blocking_checks(invoice):
        if check.rule != rule:
            resolve_check(bought.accountant, check.id, CheckResolution.ACCEPTED, "Vu avec le service acheteur.")


def test_the_factur_x_sample_bills_no_commune_while_its_anomalies_are_open(bought, database):
    invoice = facturx(bought)
    # The sample quotes an order reference (BT-13) that is none of the groupement's: REFERENCES too.
    assert {rule for rule, _ in failed(invoice)} == {"VENDEUR", "ACHETEUR", "REFERENCES", "COMMANDE"}
    with pytest.raises(SplitBlocked) as blocked:
        split_invoice(bought.accountant, invoice.id, AllocationKey.POPULATION, list(CAPI_FOUR))
    assert len(blocked.value.reasons) == 6  # seller, buyer, references, three lines without an order
    assert count(database, Allocation) == 0


def test_an_invoice_from_an_unknown_seller_blocks_the_split(bought, database):
    invoice = facturx(bought)
    accept_all_but(bought, invoice, "VENDEUR")
    with pytest.raises(SplitBlocked) as blocked:
        split_invoice(bought.accountant, invoice.id, AllocationKey.POPULATION, list(CAPI_FOUR))
    assert blocked.value.reasons == [
        "VENDEUR (à traiter) : Vendeur « LE FOURNISSEUR » inconnu des fournisseurs (SIRET 12345678200077)."
    ]
    assert count(database, Allocation) == 0


def test_a_buyer_neither_coordinator_nor_member_blocks_the_split(bought, database):
    invoice = facturx(bought)
    accept_all_but(bought, invoice, "ACHETEUR")
    with pytest.raises(SplitBlocked) as blocked:
        split_invoice(bought.accountant, invoice.id, AllocationKey.POPULATION, list(CAPI_FOUR))
    (reason,) = blocked.value.reasons
    assert reason.startswith("ACHETEUR (à traiter) : Acheteur « LE CLIENT » : ni le coordonnateur ni une commune")
    assert count(database, Allocation) == 0


def test_the_coordinator_and_a_known_supplier_pass_the_identity_checks(bought):
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(2)])
    identity = {c.rule: c.ok for c in invoice.checks if c.kind == "identity"}
    assert identity == {"VENDEUR": True, "ACHETEUR": True, "DOUBLON": True}


def test_an_unmatched_invoice_cannot_be_split(bought):
    bought.deliver(2)
    invoice = import_invoice(bought.accountant, "F-1.csv", bought.csv("F-1", [bought.laptops(2)]))
    with pytest.raises(SplitBlocked, match="pas encore rapprochée"):
        split_invoice(bought.accountant, invoice.id, AllocationKey.AMOUNT)


# --- item 3: over-invoicing ------------------------------------------------------------------------


def test_three_identical_lines_beyond_the_delivered_quantity_are_over_invoicing(bought, database):
    bought.deliver(2)
    invoice = imported_and_matched(bought, "OVER-8", [bought.laptops(2)] * 3)
    assert failed(invoice) == [
        (
            "QUANTITE",
            "Ligne 2 : 2 facturé(s), 4 en tout avec 2 sur les lignes précédentes de cette facture, pour 2 "
            f"commandé(s) (commande {bought.order.number}).",
        ),
        (
            "QUANTITE",
            "Ligne 3 : 2 facturé(s), 6 en tout avec 4 sur les lignes précédentes de cette facture, pour 2 "
            f"commandé(s) (commande {bought.order.number}).",
        ),
    ]
    with pytest.raises(SplitBlocked):
        split_invoice(bought.accountant, invoice.id, AllocationKey.AMOUNT)
    assert count(database, Allocation) == 0


def test_earlier_invoices_count_but_a_rejected_one_does_not(bought):
    bought.deliver(2)
    first = imported_and_matched(bought, "F-1", [bought.laptops(1)])
    second = imported_and_matched(bought, "F-2", [bought.laptops(2)])
    assert [rule for rule, _ in failed(second)] == ["QUANTITE"]
    assert "3 en tout avec 1 déjà facturé(s) par d'autres factures" in failed(second)[0][1]
    reject_invoice(bought.accountant, first.id, "Facturé deux fois")
    match_invoice(bought.accountant, second.id)
    assert failed(second) == []


def test_a_line_with_an_item_not_on_the_order_is_not_attached_to_its_only_line(bought):
    bought.deliver(2)
    invoice = imported_and_matched(bought, "F-1", [(bought.order.number, "INF-AUTRE", 1, bought.price)])
    (line,) = invoice.lines
    assert line.order_line_id is None and line.commune_id is None
    ((rule, message),) = failed(invoice)
    assert rule == "COMMANDE"
    assert message.startswith(
        f"Ligne 1 (Portable) : l'article INF-AUTRE n'est pas sur la commande {bought.order.number}."
    )


# --- item 10: the messages ---------------------------------------------------------------------------


def test_mismatch_messages_number_the_invoice_lines_and_print_quantities_the_french_way(bought):
    bought.deliver(2)
    # A spreadsheet: the invoice's 4th line is the file's 5th row (after the header).
    invoice = imported_and_matched(
        bought, "F-1", [bought.laptops(Decimal("0.5"))] * 3 + [bought.laptops(Decimal("2.0000"))]
    )
    assert invoice.lines[3].line_id == "5"
    ((rule, message),) = failed(invoice)
    assert rule == "QUANTITE"
    assert message.startswith("Ligne 4 : 2 facturé(s), 3,5 en tout avec 1,5 sur les lignes précédentes")
    assert "2.0000" not in message and "Ligne 5" not in message


def test_a_price_message_cites_the_contract_price_with_its_eco_participation(bought):
    bought.deliver(2)
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(2, Decimal("900.00"))])
    ((rule, message),) = failed(invoice)
    assert rule == "PRIX"
    figures = [bought.price, bought.eco, bought.price + bought.eco]
    expected = "prix du marché {} € + éco-participation {} € = {} €".format(
        *(f"{value:.2f}".replace(".", ",") for value in figures)
    )
    assert expected.replace(" €", "\u00a0€") in message
    assert message.startswith("Ligne 1 : prix unitaire facturé 900,00\u00a0€ ≠ ")


def test_the_price_with_or_without_its_eco_participation_passes(bought):
    bought.deliver(2)
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(1), bought.laptops(1, bought.price + bought.eco)])
    assert failed(invoice) == []


# --- accept or reject --------------------------------------------------------------------------------


def test_an_accepted_anomaly_lets_the_split_go_on_and_records_who_and_why(bought, database):
    invoice = facturx(bought)
    for check in blocking_checks(invoice):
        resolve_check(bought.accountant, check.id, CheckResolution.ACCEPTED, f"Accepté ({check.rule}) : refacturé.")
    accepted = [c for c in invoice.checks if c.resolution is CheckResolution.ACCEPTED]
    assert len(accepted) == 6  # seller, buyer, the Chorus Pro references, three lines
    assert {c.resolved_by_id for c in accepted} == {bought.accountant.user_id}
    assert all(c.resolved_at is not None and c.resolution_comment.startswith("Accepté (") for c in accepted)
    events = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice_check.accepted")).all()
    assert len(events) == 6 and {e.actor_id for e in events} == {bought.accountant.user_id}
    assert all(e.after["comment"].startswith("Accepté (") for e in events)
    result = split_invoice(bought.accountant, invoice.id, AllocationKey.POPULATION, list(CAPI_FOUR))
    assert result.total_ttc == invoice.total_ttc and invoice.status is InvoiceStatus.SPLIT


def test_an_anomaly_needs_a_comment_to_be_accepted(bought):
    invoice = facturx(bought)
    check = blocking_checks(invoice)[0]
    with pytest.raises(ServiceError, match="commentaire est obligatoire"):
        resolve_check(bought.accountant, check.id, CheckResolution.ACCEPTED, "  ")


def test_a_rejected_invoice_cannot_be_split(bought, database):
    invoice = facturx(bought)
    with pytest.raises(ServiceError, match="motif du rejet"):
        reject_invoice(bought.accountant, invoice.id, " ")
    reject_invoice(bought.accountant, invoice.id, "Facture adressée à « LE CLIENT », pas à la CAPI.")
    assert invoice.status is InvoiceStatus.REJECTED and invoice.status.label == "rejetée"
    assert invoice.rejected_by_id == bought.accountant.user_id and invoice.rejected_at is not None
    assert invoice.rejection_reason == "Facture adressée à « LE CLIENT », pas à la CAPI."
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.reject")).one()
    assert event.after["reason"] == invoice.rejection_reason and event.actor_id == bought.accountant.user_id
    with pytest.raises(InvoiceTransitionRefused, match="rejetée"):
        split_invoice(bought.accountant, invoice.id, AllocationKey.POPULATION, list(CAPI_FOUR))
    with pytest.raises(InvoiceTransitionRefused, match="rejetée"):
        match_invoice(bought.accountant, invoice.id)
    with pytest.raises(InvoiceTransitionRefused, match="rejetée"):
        resolve_check(bought.accountant, blocking_checks(invoice)[0].id, CheckResolution.ACCEPTED, "Trop tard")
    assert count(database, Allocation) == 0


def test_a_split_invoice_can_no_longer_be_rejected(bought):
    bought.deliver(2)
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(2)])
    split_invoice(bought.accountant, invoice.id, AllocationKey.AMOUNT)
    with pytest.raises(InvoiceTransitionRefused, match="ne peut plus être rejetée"):
        reject_invoice(bought.accountant, invoice.id, "Trop tard")


# --- item 6: service fait ------------------------------------------------------------------------------


def test_the_accountant_cannot_override_service_fait(bought, database):
    bought.deliver(2, certify=False)
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(2)])
    ((rule, message),) = failed(invoice)
    assert rule == "SERVICE-FAIT"
    assert message == (
        "Ligne 1 : 2 facturé(s), pour 0 livré(s) avec le service fait certifié par la commune "
        f"(2 livré(s) en attente de certification) (commande {bought.order.number})."
    )
    check = blocking_checks(invoice)[0]
    with pytest.raises(Forbidden, match="décision motivée du coordonnateur"):
        resolve_check(bought.accountant, check.id, CheckResolution.ACCEPTED, "Livré, je l'ai vu")
    assert check.resolution is CheckResolution.OPEN
    with pytest.raises(SplitBlocked):
        split_invoice(bought.accountant, invoice.id, AllocationKey.AMOUNT)
    resolve_check(bought.coordinator, check.id, CheckResolution.ACCEPTED, "Livraison constatée sur place le 1er.")
    assert check.resolved_by_id == bought.coordinator.user_id
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice_check.accepted")).one()
    assert event.after["role"] == "coordinator" and event.after["rule"] == "SERVICE-FAIT"
    split_invoice(bought.accountant, invoice.id, AllocationKey.AMOUNT)
    assert invoice.status is InvoiceStatus.SPLIT


def test_the_commune_certifies_its_delivery(bought, database):
    delivery = bought.deliver(2, certify=False)
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(2)])
    assert [rule for rule, _ in failed(invoice)] == ["SERVICE-FAIT"]
    (row,) = commune_deliveries(bought.agent)
    assert row.delivery.id == delivery.id and row.certification is None
    assert commune_deliveries(bought.other_agent) == []
    with pytest.raises(NotFound):
        certify_delivery(bought.other_agent, delivery.id)
    with pytest.raises(Forbidden):
        certify_delivery(bought.accountant, delivery.id)

    certification = certify_delivery(bought.agent, delivery.id)
    assert (certification.certified_by_id, certification.commune_id) == (
        bought.agent.user_id,
        delivery.order_line.order.commune_id,
    )
    assert certification.certified_at is not None
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "service_fait.certify")).one()
    assert (event.object_id, event.actor_id) == (str(delivery.id), bought.agent.user_id)
    with pytest.raises(ServiceError, match="déjà certifié"):
        certify_delivery(bought.agent, delivery.id)
    assert count(database, ServiceFait) == 1
    (row,) = commune_deliveries(bought.agent)
    assert row.certification is not None

    match_invoice(bought.accountant, invoice.id)
    assert failed(invoice) == []


# --- item 7: duplicates ------------------------------------------------------------------------------------


def test_invoice_numbers_differing_by_case_spaces_or_separators_are_duplicates(bought, database):
    import_invoice(bought.accountant, "a.csv", bought.csv("OVER-8", [bought.laptops(1)]))
    for number in ("over-8", "OVER -8", "Over_8", "over/8", "O.VER 8"):
        with pytest.raises(InvoiceRejected) as rejected:
            import_invoice(bought.accountant, "b.csv", bought.csv(number, [bought.laptops(2)]))
        assert rejected.value.reasons == [
            f"La facture n° {number} de « {bought.contract.supplier.name} » est un doublon : la facture n° OVER-8 "
            "(même numéro une fois normalisé) a déjà été importée."
        ]
    assert count(database, Invoice) == 1
    # Another supplier may use the same number.
    other = import_invoice(
        bought.accountant,
        "c.csv",
        bought.csv("OVER-8", [bought.laptops(1)]).replace(bought.contract.supplier.siret.encode(), b"73282932000074"),
    )
    assert other.number_key == "OVER8"


def test_the_normalised_number_is_unique_in_the_database(bought, database):
    from sqlalchemy.exc import IntegrityError

    first = import_invoice(bought.accountant, "a.csv", bought.csv("OVER-8", [bought.laptops(1)]))
    database.session.flush()
    copy = Invoice(
        **{
            column: getattr(first, column)
            for column in (
                "coordinator_id", "kind", "type_code", "status", "issue_date", "currency", "seller_key",
                "seller_name", "source_format", "file_name", "total_ht", "total_vat", "total_ttc",
            )
        },
        number="over 8",
        number_key="OVER8",
    )  # fmt: skip
    with pytest.raises(IntegrityError), database.session.begin_nested():
        database.session.add(copy)
        database.session.flush()


def test_a_near_duplicate_is_a_blocking_warning(bought, database):
    bought.deliver(2)
    first = imported_and_matched(bought, "OVER-8", [bought.laptops(1)])
    assert failed(first) == []
    second = imported_and_matched(bought, "OVER-9", [bought.laptops(1)])
    near = [c for c in second.checks if c.rule == "DOUBLON"]
    assert [(c.ok, c.kind) for c in near] == [(False, "identity")]
    assert near[0].message.startswith("Doublon possible : même fournisseur, même date (")
    assert "que la facture n° OVER-8." in near[0].message
    assert "DOUBLON" in [rule for rule, _ in failed(second)]
    with pytest.raises(SplitBlocked, match="Doublon possible"):
        split_invoice(bought.accountant, second.id, AllocationKey.AMOUNT)
    # Another day or another amount is no near-duplicate.
    third = imported_and_matched(bought, "OVER-10", [bought.laptops(1)], day=paris_today() - timedelta(days=1))
    assert next(c for c in third.checks if c.rule == "DOUBLON").ok


# --- done when: every euro traced -----------------------------------------------------------------------------


def test_each_euro_billed_to_a_commune_keeps_its_order_line_and_contract_price(bought, database):
    bought.deliver(2)
    invoice = imported_and_matched(bought, "F-1", [bought.laptops(2)])
    split_invoice(bought.accountant, invoice.id, AllocationKey.AMOUNT)
    (line,) = database.session.scalars(select(AllocationLine)).all()
    order_line = bought.order.lines[0]
    assert (line.order_line_id, line.contract_price_id) == (order_line.id, order_line.contract_price_id)
    assert (line.quantity, line.unit_price, line.ht) == (Decimal(2), bought.price, Decimal(2) * bought.price)


def test_an_invoice_without_a_seller_name_shows_its_supplier_records_name(bought):
    # The spreadsheet gives only the supplier's SIRET (no fournisseur_nom column).
    invoice = import_invoice(bought.accountant, "F-1.csv", bought.csv("F-1", [bought.laptops(1)]))
    assert invoice.seller_name == invoice.supplier_name == bought.contract.supplier.name != ""
    invoice.seller_name, invoice.supplier_id = "", None
    invoice.supplier = None
    assert invoice.supplier_name == f"SIRET {bought.contract.supplier.siret}"
