"""The official EN 16931 rules (einvoice.official_rules) on the public corpus and on odd input.
Runs Saxon in its child process (official_worker): about a second per stylesheet, once."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from groupement.invoices.einvoice import official_rules
from groupement.invoices.einvoice.official_rules import (
    INVALID,
    NOT_APPLICABLE,
    UNAVAILABLE,
    VALID,
    check_file,
    cii_profile,
)
from groupement.invoices.einvoice.official_worker import OfficialRulesUnavailable, SaxonClient

PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices" / "public"
OFFICIAL = Path(official_rules.__file__).with_name("official")

# The folders whose every file has its expected result here; the larger sets (FeRD examples, KoSIT
# test suite) are checked by tests/integration/test_official_agreement.py.
CURATED = ("cen", "factur-x-lib", "altered")
# file -> (artefact, outcome, fatal rules that must be among the findings). A CII file on its own
# naming no Factur-X profile gets the CEN CII rules; the same XML out of a PDF, the Factur-X ones.
EXPECTED = {
    "cen/CII_example1.xml": ("cen-cii", VALID, set()),
    "factur-x-lib/factur-x-minimum.xml": ("fx-minimum", VALID, set()),
    "factur-x-lib/factur-x-basicwl.xml": ("fx-basicwl", VALID, set()),
    "factur-x-lib/factur-x-basic.xml": ("fx-basic", VALID, set()),
    "factur-x-lib/factur-x-en16931.xml": ("cen-cii", VALID, set()),
    "factur-x-lib/factur-x-extended.xml": ("fx-extended", VALID, set()),
    "factur-x-lib/invoice_EN16931.pdf": ("fx-en16931", VALID, set()),
    "factur-x-lib/ubl-21-en16931.xml": ("cen-ubl", VALID, set()),
    "factur-x-lib/ubl-21-extended-ctc-fr.xml": ("cen-ubl", VALID, set()),
    "factur-x-lib/zugferd-basic.xml": ("", NOT_APPLICABLE, set()),
    "factur-x-lib/zugferd-comfort.xml": ("", NOT_APPLICABLE, set()),
    "factur-x-lib/zugferd-extended.xml": ("", NOT_APPLICABLE, set()),
    "altered/ubl-BR-CO-16-payable-amount.xml": ("cen-ubl", INVALID, {"BR-CO-16"}),
    "altered/cii-BR-CO-10-line-total.xml": ("cen-cii", INVALID, {"BR-CO-10", "BR-CO-13"}),
    "altered/cii-BR-02-no-number.xml": ("cen-cii", INVALID, {"BR-02"}),
    "altered/ubl-USD-currency.xml": ("cen-ubl", VALID, set()),
}


def corpus_files() -> list[str]:
    return sorted(
        str(p.relative_to(PUBLIC))
        for folder in CURATED
        for p in (PUBLIC / folder).rglob("*")
        if p.is_file() and p.suffix != ".md"
    )


def test_every_corpus_file_has_its_expected_result_listed():
    assert corpus_files() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_official_rules_give_the_expected_result_on_the_public_corpus(name):
    artefact, outcome, fatal = EXPECTED[name]
    result = check_file((PUBLIC / name).read_bytes(), name)
    assert (result.artefact, result.outcome) == (artefact, outcome), result.message
    assert fatal <= {f.rule for f in result.fatal}
    if outcome == VALID:
        assert not result.fatal and len(result.passed) > 40
    if outcome == INVALID:
        assert not fatal & set(result.passed)  # a failed rule is never also counted as passed
        assert all(f.message and f.location.startswith("/") for f in result.fatal)


def test_a_rule_that_held_on_the_good_file_fails_on_the_altered_one():
    good = check_file((PUBLIC / "factur-x-lib/ubl-21-en16931.xml").read_bytes(), "good.xml")
    bad = check_file((PUBLIC / "altered/ubl-BR-CO-16-payable-amount.xml").read_bytes(), "bad.xml")
    assert "BR-CO-16" in good.passed and "BR-CO-16" not in bad.passed
    (finding,) = [f for f in bad.findings if f.rule == "BR-CO-16"]
    assert finding.fatal and "BT-115" in finding.message and not finding.message.startswith("[")


def test_a_spreadsheet_and_a_non_invoice_xml_are_not_applicable():
    assert check_file(b"numero;date\n1;2026-01-01\n", "modele.csv").outcome == NOT_APPLICABLE
    other = check_file(b"<Order xmlns='urn:x'/>", "commande.xml")
    assert other.outcome == NOT_APPLICABLE and "Order" in other.message


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><Invoice/>',
        b"<Invoice><unclosed></Invoice>",
        b"%PDF-1.4 not really a pdf",
    ],
)
def test_a_file_the_validator_cannot_run_on_gives_a_french_reason_and_never_raises(content):
    result = check_file(content, "bizarre.xml")
    assert result.outcome == UNAVAILABLE and result.message.startswith("Contrôle officiel EN 16931 non effectué")


@pytest.mark.parametrize(
    ("guideline", "artefact"),
    [
        ("urn:factur-x.eu:1p0:minimum", "fx-minimum"),
        ("urn:factur-x.eu:1p0:basicwl", "fx-basicwl"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "fx-basic"),
        ("urn:cen.eu:en16931:2017", "fx-en16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "fx-extended"),
        ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "fx-en16931"),
        ("", "fx-en16931"),
    ],
)
def test_the_cii_profile_is_read_from_the_specification_identifier(guideline, artefact):
    from lxml import etree

    root = etree.fromstring(
        "<rsm:CrossIndustryInvoice xmlns:rsm='urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'"
        " xmlns:ram='urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100'>"
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        f"<ram:ID>{guideline}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
        "</rsm:ExchangedDocumentContext></rsm:CrossIndustryInvoice>"
    )
    assert cii_profile(root) == artefact


def test_the_shipped_artefacts_are_those_the_readme_lists():
    listed = dict(re.findall(r"\| `([^`]+)` \| `([0-9a-f]{64})` \|", (OFFICIAL / "README.md").read_text()))
    shipped = {p.name for p in OFFICIAL.iterdir() if p.suffix in (".xsl", ".xslt", ".xml")}
    assert set(listed) == shipped
    for name, digest in listed.items():
        assert hashlib.sha256((OFFICIAL / name).read_bytes()).hexdigest() == digest, name
    assert {a.file for a in official_rules.ARTEFACTS.values()} <= shipped


def test_the_full_eupl_1_2_text_is_shipped_beside_the_cen_artefact():
    text = (OFFICIAL / "EUPL-1.2.txt").read_text(encoding="utf-8")
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\nEUPL © the European Union 2007, 2016")
    articles = re.findall(r"^(\d+)\.\s*[A-Z]", text, re.M)
    assert articles == [str(n) for n in range(1, 16)]
    assert "Appendix" in text and "GNU Affero General Public License (AGPL) v. 3" in text
    readme = (OFFICIAL / "README.md").read_text()
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() in readme


# --- the child process: a crash, an error or a hang never reaches the caller's process -----------

UBL = OFFICIAL / "EN16931-UBL-validation.xslt"


def test_a_saxon_error_is_reported_and_the_child_serves_the_next_request():
    client = SaxonClient()
    try:
        with pytest.raises(OfficialRulesUnavailable, match="a signalé une erreur"):
            client.transform(str(OFFICIAL / "absent.xslt"), "<a/>")
        assert "svrl" in client.transform(str(UBL), "<a/>")
    finally:
        client.close()


def test_a_killed_child_gives_a_french_reason_then_a_new_one_starts():
    client = SaxonClient()
    try:
        assert "svrl" in client.transform(str(UBL), "<a/>")
        client._process.kill()
        client._process.wait()
        # the dead child is noticed before sending: a new one answers
        assert "svrl" in client.transform(str(UBL), "<a/>")
    finally:
        client.close()


def test_a_child_that_does_not_answer_in_time_is_ended_and_the_next_call_starts_another():
    client = SaxonClient()
    try:
        client.transform(str(UBL), "<a/>")  # started, the stylesheet compiled
        client.timeout = 0.0001
        big = "<a>" + "<b>x</b>" * 200_000 + "</a>"
        with pytest.raises(OfficialRulesUnavailable, match="n'a pas répondu"):
            client.transform(str(UBL), big)
        assert client._process is None
        client.timeout = 60
        assert "svrl" in client.transform(str(UBL), "<a/>")
    finally:
        client.close()
