"""The whole journey in a real Chromium, on a fresh database: the coordinator opens a campaign; two
communes enter their needs (one through the grid, one through the .xlsx); the signatories validate;
the coordinator aggregates, publishes, exports the DQE, imports two offers, awards; a commune orders
and confirms a delivery; the accountant imports a Factur-X invoice, splits it and exports the recovery
titles. Figures are asserted on screen, a screenshot is kept per step, and axe-core checks every page
of the journey for serious or critical accessibility violations."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from groupement.catalog.items import import_catalog
from groupement.catalog.reference_data import catalog_paths
from groupement.core.access import OrganisationKind, Role
from groupement.core.french import de
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import ExecutionMode, Groupement, Membership, Organisation
from groupement.organisations.users import create_user
from groupement.tenders.tender_layout import ECO, REF, UNIT_PRICE
from tests.e2e.browser import finish_job, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Parcours-complet-2026"
DOMAIN = "parcours.example.fr"
INVOICE = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "facturx_en16931_fr.pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAPER, RECYCLED = "FOU-PAP-A4-80", "FOU-PAP-A4-80-REC"  # 4,60 € and 4,95 € HT, both CPV 30197630-1
CAMPAIGN = "Fournitures 2027"
SUPPLIERS = (("Papeterie du Dauphiné", "73282932000074"), ("Bureau Vallée Isère", "55210055400013"))
SERIOUS = {"serious", "critical"}


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d,-]", "", text).replace(",", "."))


def build_fresh_database() -> None:
    """Only the minimum: the CAPI, two communes, the groupement, the shipped catalogs, six accounts."""
    capi = Organisation(
        kind=OrganisationKind.COORDINATOR,
        name="Communauté d'agglomération Porte de l'Isère (CAPI)",
        siren="243800604",
        siret="24380060400346",
        address="17 avenue du Bourg",
        postcode="38081",
        city="L'Isle-d'Abeau",
    )
    bourgoin = Organisation(
        kind=OrganisationKind.COMMUNE,
        name="Bourgoin-Jallieu",
        insee_code="38053",
        siren="213800535",
        population=29816,
        address="Mairie",
        postcode="38300",
        city="Bourgoin-Jallieu",
    )
    villefontaine = Organisation(
        kind=OrganisationKind.COMMUNE,
        name="Villefontaine",
        insee_code="38553",
        siren="213805534",
        population=19018,
        address="Mairie",
        postcode="38090",
        city="Villefontaine",
    )
    db.session.add_all([capi, bourgoin, villefontaine])
    db.session.flush()
    groupement = Groupement(
        name="Informatique, fournitures et véhicules",
        coordinator_id=capi.id,
        families=frozenset(Family),
        convention_signed_on=date(2025, 12, 15),
        execution_mode=ExecutionMode.INTEGRE,
    )
    db.session.add(groupement)
    db.session.flush()
    for commune in (bourgoin, villefontaine):
        db.session.add(
            Membership(
                groupement_id=groupement.id,
                commune_id=commune.id,
                families=frozenset(Family),
                signed_on=date(2026, 1, 20),
            )
        )
    db.session.commit()
    import_catalog([(path.name, path.read_bytes()) for path in catalog_paths()], actor_id=None)
    for login, name, role, organisation in (
        ("coordinateur", "Claire Martin", Role.COORDINATOR, capi),
        ("comptable", "Nadia Lefèvre", Role.ACCOUNTANT, capi),
        ("agent.bourgoin", "Agent de Bourgoin-Jallieu", Role.AGENT, bourgoin),
        ("signataire.bourgoin", "Signataire de Bourgoin-Jallieu", Role.SIGNATORY, bourgoin),
        ("agent.villefontaine", "Agent de Villefontaine", Role.AGENT, villefontaine),
        ("signataire.villefontaine", "Signataire de Villefontaine", Role.SIGNATORY, villefontaine),
    ):
        create_user(None, f"{login}@{DOMAIN}", name, role, organisation.id, PASSWORD)
    db.session.commit()  # the live server's requests must see it


class Journey:
    """One browser context per person, a numbered screenshot per step, axe-core after each page load."""

    def __init__(self, browser, server):
        self.browser, self.server = browser, server
        self.pages: dict[str, object] = {}
        self.step = 0
        self.violations: list[str] = []
        self.checked: set[str] = set()
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()

    def as_(self, login: str):
        if login not in self.pages:
            context = self.browser.new_context(
                locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(self.server.url + "/connexion")
            self.audit(page)
            page.get_by_label("Adresse électronique").fill(f"{login}@{DOMAIN}")
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_url(self.server.url + "/")
            self.audit(page)
            self.pages[login] = page
        return self.pages[login]

    def audit(self, page) -> None:
        """axe-core on the page as it is now (every state of a page: draft, published, validated…)."""
        page.wait_for_load_state()
        self.checked.add(re.sub(r"\d+", "N", page.url.split("?")[0].split("#")[0].removeprefix(self.server.url)))
        for violation in self.axe.run(page).response["violations"]:
            if violation["impact"] in SERIOUS:
                target = violation["nodes"][0]["target"] if violation["nodes"] else "?"
                self.violations.append(f"{violation['id']} ({violation['impact']}) sur {page.url} : {target}")

    def shot(self, page, name: str) -> None:
        self.audit(page)
        self.step += 1
        screenshot(page, f"parcours-{self.step:02d}-{name}")

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def journey(app, live_server, browser):
    with app.app_context():
        build_fresh_database()
    trip = Journey(browser, live_server)
    yield trip
    trip.close()


def priced_dqe(dqe: bytes, factor: Decimal) -> bytes:
    """The bidder's file: the downloaded DQE with its price cells filled, found by the column titles."""
    workbook = openpyxl.load_workbook(io.BytesIO(dqe))
    sheet = workbook.worksheets[0]
    header = next(row for row in sheet.iter_rows() if any(cell.value == UNIT_PRICE for cell in row))
    columns = {cell.value: cell.column for cell in header}
    filled = 0
    for row in range(header[0].row + 1, sheet.max_row + 1):
        ref = sheet.cell(row, columns[REF]).value
        if not ref:
            continue
        base = {PAPER: Decimal("4.60"), RECYCLED: Decimal("4.95")}[ref]
        sheet.cell(row, columns[UNIT_PRICE]).value = float((base * factor).quantize(Decimal("0.01")))
        sheet.cell(row, columns[ECO]).value = 0
        filled += 1
    assert filled == 2
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_of(page, ref: str):
    return page.locator("tr", has=page.locator(f"code:text-is('{ref}')"))


