"""Each demo role logs in through a real Chromium and lands on its own home page."""

from __future__ import annotations

import pytest

from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import screenshot

pytestmark = pytest.mark.browser

HOMES = [
    ("coordinateur", "Coordonnateur (acheteur)", "Groupements coordonnés", "22 communes membres"),
    ("admin", "Administrateur", "Groupements coordonnés", "comptes utilisateurs"),
    ("comptable", "Comptable", "Groupements coordonnés", "22 communes membres"),
    ("agent.bourgoin-jallieu", "Agent communal", "Ma commune dans le groupement", "Bourgoin-Jallieu"),
    ("signataire.crachier", "Signataire communal", "Ma commune dans le groupement", "Crachier"),
]


@pytest.mark.parametrize(("login", "role_label", "section", "detail"), HOMES)
def test_each_role_logs_in_and_sees_its_home_page(demo, page, login, role_label, section, detail):
    page.goto(demo.url + "/")
    assert page.url.endswith("/connexion?next=%2F")
    page.get_by_label("Adresse électronique").fill(f"{login}@{DEMO_DOMAIN}")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(demo.url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Bonjour")
    assert role_label in page.locator(".lead").inner_text()
    assert page.get_by_role("heading", name=section).is_visible()
    assert detail in " ".join(page.locator("main").inner_text().split())
    screenshot(page, f"accueil-{login}")


def test_a_wrong_password_gets_a_french_message_that_does_not_say_whether_the_email_exists(demo, page):
    messages = []
    for email in (f"coordinateur@{DEMO_DOMAIN}", f"personne@{DEMO_DOMAIN}"):
        page.goto(demo.url + "/connexion")
        page.get_by_label("Adresse électronique").fill(email)
        page.get_by_label("Mot de passe").fill("pas-le-bon-mot")
        page.get_by_role("button", name="Se connecter").click()
        messages.append(page.get_by_role("alert").inner_text())
    assert messages == ["Adresse électronique ou mot de passe incorrect."] * 2


def test_the_coordinator_searches_the_catalog_and_exports_it(demo, page):
    page.goto(demo.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(f"coordinateur@{DEMO_DOMAIN}")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Catalogue").click()
    page.get_by_label("Rechercher").fill("portable")
    page.get_by_label("Famille").select_option("informatique")
    page.get_by_role("button", name="Filtrer").click()
    rows = page.locator("tbody tr")
    assert rows.count() >= 2
    assert all("portable" in rows.nth(i).inner_text().lower() for i in range(rows.count()))
    assert "\u202f€" in rows.first.inner_text() or "\xa0€" in rows.first.inner_text()
    screenshot(page, "catalogue-recherche")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en Excel").click()
    assert download.value.suggested_filename == "catalogue.xlsx"
