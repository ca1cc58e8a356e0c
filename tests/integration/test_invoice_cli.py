"""The `groupement invoice` commands: import and split, in text and in JSON for scripts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groupement.core.access import system_actor
from groupement.core.audit_log import AuditEvent
from groupement.invoices.models import Allocation, Invoice, InvoiceLine
from tests.invoicing import approve_for_split

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
COMMUNES = [("Bourgoin-Jallieu", "38053", 29_000), ("Villefontaine", "38553", 19_000), ("Four", "38172", 1_500)]
COMMUNES += [("Crachier", "38136", 500)]


def count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def capi(make, database):
    """The only coordinator of the database: the commands act for it without --coordinateur."""
    coordinator = make.coordinator()
    database.session.commit()
    return coordinator


@pytest.fixture
def runner(app, capi):
    return app.test_cli_runner()


@pytest.fixture
def members(make, database, capi):
    group = make.groupement(capi)
    for name, insee, population in COMMUNES:
        make.membership(group, make.organisation(name=name, insee_code=insee, population=population))
    database.session.commit()


def import_json(runner, file: Path) -> dict:
    result = runner.invoke(args=["invoice", "import", str(file), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        (
            "ubl21_en16931_fr.xml",
            {
                "type": "invoice",
                "number": "F124212",
                "supplier": "Au bon moulin",
                "currency": "EUR",
                "lines": 2,
                "total_ht": "273.00",
                "vat": {"5.50": "7.43", "20.00": "27.60"},
                "total_vat": "35.03",
                "total_ttc": "308.03",
            },
        ),
        (
            "cii_en16931_example1.xml",
            {
                "type": "invoice",
                "number": "12115118",
                "currency": "EUR",
                "lines": 20,
                "total_ht": "229.60",
                "vat": {"6.00": "10.99", "21.00": "9.74"},
                "total_vat": "20.73",
                "total_ttc": "250.33",
            },
        ),
        (
            "facturx_en16931_fr.pdf",
            {
                "type": "invoice",
                "number": "F20260023",
                "supplier": "LE FOURNISSEUR",
                "currency": "EUR",
                "lines": 3,
                "total_ht": "100.00",
                "vat": {"0.00": "0.00", "10.00": "2.70", "20.00": "2.20"},
                "total_vat": "4.90",
                "total_ttc": "104.90",
            },
        ),
    ],
)
def test_import_json_gives_the_samples_exact_figures_as_decimal_strings(runner, database, file_name, expected):
    document = import_json(runner, SAMPLES / file_name)
    assert {key: document[key] for key in expected} == expected
    invoice = database.session.get(Invoice, document["id"])
    assert invoice.number == expected["number"]
    assert set(document) == set(expected) | {"id", "checks", "supplier"}
    assert all(set(check) == {"rule", "ok", "message"} for check in document["checks"])
    assert {"BR-CO-10", "BR-CO-15", "VENDEUR", "ACHETEUR"} <= {check["rule"] for check in document["checks"]}
    assert [check["ok"] for check in document["checks"] if check["rule"] == "BR-CO-15"] == [True]


def test_a_credit_note_comes_out_negative(runner, database, tmp_path):
    credit = tmp_path / "avoir.xml"
    credit.write_bytes((SAMPLES / "cii_en16931_example1.xml").read_bytes().replace(b">380<", b">381<", 1))
    document = import_json(runner, credit)
    assert document["type"] == "credit_note"
    assert (document["total_ht"], document["total_vat"], document["total_ttc"]) == ("-229.60", "-20.73", "-250.33")
    assert document["vat"] == {"6.00": "-10.99", "21.00": "-9.74"}


def test_import_in_text_prints_the_totals_per_rate_and_each_check(runner, database):
    result = runner.invoke(args=["invoice", "import", str(SAMPLES / "ubl21_en16931_fr.xml")])
    assert result.exit_code == 0, result.output
    assert "Facture n° F124212 d'Au bon moulin importée" in result.output
    assert "2 ligne(s), format ubl" in result.output
    for figure in ("273,00", "TVA 5,5\u00a0% : 7,43", "TVA 20\u00a0% : 27,60", "35,03", "308,03"):
        assert figure in result.output
    assert "[bloquant] VENDEUR : Vendeur « Au bon moulin » inconnu" in result.output
    assert "[ok] BR-CO-10 :" in result.output


def test_a_refused_file_exits_1_with_its_reasons_and_leaves_nothing(runner, database, tmp_path):
    altered = tmp_path / "altere.xml"
    altered.write_bytes(
        (SAMPLES / "ubl21_en16931_fr.xml")
        .read_bytes()
        .replace(b">135.00</cbc:LineExtensionAmount>", b">135.01</cbc:LineExtensionAmount>", 1)
    )
    result = runner.invoke(args=["invoice", "import", str(altered), "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["error"] == "Facture « altere.xml » refusée : rien n'a été enregistré."
    assert any(reason.startswith("BR-CO-10") for reason in document["reasons"])
    assert (count(database, Invoice), count(database, InvoiceLine), count(database, AuditEvent)) == (0, 0, 0)

    text = runner.invoke(args=["invoice", "import", str(altered)])
    assert text.exit_code == 1
    assert "Erreur : Facture « altere.xml » refusée" in text.output
    assert "BR-CO-10" in text.output
    assert count(database, Invoice) == 0


def test_a_duplicate_and_an_unreadable_file_are_refused_with_exit_code_1(runner, database, tmp_path):
    import_json(runner, SAMPLES / "ubl21_en16931_fr.xml")
    duplicate = runner.invoke(args=["invoice", "import", str(SAMPLES / "ubl21_en16931_fr.xml"), "--json"])
    assert duplicate.exit_code == 1
    assert "déjà été importée" in json.loads(duplicate.stdout)["reasons"][0]
    missing = runner.invoke(args=["invoice", "import", str(tmp_path / "absente.xml")])
    assert missing.exit_code == 1 and "impossible de lire" in missing.output
    assert count(database, Invoice) == 1


def test_split_by_population_among_four_communes_adds_up_exactly_to_the_invoice(runner, database, members, capi):
    invoice = import_json(runner, SAMPLES / "ubl21_en16931_fr.xml")
    approve_for_split(system_actor(capi.id), invoice["id"])
    database.session.commit()  # as the web page would have
    result = runner.invoke(
        args=[
            "invoice",
            "split",
            str(invoice["id"]),
            "--key",
            "population",
            "--communes",
            "38053,38553,38172,38136",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    split = json.loads(result.output)
    assert (split["invoice_id"], split["key"]) == (invoice["id"], "population")
    assert (split["total_ht"], split["total_vat"], split["total_ttc"]) == ("273.00", "35.03", "308.03")
    by_insee = {c["insee"]: c for c in split["communes"]}
    assert list(by_insee) == ["38053", "38136", "38172", "38553"]
    assert by_insee["38053"] == {
        "insee": "38053",
        "name": "Bourgoin-Jallieu",
        "ht": "158.34",
        "vat": {"5.50": "4.31", "20.00": "16.01"},
        "ttc": "178.66",
    }
    assert [by_insee[code]["ttc"] for code in ("38553", "38172", "38136")] == ["117.05", "9.24", "3.08"]
    for key, total in (("ht", "273.00"), ("ttc", "308.03")):
        assert sum(Decimal(c[key]) for c in split["communes"]) == Decimal(total)
    for rate, total in invoice["vat"].items():
        assert sum(Decimal(c["vat"][rate]) for c in split["communes"]) == Decimal(total)
    assert count(database, Allocation) == 4

    again = runner.invoke(args=["invoice", "split", str(invoice["id"]), "--key", "equal", "--json"])
    assert again.exit_code == 1
    assert "ne peut pas être répartie" in json.loads(again.stdout)["error"]
    assert count(database, Allocation) == 4


def test_split_in_text_prints_each_commune_and_refuses_an_unknown_commune(runner, database, members, capi):
    invoice = import_json(runner, SAMPLES / "facturx_en16931_fr.pdf")
    approve_for_split(system_actor(capi.id), invoice["id"])
    database.session.commit()  # as the web page would have
    unknown = runner.invoke(args=["invoice", "split", str(invoice["id"]), "--key", "equal", "--communes", "99999"])
    assert unknown.exit_code == 1 and "99999" in unknown.output
    assert count(database, Allocation) == 0
    result = runner.invoke(args=["invoice", "split", str(invoice["id"]), "--key", "equal", "--communes", "38053,38136"])
    assert result.exit_code == 0, result.output
    assert "répartie à parts égales entre 2 commune(s)" in result.output
    assert "38053 Bourgoin-Jallieu : HT 50,00\u00a0€" in result.output
    assert "Total : HT 100,00\u00a0€ ; TVA 4,90\u00a0€ ; TTC 104,90\u00a0€." in result.output


def test_with_two_coordinators_the_command_needs_one_and_acts_for_it(runner, make, database, capi):
    other = make.coordinator(name="Autre coordonnateur", siren="200066793", siret=None)
    database.session.commit()
    sample = str(SAMPLES / "ubl21_en16931_fr.xml")

    refused = runner.invoke(args=["invoice", "import", sample])
    assert refused.exit_code == 1 and "--coordinateur" in refused.output
    assert count(database, Invoice) == 0

    result = runner.invoke(args=["invoice", "import", sample, "--json", "--coordinateur", other.siren])
    assert result.exit_code == 0, result.output
    database.session.expire_all()
    invoice = database.session.get(Invoice, json.loads(result.output)["id"])
    assert invoice.coordinator_id == other.id
    # The other coordinator's invoice is not found when acting for the first one.
    split = runner.invoke(args=["invoice", "split", str(invoice.id), "--key", "equal", "--coordinateur", capi.siren])
    assert split.exit_code == 1 and "introuvable" in split.output


def test_cli_split_refuses_a_blocked_invoice_with_reasons(runner, database, members):
    invoice = import_json(runner, SAMPLES / "facturx_en16931_fr.pdf")  # unknown seller, buyer « LE CLIENT »
    result = runner.invoke(args=["invoice", "split", str(invoice["id"]), "--key", "population", "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["error"] == f"la facture {invoice['id']} ne peut pas être répartie."
    reasons = document["reasons"]
    assert reasons[0].startswith("La facture n'est pas encore rapprochée")
    assert any(r.startswith("VENDEUR (à traiter) : Vendeur « LE FOURNISSEUR » inconnu") for r in reasons)
    assert any(r.startswith("ACHETEUR (à traiter) : Acheteur « LE CLIENT » : ni le coordonnateur") for r in reasons)

    matched = runner.invoke(args=["invoice", "match", str(invoice["id"])])
    assert matched.exit_code == 0, matched.output
    assert "[bloquant] COMMANDE" in matched.output
    text = runner.invoke(args=["invoice", "split", str(invoice["id"]), "--key", "population"])
    assert text.exit_code == 1
    assert "Erreur : la facture" in text.output and "ne peut pas être répartie" in text.output
    assert "  ACHETEUR (à traiter) : Acheteur « LE CLIENT »" in text.output
    assert "  COMMANDE (à traiter) : Ligne 1 " in text.output
    assert count(database, Allocation) == 0