def test_the_whole_journey_from_the_campaign_to_the_recovery_titles_in_a_real_browser(app, journey, tmp_path):
    url = journey.server.url

    # 1. The coordinator creates the campaign (supplies only, open since an hour ago) and opens it.
    coordinator = journey.as_("coordinateur")
    coordinator.get_by_role("link", name="Campagnes", exact=True).first.click()
    coordinator.wait_for_url(url + "/campagnes")
    journey.audit(coordinator)
    coordinator.goto(url + "/campagnes/nouvelle")
    coordinator.get_by_label("Intitulé").fill(CAMPAIGN)
    coordinator.get_by_label("Année des besoins").fill("2027")
    for family in Family:
        coordinator.get_by_label(family.label, exact=True).set_checked(family == Family.FOURNITURES)
    opens = datetime_local(-1)
    coordinator.get_by_label("Ouverture de la saisie").fill(opens)
    coordinator.get_by_label("Date limite de saisie").fill(datetime_local(24 * 14))
    journey.shot(coordinator, "creation-campagne")
    coordinator.get_by_role("button", name="Créer la campagne").click()
    coordinator.wait_for_url(re.compile(r".*/campagnes/\d+$"))
    board_url = coordinator.url
    campaign_id = int(board_url.rsplit("/", 1)[1])
    coordinator.get_by_role("button", name="Ouvrir la campagne aux communes").click()
    assert "ouverte" in coordinator.locator(".badge").first.inner_text()
    journey.shot(coordinator, "campagne-ouverte")

    # 2. Bourgoin-Jallieu keys its needs into the grid: 100 × 4,60 + 20 × 4,95 = 559,00 € HT.
    agent_b = journey.as_("agent.bourgoin")
    agent_b.get_by_role("link", name="Campagnes", exact=True).first.click()
    agent_b.get_by_role("link", name=CAMPAIGN).first.click()
    agent_b.wait_for_url(re.compile(r".*/besoins$"))
    journey.audit(agent_b)
    row_of(agent_b, PAPER).locator("input.qty").fill("100")
    row_of(agent_b, RECYCLED).locator("input.qty").fill("20")
    agent_b.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "enregistrée" in agent_b.get_by_role("status").first.inner_text()
    assert amount(agent_b.locator("[data-grand-total]").inner_text()) == Decimal("559.00")
    agent_b.get_by_role("link", name="Soumettre les besoins").click()
    journey.audit(agent_b)
    agent_b.get_by_role("button", name="Confirmer la soumission").click()
    assert "soumis" in agent_b.locator(".flash-success").inner_text()
    journey.shot(agent_b, "besoins-grille-soumis")

    # 3. Villefontaine downloads its workbook, fills it in (50 and 30) and uploads it: 50 × 4,60 + 30 × 4,95 = 378,50 €.
    agent_v = journey.as_("agent.villefontaine")
    agent_v.goto(f"{url}/campagnes/{campaign_id}/besoins")
    journey.audit(agent_v)
    with agent_v.expect_download() as download:
        agent_v.get_by_role("link", name="Télécharger en Excel").click()
    path = tmp_path / "besoins-villefontaine.xlsx"
    download.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    header = next(row for row in sheet.iter_rows() if any(cell.value == "Quantité" for cell in row))
    columns = {cell.value: cell.column for cell in header}
    wanted = {PAPER: 50, RECYCLED: 30}
    for row in range(header[0].row + 1, sheet.max_row + 1):
        ref = sheet.cell(row, columns["Référence"]).value
        if ref in wanted:
            sheet.cell(row, columns["Quantité"]).value = wanted.pop(ref)
    assert not wanted
    workbook.save(path)
    agent_v.get_by_role("link", name="Importer un fichier Excel").click()
    journey.audit(agent_v)
    agent_v.get_by_label("Fichier Excel des besoins (.xlsx)").set_input_files(str(path))
    agent_v.get_by_role("button", name="Vérifier le fichier").click()
    assert agent_v.locator(".import-summary").inner_text() == "0 ligne modifiée, 2 ajoutées, 0 remise à zéro"
    journey.shot(agent_v, "besoins-import-apercu")
    agent_v.get_by_role("button", name="Confirmer et enregistrer").click()
    agent_v.wait_for_url(re.compile(r".*/besoins$"))
    assert row_of(agent_v, PAPER).locator("input.qty").input_value() == "50"
    assert amount(agent_v.locator("[data-grand-total]").inner_text()) == Decimal("378.50")
    agent_v.get_by_role("link", name="Soumettre les besoins").click()
    journey.audit(agent_v)
    agent_v.get_by_role("button", name="Confirmer la soumission").click()
    assert "soumis" in agent_v.locator(".flash-success").inner_text()
    journey.shot(agent_v, "besoins-excel-soumis")

    # 4. Each signatory validates the needs of the commune.
    for login in ("signataire.bourgoin", "signataire.villefontaine"):
        signatory = journey.as_(login)
        signatory.goto(f"{url}/campagnes/{campaign_id}/besoins")
        journey.audit(signatory)
        signatory.get_by_role("link", name="Vérifier puis valider les besoins").click()
        journey.audit(signatory)
        signatory.get_by_role("button", name="Valider les besoins").click()
        assert "validés" in signatory.locator(".flash-success").inner_text()
        assert signatory.locator(".badge").first.inner_text() == "validée"
        journey.shot(signatory, f"validation-{login.split('.')[1]}")

    # 5. The coordinator closes the campaign (the deadline has not passed: the board's button) and aggregates.
    coordinator.goto(board_url)
    for name in ("Bourgoin-Jallieu", "Villefontaine"):
        row = coordinator.locator("tr", has=coordinator.get_by_role("rowheader", name=name))
        assert "validée" in row.inner_text()
    journey.shot(coordinator, "tableau-de-bord-valide")
    coordinator.get_by_label("Je confirme la clôture").check()
    coordinator.get_by_role("button", name="Clôturer la campagne").click()
    assert "Campagne clôturée" in coordinator.locator(".flash-success").inner_text()
    coordinator.get_by_label("Je confirme l'agrégation").check()
    coordinator.get_by_role("button", name="Agréger les besoins validés").click()
    result = finish_job(coordinator, app, "Voir le résultat")  # the aggregation is a background job
    assert "Besoins validés agrégés" in coordinator.locator(".flash-success").inner_text()
    result.click()
    coordinator.wait_for_url(re.compile(r".*/campagnes/\d+/lots$"))
    assert coordinator.locator("table.lots-summary tbody tr").count() == 1
    journey.shot(coordinator, "lots-agreges")

    # 6. The lot: each quantity is the sum of the two communes'; published; its DQE downloaded.
    coordinator.locator("table.lots-summary tbody tr").first.get_by_role("link").first.click()
    coordinator.wait_for_url(re.compile(r".*/lots/\d+$"))
    lot_url = coordinator.url
    lot_id = int(lot_url.rsplit("/", 1)[1])
    assert row_of(coordinator, PAPER).locator("td.num").first.inner_text() == "150"  # 100 + 50
    assert row_of(coordinator, RECYCLED).locator("td.num").first.inner_text() == "50"  # 20 + 30
    assert amount(coordinator.locator("table.lot-lines tfoot strong").inner_text()) == Decimal("937.50")
    shares = coordinator.locator("table.commune-shares tbody tr")
    assert [" ".join(shares.nth(i).inner_text().split()[:2]) for i in range(2)] == [
        "Bourgoin-Jallieu 38053",
        "Villefontaine 38553",
    ]
    journey.shot(coordinator, "lot-avant-publication")
    coordinator.get_by_label("Je confirme la publication").check()
    coordinator.get_by_role("button", name="Publier le lot").click()
    assert "publié" in coordinator.locator(".flash-success").inner_text()
    journey.shot(coordinator, "lot-publie")
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="DQE (Excel)").click()
    dqe = Path(download.value.path()).read_bytes()
    files = {"papeterie.xlsx": priced_dqe(dqe, Decimal("0.9")), "bureau.xlsx": priced_dqe(dqe, Decimal("1.1"))}

    # 7. The bidders are created on the suppliers page.
    labels = []
    for name, siret in SUPPLIERS:
        coordinator.goto(url + "/fournisseurs/nouveau")
        journey.audit(coordinator)
        coordinator.get_by_label("Raison sociale").fill(name)
        coordinator.get_by_label("SIRET").fill(siret)
        coordinator.get_by_label("Adresse", exact=True).fill("1 rue des Entrepreneurs")
        coordinator.get_by_label("Code postal").fill("38000")
        coordinator.get_by_label("Commune", exact=True).fill("Grenoble")
        coordinator.get_by_role("button", name="Enregistrer").click()
        assert coordinator.locator(".flash-success").count() == 1, coordinator.locator(".errors").all_inner_texts()
        labels.append(f"{name} ({siret})")
    journey.shot(coordinator, "fournisseurs")

    # 8. The two priced DQE imported, the criteria set, both offers scored: the cheaper one ranks first.
    coordinator.goto(lot_url)
    coordinator.get_by_role("link", name="Offres et critères").click()
    journey.audit(coordinator)
    for (file_name, content), label in zip(files.items(), labels, strict=True):
        coordinator.get_by_label("Fournisseur", exact=True).select_option(label=label)
        coordinator.get_by_label("DQE chiffré par le fournisseur").set_input_files(
            {"name": file_name, "mimeType": XLSX, "buffer": content}
        )
        coordinator.get_by_role("button", name="Importer l'offre").click()
        assert f"Offre de « {label.split(' (')[0]} » importée" in coordinator.locator(".flash-success").inner_text()
    assert coordinator.locator("table.offers-list tbody tr").count() == 2
    coordinator.get_by_label("Prix", exact=True).fill("60")
    coordinator.get_by_label("Valeur technique").fill("30")
    coordinator.get_by_label("Critère environnemental").fill("10")
    coordinator.get_by_role("button", name="Enregistrer les critères").click()
    assert "Critères enregistrés" in coordinator.locator(".flash-success").inner_text()
    journey.shot(coordinator, "offres-importees")
    for name, _ in SUPPLIERS:
        coordinator.goto(f"{url}/lots/{lot_id}/offres")
        coordinator.get_by_role("link", name=f"Voir et noter l'offre {de(name)}").click()
        journey.audit(coordinator)
        coordinator.get_by_label("Note de valeur technique", exact=True).fill("25")
        coordinator.get_by_label("Justification de la note technique").fill("Mémoire technique complet.")
        coordinator.get_by_label("Note environnementale", exact=True).fill("8")
        coordinator.get_by_label("Justification de la note environnementale").fill("Papier recyclé, livraisons.")
        coordinator.get_by_role("button", name="Enregistrer les notes").click()
        coordinator.wait_for_url(re.compile(r".*/lots/\d+/analyse$"))
    ranking = coordinator.locator("table.ranking tbody tr")
    assert SUPPLIERS[0][0] in ranking.nth(0).inner_text()
    assert "93,00" in ranking.nth(0).inner_text()  # 60 + 25 + 8
    journey.shot(coordinator, "analyse-des-offres")

    # 9. Award to the best-ranked offer: 150 × 4,14 + 50 × 4,46 = 844,00 € HT a year.
    coordinator.goto(lot_url)
    coordinator.get_by_role("link", name="Attribuer le lot").click()
    journey.audit(coordinator)
    coordinator.get_by_role("radio").first.check()
    today = paris_today()
    coordinator.get_by_label("Date de notification").fill(today.isoformat())
    coordinator.get_by_label("Début d'exécution").fill(today.isoformat())
    journey.shot(coordinator, "attribution-saisie")
    coordinator.get_by_role("button", name="Attribuer et créer l'accord-cadre").click()
    coordinator.wait_for_url(re.compile(r".*/contrats/\d+$"))
    flash = coordinator.locator(".flash-success").inner_text()
    assert f"attribué à {SUPPLIERS[0][0]}" in flash, flash
    journey.shot(coordinator, "accord-cadre")

    # 10. Bourgoin-Jallieu orders 40 + 10 ramettes (40 × 4,14 + 10 × 4,46 = 210,20 € HT), then receives 40.
    agent_b.get_by_role("link", name="Commandes").first.click()
    journey.audit(agent_b)
    agent_b.get_by_role("link", name="Nouvelle commande").click()
    journey.audit(agent_b)
    agent_b.get_by_role("link", name="Commander").first.click()
    agent_b.wait_for_url(re.compile(r".*/commandes/nouvelle/\d+$"))
    agent_b.get_by_label(re.compile(r"^Quantité — Ramette .* certifié PEFC")).fill("40")
    agent_b.get_by_label(re.compile(r"^Quantité — Ramette .* 100 % recyclé")).fill("10")
    agent_b.get_by_label("Adresse de livraison").fill("Services techniques\nPlace Carnot\n38300 Bourgoin-Jallieu")
    journey.shot(agent_b, "commande-saisie")
    agent_b.get_by_role("button", name="Enregistrer le bon de commande").click()
    agent_b.wait_for_url(re.compile(r".*/commandes/\d+$"))
    flash = agent_b.locator(".flash-success").inner_text()
    assert re.search(r"Bon de commande BC-\S+ enregistré : 210,20\s€ HT\.", flash), flash
    assert "210,20" in agent_b.locator("table.order-lines tfoot").inner_text()
    line = agent_b.locator(".delivery-line").filter(has_text="certifié PEFC")
    line.get_by_label(re.compile(r"Quantité reçue")).fill("40")
    line.get_by_role("button", name="Constater la livraison").click()
    assert "Livraison enregistrée : 40 reçu" in agent_b.locator(".flash-success").inner_text()
    assert "40 livrés sur 40" in agent_b.locator(".delivery-line").filter(has_text="certifié PEFC").inner_text()
    journey.shot(agent_b, "commande-livree")

    # 11. The accountant imports the Factur-X invoice, matches it, splits it by population, exports the titles.
    accountant = journey.as_("comptable")
    accountant.get_by_role("link", name="Factures", exact=True).click()
    accountant.wait_for_url(url + "/factures")
    journey.audit(accountant)
    accountant.get_by_label("Fichier de la facture ou de l'avoir").set_input_files(str(INVOICE))
    accountant.get_by_role("button", name="Importer la facture").click()
    accountant.wait_for_url(re.compile(r".*/factures/\d+$"))
    flash = accountant.locator(".flash-success").inner_text()
    assert re.search(r"Facture n° F20260023 du FOURNISSEUR importée : 104,90\s€ TTC, 3 ligne\(s\)\.", flash), flash
    journey.shot(accountant, "facture-importee")
    accountant.get_by_role("button", name="Rapprocher").click()
    assert "3 sans commande" in accountant.locator(".flash-warning").inner_text()
    # Unknown seller, buyer « LE CLIENT », three lines without an order: each accepted with a comment.
    while accountant.locator("form.resolve-form").count():
        form = accountant.locator("form.resolve-form").first
        form.locator("textarea").fill("Facture de démonstration : partagée entre les communes.")
        form.get_by_role("button", name="Accepter l'anomalie").click()
        accountant.wait_for_load_state()
    assert accountant.locator("table.invoice-anomalies .resolution").count() == 6  # with BT-13
    accountant.get_by_label("Clé de répartition des lignes communes").select_option("population")
    for name in ("Bourgoin-Jallieu", "Villefontaine"):
        accountant.get_by_label(name, exact=True).check()
    journey.shot(accountant, "facture-repartition-saisie")
    accountant.get_by_role("button", name="Répartir la facture").click()
    flash = accountant.locator(".flash-success").inner_text()
    split = r"Facture répartie au prorata de la population : 104,90\s€ TTC entre 2 commune\(s\)\."
    assert re.search(split, flash), flash
    rows = accountant.locator("table.split-result tbody tr")
    assert rows.locator("th").all_inner_texts() == ["Bourgoin-Jallieu", "Villefontaine"]
    ttc = [amount(text) for text in rows.locator("td strong").all_inner_texts()]
    assert sum(ttc) == Decimal("104.90") and ttc[0] > ttc[1] > 0  # 29 816 against 19 018 inhabitants
    assert amount(accountant.locator("table.split-result tfoot strong").inner_text()) == Decimal("104.90")
    journey.shot(accountant, "facture-repartie")
    due = today + timedelta(days=30)
    accountant.get_by_label("Date d'échéance des titres").fill(due.isoformat())
    accountant.get_by_role("button", name="Émettre les titres de recettes").click()
    flash = accountant.locator(".flash-success").inner_text()
    assert re.search(rf"2 titre\(s\) de recettes émis pour 104,90\s€, échéance le {due:%d/%m/%Y}\.", flash), flash
    assert accountant.locator("table.titles tbody tr").count() == 2
    journey.shot(accountant, "titres-emis")
    with accountant.expect_download() as download:
        accountant.get_by_role("link", name="Exporter en Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    titles = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    cells = [str(cell.value) for row in titles.iter_rows() for cell in row if cell.value is not None]
    assert sum(1 for value in cells if re.fullmatch(r"TR-\d{4}-\d{5}", value)) == 2

    # Accessibility: no serious or critical axe-core violation on any page of the journey.
    assert len(journey.checked) >= 20  # distinct pages
    assert not journey.violations, "\n".join(journey.violations)


def datetime_local(hours_from_now: int) -> str:
    """A value for an <input type=datetime-local>, in Paris time (the browser's and the form's zone)."""
    from groupement.core.timeutil import to_paris, utcnow

    moment = to_paris(utcnow() + timedelta(hours=hours_from_now))
    return moment.strftime("%Y-%m-%dT%H:%M")
