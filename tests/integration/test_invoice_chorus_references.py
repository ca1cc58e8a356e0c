"""Chorus Pro references: an invoice is matched first by BT-13 (order number or engagement number)
and BT-10 (the commune's service code); another commune's or coordinator's reference is an
anomaly, never a silent match. And the spreadsheet template's round trip: filled, imported,
matched, its shared delivery line split by key to the cent."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.models import Contract, Order
from groupement.contracts.orders import place_order, record_delivery
from groupement.core.access import Actor, Role, system_actor
from groupement.core.timeutil import paris_today, utcnow
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.chorus_references import REFERENCES_RULE
from groupement.invoices.importing import import_invoice
from groupement.invoices.matching import blocking_checks, match_invoice
from groupement.invoices.service_fait import certify_delivery
from groupement.invoices.splitting import split_invoice
from groupement.invoices.template_download import template_for
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from groupement.organisations.models import Organisation


@dataclass
class Chorus:
    accountant: Actor
    contract: Contract
    four: Organisation
    eclose: Organisation
    order_four: Order
    order_eclose: Order
    price: Decimal


def _world(make, database, coordinator_name="CAPI", laptop=None, insee="38172", **coordinator) -> Chorus:
    capi = make.coordinator(name=coordinator_name, **coordinator)
    group = make.groupement(capi)
    four = make.organisation(insee_code=insee, name="Four", chorus_service_code="SERV-FOUR")
    eclose = make.organisation(name="Eclose-Badinières", chorus_service_code="SERV-ECL", population=700)
    for commune in (four, eclose):
        make.membership(group, commune)
    laptop = laptop or make.item(ref="INF-PORT", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("0"))
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    make.submission(campaign, four, {laptop: 10}, status=SubmissionStatus.VALIDATED)
    make.submission(campaign, eclose, {laptop: 10}, status=SubmissionStatus.VALIDATED)
    agents = {c.id: make.user(Role.AGENT, c).actor for c in (four, eclose)}
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    database.session.flush()
    aggregate_campaign(system_actor(capi.id), campaign.id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    lot.maximum_amount = Decimal("100000")
    contract = make.contract(
        make.offer(lot, make.supplier(capi)),
        start_date=paris_today() - timedelta(days=5),
        notified_on=paris_today() - timedelta(days=6),
    )
    database.session.flush()
    orders = {}
    for commune, engagement in ((four, "EJ-2026-0042"), (eclose, "EJ-ECL-7")):
        agent = agents[commune.id]
        order = place_order(agent, contract.id, [(contract.prices[0].id, 5)], "Mairie", engagement_number=engagement)
        certify_delivery(agent, record_delivery(agent, order.lines[0].id, paris_today(), 5).id)
        orders[commune.id] = order
    return Chorus(accountant, contract, four, eclose, orders[four.id], orders[eclose.id], contract.prices[0].unit_price)


def _csv(world: Chorus, number: str, reference: str, insee: str, service: str = "", quantity: int = 2) -> bytes:
    return (
        "numero_facture;date_facture;fournisseur_siret;code_service;numero_commande;code_insee;ref_article;"
        f"designation;quantite;prix_unitaire_ht;taux_tva\n{number};{paris_today().isoformat()};"
        f"{world.contract.supplier.siret};{service};{reference};{insee};INF-PORT;Portable;{quantity};{world.price};20\n"
    ).encode()


def _matched(world: Chorus, content: bytes, name: str):
    invoice = import_invoice(world.accountant, name, content)
    match_invoice(world.accountant, invoice.id)
    references = next(c for c in invoice.checks if c.rule == REFERENCES_RULE)
    return invoice, references


@pytest.fixture
def chorus(make, database) -> Chorus:
    return _world(make, database)


def test_an_invoice_quoting_the_engagement_number_and_the_service_code_is_tied_to_that_order(chorus):
    invoice, references = _matched(
        chorus, _csv(chorus, "F-EJ", "EJ-2026-0042", chorus.four.insee_code, "SERV-FOUR"), "ej.csv"
    )
    assert references.ok, references.message
    assert "numéro d'engagement « EJ-2026-0042 » (BT-13)" in references.message
    assert "code service Chorus Pro « SERV-FOUR » de Four (BT-10)" in references.message
    assert invoice.buyer_reference == "SERV-FOUR"
    assert invoice.lines[0].order_line_id == chorus.order_four.lines[0].id
    assert invoice.lines[0].commune_id == chorus.four.id
    assert blocking_checks(invoice) == [] or {c.rule for c in blocking_checks(invoice)} <= {"ACHETEUR"}


def test_the_order_number_matches_too_and_the_check_says_which_reference_matched(chorus):
    _, references = _matched(chorus, _csv(chorus, "F-NUM", chorus.order_four.number, chorus.four.insee_code), "n.csv")
    assert references.ok
    assert f"commande n° {chorus.order_four.number} (Four) par son numéro (BT-13)" in references.message


def test_a_service_code_of_another_commune_than_the_order_is_an_anomaly(chorus):
    invoice, references = _matched(
        chorus, _csv(chorus, "F-MIX", "EJ-2026-0042", chorus.four.insee_code, "SERV-ECL"), "mix.csv"
    )
    assert not references.ok
    assert "le code service « SERV-ECL » (BT-10) désigne Eclose-Badinières" in references.message
    assert REFERENCES_RULE in {c.rule for c in blocking_checks(invoice)}


def test_an_engagement_number_nobody_of_the_groupement_carries_is_an_anomaly_not_a_match(chorus):
    invoice, references = _matched(chorus, _csv(chorus, "F-UNK", "EJ-INCONNU", chorus.four.insee_code), "u.csv")
    assert not references.ok
    assert "« EJ-INCONNU » (BT-13) n'est ni un numéro de commande ni un numéro d'engagement" in references.message
    assert invoice.lines[0].order_line_id is None


def test_another_coordinators_engagement_number_is_never_matched(make, database, chorus):
    from groupement.catalog.models import CatalogItem

    laptop = database.session.scalars(select(CatalogItem).where(CatalogItem.ref == "INF-PORT")).one()
    other = _world(
        make,
        database,
        coordinator_name="Autre",
        laptop=laptop,
        insee="38999",
        siren="200000172",
        siret="20000017200019",
    )
    other.order_four.engagement_number = "EJ-AUTRE-1"
    database.session.flush()
    invoice, references = _matched(chorus, _csv(chorus, "F-OTH", "EJ-AUTRE-1", chorus.four.insee_code), "o.csv")
    assert not references.ok and "EJ-AUTRE-1" in references.message
    assert invoice.lines[0].order_line_id is None
    # And the other coordinator's accountant, quoting it, does match it (same rule, its own scope).
    _, theirs = _matched(other, _csv(other, "F-OTH", "EJ-AUTRE-1", other.four.insee_code), "o.csv")
    assert theirs.ok


def test_a_reference_too_long_is_refused_at_import_naming_the_column(chorus):
    from groupement.invoices.importing import InvoiceRejected

    with pytest.raises(InvoiceRejected) as rejected:
        import_invoice(chorus.accountant, "long.csv", _csv(chorus, "F-L", "X" * 61, chorus.four.insee_code, "S" * 101))
    reasons = " ".join(rejected.value.reasons)
    assert "numero_commande" in reasons and "code_service" in reasons


def test_the_template_filled_imported_and_split_shares_the_delivery_by_key_to_the_cent(chorus):
    workbook = load_workbook(io.BytesIO(template_for(chorus.accountant)))
    assert workbook.sheetnames == ["Facture", "Instructions", "Communes"]
    communes = {row[0]: row[2] for row in workbook["Communes"].iter_rows(min_row=2, values_only=True)}
    assert communes[chorus.four.insee_code] == "SERV-FOUR"
    assert any("Lignes partagées" in (row[1] or "") for row in workbook["Instructions"].iter_rows(values_only=True))
    sheet = workbook["Facture"]
    assert sheet.data_validations.dataValidation  # the lists and bounds are there
    titles = [cell.value for cell in sheet[1]]
    siret = chorus.contract.supplier.siret
    rows = [
        {"Numéro commande": "EJ-2026-0042", "Code INSEE": chorus.four.insee_code, "Quantité": 2},
        {"Numéro commande": chorus.order_eclose.number, "Code INSEE": chorus.eclose.insee_code, "Quantité": 1},
        {"Ligne partagée": "oui", "Désignation": "Livraison", "Quantité": 1, "Prix unitaire HT": Decimal("100.01")},
    ]
    for index, values in enumerate(rows, start=2):
        cells = {
            "Numéro facture": "F-MODELE",
            "Date facture": paris_today(),
            "Fournisseur SIRET": siret,
            "Ref article": "INF-PORT" if "Ligne partagée" not in values else None,
            "Désignation": "Portable",
            "Prix unitaire HT": chorus.price,
            "Taux TVA": 20,
            **values,
        }
        for column, title in enumerate(titles, start=1):
            sheet.cell(row=index, column=column, value=cells.get(title))
    filled = io.BytesIO()
    workbook.save(filled)

    invoice = import_invoice(chorus.accountant, "modele.xlsx", filled.getvalue())
    assert len(invoice.lines) == 2 and len(invoice.allowances_charges) == 1
    assert invoice.allowances_charges[0].amount == Decimal("100.01")
    assert invoice.total_ht == 3 * chorus.price + Decimal("100.01")
    match_invoice(chorus.accountant, invoice.id)
    assert {c.rule for c in blocking_checks(invoice)} <= {"ACHETEUR"}  # the buyer column was left empty
    for check in blocking_checks(invoice):
        from groupement.invoices.matching import resolve_check
        from groupement.invoices.states import CheckResolution

        resolve_check(chorus.accountant, check.id, CheckResolution.ACCEPTED, "Adressée au coordonnateur.")
    result = split_invoice(
        chorus.accountant, invoice.id, AllocationKey.EQUAL, [chorus.four.insee_code, chorus.eclose.insee_code]
    )
    shares = {s.insee: s for s in result.communes}
    four, eclose = shares[chorus.four.insee_code], shares[chorus.eclose.insee_code]
    # Each commune its own line, and the 100,01 € delivery shared equally: 50,01 + 50,00 (largest remainder).
    assert {four.ht - 2 * chorus.price, eclose.ht - chorus.price} == {Decimal("50.01"), Decimal("50.00")}
    assert four.ht + eclose.ht == invoice.total_ht
    assert four.ttc + eclose.ttc == invoice.total_ttc
