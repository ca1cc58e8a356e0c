"""Lot titles, commune names and user names are searched blind to accents and case on SQLite and
PostgreSQL alike (SQLite's lower() folds ASCII only): each row keeps a search key kept by mapper
events (core/search_text.py), which migration 0033 back-filled."""

from __future__ import annotations

from groupement.core.search_text import name_key
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User


def _rename(world) -> None:
    db.session.get(Lot, world.ids["contract_lot"]).title = "Énergie verte des écoles"
    db.session.get(Organisation, world.ids["commune_a"]).name = "L'Isle-d'Abeau"
    agent = db.session.scalar(db.select(User).where(User.email == world.emails["agent_a"]))
    agent.name = "Hélène Dûpont"
    db.session.commit()


def test_the_name_key_drops_accents_and_case_and_stays_within_its_column():
    assert name_key("L'Isle-d'Abeau") == "l'isle-d'abeau"
    assert name_key("  Énergie   VERTE ") == "energie verte"
    assert len(name_key("½" * 200)) == 220  # « ½ » → « 1⁄2 »: the key is cut at its column's length


def test_energie_finds_the_energie_lot_and_isle_finds_lisle_dabeau(app, client_as, world):
    with app.app_context():
        _rename(world)
    coordinator = client_as("coordinator")
    contracts = coordinator.get("/contrats?q=energie").get_data(as_text=True)
    assert "Énergie verte des écoles" in contracts
    assert "Énergie verte" not in coordinator.get("/contrats?q=eau").get_data(as_text=True)
    assert "Énergie verte" in coordinator.get("/contrats?q=%C3%89COLES").get_data(as_text=True)

    communes = coordinator.get("/organisations?q=ISLE").get_data(as_text=True)
    assert "L&#39;Isle-d&#39;Abeau" in communes and "Commune B" not in communes
    assert "Commune B" in coordinator.get("/organisations?q=commune").get_data(as_text=True)

    supplier_orders = client_as("supplier_a").get("/espace-fournisseur/commandes?q=isle").get_data(as_text=True)
    assert "L&#39;Isle-d&#39;Abeau" in supplier_orders
    assert "L&#39;Isle" not in client_as("supplier_a").get("/espace-fournisseur/commandes?q=zzz").get_data(as_text=True)


def test_helene_finds_helene_dupont_in_the_accounts(app, client_as, world):
    with app.app_context():
        _rename(world)
    admin = client_as("admin")
    found = admin.get("/admin/utilisateurs?q=HELENE+dupont").get_data(as_text=True)
    assert "Hélène Dûpont" in found
    assert "Hélène Dûpont" not in admin.get("/admin/utilisateurs?q=helene+martin").get_data(as_text=True)


def test_a_renamed_row_keeps_its_key(app, world):
    with app.app_context():
        _rename(world)
        assert db.session.get(Lot, world.ids["contract_lot"]).search_key == "energie verte des ecoles"
        assert db.session.get(Organisation, world.ids["commune_a"]).search_key == "l'isle-d'abeau"
