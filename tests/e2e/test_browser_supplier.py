"""Issue 17's journeys in a real Chromium. On a phone: a commune's agent orders, the supplier
receives the order in its space, acknowledges it with a delivery date and declares the
delivery; the commune then sees it declared by the supplier, to certify. Then the contract's
life through the pages: the coordinator renews the contract once, records one amendment on its
ground and one price revision (formula and index values); the commune orders at the revised
price, the supplier acknowledges and declares the delivery, the commune certifies it, the
accountant's invoice is checked against the revised price (passing at it, failing at the old
one), and the DECP file carries the contract's modifications, valid against the official schema.
axe-core on every step at 1366 px, the supplier's steps at 390 px too."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from groupement.core.timeutil import paris_today
from tests.e2e.browser import log_in as browser_log_in
from tests.e2e.browser import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_the_supplier_receives_acknowledges_and_delivers_an_order_from_a_phone(world, live_server, browser):
    agent = browser.new_page(locale="fr-FR", timezone_id="Europe/Paris")
    browser_log_in(agent, live_server, world.emails["agent_a"], PASSWORD)
    agent.goto(f"{live_server.url}/commandes/nouvelle/{world.ids['contract']}")
    agent.get_by_label("Quantité — Écran 24 pouces").fill("2")
    agent.get_by_role("button", name="Enregistrer le bon de commande").click()
    agent.wait_for_url(re.compile(r".*/commandes/\d+$"))
    number = re.search(r"BC-\d{5}-\d{4}-0002", agent.locator(".flash-success").inner_text()).group(0)

    phone = browser.new_page(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE)
    browser_log_in(phone, live_server, world.emails["supplier_a"], PASSWORD)
    task = phone.locator('[data-kind="acknowledge"]').filter(has_text=number)
    task.get_by_role("link").click()
    phone.wait_for_url(re.compile(r".*/espace-fournisseur/commandes/\d+$"))
    acknowledge(phone, paris_today() + timedelta(days=3))
    assert phone.get_by_role("button", name="Accuser réception").count() == 0  # once

    declare_delivery(phone, "Écran 24 pouces", 3)
    assert "3 reçus alors qu'il reste 2 à livrer sur 2 commandés" in phone.locator(".flash-error").inner_text()
    declare_delivery(phone, "Écran 24 pouces", 2)
    assert "Livraison déclarée : 2 livrés" in phone.locator(".flash-success").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "fournisseur-livraison-declaree-telephone")

    certify(agent, live_server.url, number)


def acknowledge(phone, planned) -> None:
    """On the supplier's order page: the planned delivery date, then the acknowledgment."""
    phone.get_by_label("Date de livraison prévue (facultative)").fill(planned.isoformat())
    phone.get_by_role("button", name="Accuser réception").click()
    assert f"livraison prévue le {planned:%d/%m/%Y}" in phone.locator(".flash-success").inner_text()


def declare_delivery(phone, designation: str, quantity: int) -> None:
    line = phone.locator(".delivery-line").filter(has_text=designation)
    line.get_by_label(re.compile(r"Quantité livrée")).fill(str(quantity))
    line.get_by_role("button", name="Déclarer la livraison").click()


def certify(agent, url: str, number: str) -> None:
    """The commune's service fait page: the delivery the supplier declared, certified."""
    agent.goto(f"{url}/ma-commune/service-fait")
    row = agent.locator("table.service-fait tbody tr").filter(has_text=number)
    assert "déclarée par le fournisseur" in row.inner_text()
    row.get_by_role("button", name=re.compile("Certifier le service fait")).click()
    assert "certifié" in agent.locator("table.service-fait tbody tr").filter(has_text=number).inner_text()


# --- the contract's life, through the pages, up to an invoice at the revised price -------------------

DESKTOP = {"width": 1366, "height": 900}
SERIOUS = {"serious", "critical"}


def _flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


class Walk:
    """One browser context per person; a numbered screenshot per step; axe-core on every step at
    1366 px, and at 390 px too for the supplier's steps (the supplier works from a phone)."""

    def __init__(self, browser, server, emails):
        from axe_playwright_python.sync_playwright import Axe

        self.browser, self.server, self.emails, self.axe = browser, server, emails, Axe()
        self.step, self.violations, self.contexts = 0, [], []

    def as_(self, principal: str, viewport=DESKTOP):
        context = self.browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_log_in(page, self.server, self.emails[principal], PASSWORD)
        return page

    def shot(self, page, name: str, widths=(DESKTOP["width"],)) -> None:
        page.wait_for_load_state()
        shown = page.viewport_size
        for width in widths:
            page.set_viewport_size({"width": width, "height": shown["height"]})
            for violation in self.axe.run(page).response["violations"]:
                if violation["impact"] in SERIOUS:
                    target = violation["nodes"][0]["target"] if violation["nodes"] else "?"
                    self.violations.append(f"{violation['id']} à {width} px sur {page.url} : {target}")
        page.set_viewport_size(shown)
        self.step += 1
        screenshot(page, f"vie-du-marche-{self.step:02d}-{name}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def walk(world, live_server, browser):
    trip = Walk(browser, live_server, world.emails)
    yield trip
    trip.close()


def _twelve_months_for_fifty_thousand(app, world):
    """The world's contract (laptops and screens, started 50 days ago) as a 12-month contract of
    50 000 € HT: renewable, and due in the DECP (at or above 40 000 €). Its start, number, prices."""
    from groupement.contracts.models import Contract
    from groupement.extensions import db

    with app.app_context():
        contract = db.session.get(Contract, world.ids["contract"])
        contract.duration_months, contract.maximum_amount = 12, Decimal("50000")
        db.session.commit()
        screen = next(p for p in contract.prices if p.lot_line.ref == "INF-ECRAN")
        return contract.start_date, contract.number, screen.unit_price, screen.eco_participation


def _invoice_csv(app, world, number: str, order_number: str, unit_price: str) -> bytes:
    from groupement.extensions import db
    from groupement.organisations.models import Organisation
    from groupement.tenders.models import Supplier

    with app.app_context():
        siret = db.session.get(Supplier, world.ids["supplier"]).siret
        buyer = db.session.get(Organisation, world.ids["capi"])
        insee = db.session.get(Organisation, world.ids["commune_a"]).insee_code
        buyer_name, buyer_siret = buyer.name, buyer.siret
    head = (
        "numero_facture;date_facture;fournisseur_siret;acheteur_nom;acheteur_siret;numero_commande;code_insee;"
        "ref_article;designation;quantite;prix_unitaire_ht;taux_tva"
    )
    row = (
        f"{number};{paris_today():%d/%m/%Y};{siret};{buyer_name};{buyer_siret};{order_number};{insee};"
        f"INF-ECRAN;Écran 24 pouces;2;{unit_price};20"
    )
    return f"{head}\n{row}\n".encode()


def test_a_contract_renewed_amended_and_revised_in_the_pages_is_ordered_delivered_and_invoiced_at_the_revised_price(
    app, world, walk, tmp_path
):
    from groupement.contracts.order_rules import add_months, contract_end
    from tests.decp_schema import schema_errors
    from tests.e2e.browser import finish_job
    from tests.pdf_reading import pdf_text

    url = walk.server.url
    start, contract_number, screen_price, screen_eco = _twelve_months_for_fifty_thousand(app, world)
    life = f"{url}/contrats/{world.ids['contract']}/vie"

    # 1. The coordinator reads the contract, a supplies contract, and opens its life page.
    coordinator = walk.as_("coordinator")
    coordinator.goto(f"{url}/contrats/{world.ids['contract']}")
    assert coordinator.locator("dd.contract-nature").inner_text() == "Fournitures"
    walk.shot(coordinator, "accord-cadre")
    coordinator.get_by_role("link", name=re.compile("Vie du marché")).click()
    coordinator.wait_for_url(life)

    # 2. The renewal clause (once 12 months, 3 months' notice), then the decision to renew: the end moves a year.
    coordinator.get_by_label("Nombre de reconductions").fill("1")
    coordinator.get_by_label("Durée d'une reconduction (mois)").fill("12")
    coordinator.get_by_label("Préavis (mois)").fill("3")
    coordinator.get_by_role("button", name="Enregistrer la clause de reconduction").click()
    assert "Clause de reconduction enregistrée" in coordinator.locator(".flash-success").inner_text()
    deadline = add_months(add_months(start, 12), -3) - timedelta(days=1)
    assert f"décision au plus tard le {deadline:%d/%m/%Y}" in _flat(coordinator.locator(".renewal-next").inner_text())
    walk.shot(coordinator, "reconduction-a-decider")
    coordinator.get_by_label("Décision").select_option(label="Reconduire")
    coordinator.get_by_role("button", name="Enregistrer la décision").click()
    new_end = contract_end(start, 24)
    flash = coordinator.locator(".flash-success").inner_text()
    assert f"Marché reconduit (période n° 1) : fin d'exécution le {new_end:%d/%m/%Y}" in flash, flash
    assert f"{new_end:%d/%m/%Y} (24 mois)" in coordinator.locator(".life-end").inner_text()
    walk.shot(coordinator, "reconduit")

    # 3. An amendment past the de minimis limit is refused with the figures; one within it, with its ground, passes.
    def amend(amount: str) -> None:
        coordinator.get_by_label("Modification du montant maximum HT (négative pour une diminution)").fill(amount)
        coordinator.get_by_label("Fondement").select_option(label="Modification de faible montant (R2194-8)")
        coordinator.get_by_label("Notifié le").fill(paris_today().isoformat())
        coordinator.get_by_label("Objet de la modification").fill("Écrans supplémentaires pour les écoles.")
        coordinator.get_by_role("button", name="Enregistrer l'avenant").click()

    amend("6 000")
    refused = _flat(coordinator.locator(".flash-error").inner_text())
    assert "Avenant refusé" in refused and "6 000,00 €" in refused and "5 000,00 € HT pour 50 000,00 € HT" in refused
    walk.shot(coordinator, "avenant-refuse")
    amend("2 500")
    flash = _flat(coordinator.locator(".flash-success").inner_text())
    assert "Avenant n° 1 enregistré : nouveau montant maximum 52 500,00 € HT" in flash, flash
    amendment = _flat(coordinator.locator("table.amendments tbody tr").inner_text())
    assert "Écrans supplémentaires" in amendment and "(R2194-8)" in amendment and "52 500,00 €" in amendment
    walk.shot(coordinator, "avenant-enregistre")

    # 4. The revision formula, monthly from the start: without the index values, the price stays and says why.
    base = start.replace(day=1)
    revised_month = add_months(base, 1)
    formula = coordinator.locator("form.formula-form")
    formula.get_by_label("Partie fixe").fill("0,15")
    formula.get_by_label("Indice", exact=True).fill("ICHT-IME")
    formula.get_by_label("Poids de l'indice").fill("0,85")
    formula.get_by_label("Mois zéro (premier jour du mois de référence)").fill(base.isoformat())
    formula.get_by_label("Périodicité (mois)").fill("1")
    formula.get_by_role("button", name="Enregistrer la formule").click()
    assert "Formule de révision enregistrée" in coordinator.locator(".flash-success").inner_text()
    note = _flat(coordinator.locator(".revision-note").inner_text())
    assert "Prix non révisés : la révision n° 1" in note and f"ICHT-IME de {base:%m/%Y}" in note
    walk.shot(coordinator, "formule-sans-indices")
    for month, value in ((base, "100"), (revised_month, "110,0")):
        values = coordinator.locator("form.index-value-form")
        values.get_by_label("Indice", exact=True).fill("ICHT-IME")
        values.get_by_label("Mois").fill(month.isoformat())
        values.get_by_label("Valeur").fill(value)
        values.get_by_role("button", name="Enregistrer la valeur").click()
        assert f"Indice ICHT-IME de {month:%m/%Y} enregistré" in coordinator.locator(".flash-success").inner_text()
    coordinator.get_by_role("button", name="Calculer les révisions dues").click()
    flash = coordinator.locator(".flash-success").inner_text()
    assert f"Révision n° 1 calculée : coefficient 1,0850, prix révisés à partir du {add_months(start, 1):%d/%m/%Y}" in (
        flash
    ), flash
    assert coordinator.locator(".revision-note").count() == 0
    walk.shot(coordinator, "revision-calculee")

    # 5. Commune A orders two screens at the revised price: 116,10 € × 1,085 = 125,9685 €, plus 0,50 € of
    # eco-participation.
    revised = Decimal("125.9685")
    assert screen_price == Decimal("116.1000") and screen_eco == Decimal("0.5000")
    agent = walk.as_("agent_a")
    agent.goto(f"{url}/commandes/nouvelle/{world.ids['contract']}")
    screen_row = agent.locator("table.order-lines tbody tr").filter(has_text="Écran 24 pouces")
    assert "125,9685 €" in _flat(screen_row.inner_text())
    agent.get_by_label("Quantité — Écran 24 pouces").fill("2")
    walk.shot(agent, "commande-au-prix-revise")
    agent.get_by_role("button", name="Enregistrer le bon de commande").click()
    agent.wait_for_url(re.compile(r".*/commandes/\d+$"))
    flash = _flat(agent.locator(".flash-success").inner_text())
    number = re.search(r"BC-\d{5}-\d{4}-\d{4}", flash).group(0)
    assert "252,94 € HT" in flash, flash  # 2 × (125,9685 + 0,50) = 252,937
    with agent.expect_download() as download:
        agent.get_by_role("link", name="Télécharger le PDF").click()
    printed = _flat(pdf_text(Path(download.value.path()).read_bytes()))
    assert "Prix révisés : révision n° 1 du marché (coefficient 1,0850" in printed and "125,9685 €" in printed
    walk.shot(agent, "commande-enregistree")

    # 6. The supplier, on its phone, receives the order, acknowledges it and declares the delivery.
    supplier = walk.as_("supplier_a", viewport=PHONE)
    supplier.locator('[data-kind="acknowledge"]').filter(has_text=number).get_by_role("link").click()
    supplier.wait_for_url(re.compile(r".*/espace-fournisseur/commandes/\d+$"))
    assert "125,9685 €" in _flat(supplier.locator("main").inner_text())
    walk.shot(supplier, "fournisseur-commande-recue", widths=(390, 1366))
    acknowledge(supplier, paris_today() + timedelta(days=2))
    declare_delivery(supplier, "Écran 24 pouces", 2)
    assert "Livraison déclarée : 2 livrés" in supplier.locator(".flash-success").inner_text()
    assert supplier.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    walk.shot(supplier, "fournisseur-livraison-declaree", widths=(390, 1366))

    # 7. The commune certifies the service it received.
    certify(agent, url, number)
    walk.shot(agent, "service-fait-certifie")

    # 8. The accountant's invoices: at the revised price the price check holds; at the old price it fails.
    accountant = walk.as_("accountant")

    def import_and_match(invoice_number: str, price: str):
        accountant.goto(f"{url}/factures")
        accountant.get_by_label("Fichier de la facture ou de l'avoir").set_input_files(
            {
                "name": f"{invoice_number}.csv",
                "mimeType": "text/csv",
                "buffer": _invoice_csv(app, world, invoice_number, number, price),
            }
        )
        accountant.get_by_role("button", name="Importer la facture").click()
        accountant.wait_for_url(re.compile(r".*/factures/\d+$"))
        accountant.get_by_role("button", name="Rapprocher").click()
        accountant.wait_for_load_state()

    def price_row(page, table: str):
        return page.locator(f"table.{table} tr", has=page.locator("th code:text-is('PRIX')"))

    import_and_match("FA-REV-1", "125,9685")
    passing = _flat(price_row(accountant, "invoice-checks").inner_text())
    assert "conforme" in passing and f"dont 1 au prix révisé (révision n° 1, commande {number})" in passing
    assert "125,9685 €" in _flat(accountant.locator("table.invoice-lines").inner_text())  # its 4 decimals shown
    assert price_row(accountant, "invoice-anomalies").count() == 0
    walk.shot(accountant, "facture-au-prix-revise")
    import_and_match("FA-OLD-2", "116,10")
    failing = _flat(price_row(accountant, "invoice-anomalies").inner_text())
    assert f"prix unitaire facturé 116,10 € ≠ prix du marché {str(revised).replace('.', ',')} €" in failing, failing
    assert price_row(accountant, "invoice-checks").count() == 0
    walk.shot(accountant, "facture-a-l-ancien-prix")

    # 9. The DECP file: the contract with its two modifications (the renewal, the amendment), valid against the schema.
    coordinator.goto(f"{url}/donnees-essentielles")
    walk.shot(coordinator, "donnees-essentielles")
    coordinator.get_by_role("button", name="Préparer le fichier DECP (JSON)").click()
    link = finish_job(coordinator, app, re.compile(r"Télécharger decp-"))
    walk.shot(coordinator, "decp-pret")
    with coordinator.expect_download() as download:
        link.click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert schema_errors(document) == []
    (entry,) = [e for e in document["marches"]["marche"] if e["id"] == contract_number]
    assert (entry["montant"], entry["dureeMois"], entry["typesPrix"]["typePrix"]) == (
        50000,
        12,
        ["Définitif révisable"],
    )
    modifications = sorted(
        (m["modification"]["montant"], m["modification"]["dureeMois"]) for m in entry["modifications"]
    )
    assert modifications == [(50000, 24), (52500, 24)]

    assert walk.step >= 15
    assert not walk.violations, "\n".join(walk.violations)
