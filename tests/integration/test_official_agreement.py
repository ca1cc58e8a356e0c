"""Agreement between the app's reader and the official EN 16931 rules on every public corpus file
(tests/fixtures/einvoices/public, PROVENANCE.md): the reader either reads the file with its own
totals holding (when the official rules find no fatal error), or refuses it for a reason the
official rules give too (a rule id, or the BT it names). Known disagreements are listed below with
their reason, never skipped: the readers' work (issue 15) is to empty EXPECTED_DISAGREEMENTS.

Run with -s to see the counts per format and profile and each disagreement."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.einvoice.official_rules import NOT_APPLICABLE, UNAVAILABLE, check_file
from groupement.invoices.importing import WARNING_RULES
from groupement.invoices.rules import InvoiceRefused, check_invoice

PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices" / "public"
# The readers' own fixtures (public samples too, tests/fixtures/invoices/README.md), checked alike.
READERS = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"

# file -> why the app refuses a file the official rules find valid. Emptied by the readers' work
# (issue 15): the header-only MINIMUM and BASIC WL files are now read with their totals.
EXPECTED_DISAGREEMENTS: dict[str, str] = {}
# file -> a refusal by the app's policy, not by the norm: stays.
EUROS_ONLY = "euros only (domain-facts: non-EUR currencies refused)"
POLICY_REFUSALS = {
    "altered/ubl-USD-currency.xml": EUROS_ONLY,
    "ferd-zugferd-2.5.2/EXTENDED/X07_01_Fremdwaehrung.xml": EUROS_ONLY,  # GBP
    "ferd-zugferd-2.5.2/EXTENDED/X07_01_Fremdwaehrung_fx.pdf": EUROS_ONLY,
}
# A PDF with no embedded XML (the FeRD package's attachments: a bill of quantities, a lease, a
# payment schedule) is no e-invoice: the official rules have nothing to run on, the app refuses it.
NO_XML = "aucun XML Factur-X embarqué"
# Where no official rule applies (ZUGFeRD 1.0 predates EN 16931), the reader either reads the file
# with its own totals holding, or refuses it with the reason named.
NAMED_WHEN_NOT_APPLICABLE = {"ZUGFeRD 1.0"}


def _official_reason(refusal: str, fatal) -> bool:
    """Does the refusal say what an official fatal finding says (its rule id, or a BT it names)?"""
    terms = set(re.findall(r"\bB[RT]-[A-Z0-9-]*\d+\b", refusal))
    for finding in fatal:
        if finding.rule in refusal or terms & set(re.findall(r"\bB[RT]-[A-Z0-9-]*\d+\b", finding.message)):
            return True
    return False


def _format(name: str, result) -> str:
    if result.outcome == NOT_APPLICABLE and "ZUGFeRD 1.0" in result.message:
        return "ZUGFeRD 1.0 (XML)"
    if name.endswith(".pdf"):
        return f"Factur-X PDF ({result.artefact or 'sans XML'})"
    return {"cen-ubl": "UBL"}.get(result.artefact, f"CII ({result.artefact})" if result.artefact else "autre")


def test_the_reader_agrees_with_the_official_rules_on_every_public_file():
    counts: Counter[str] = Counter()
    disagreements, seen_expected, arithmetic_notes = [], set(), []
    files = sorted(p for p in PUBLIC.rglob("*") if p.is_file() and p.suffix in {".xml", ".pdf"})
    files += sorted(p for p in READERS.rglob("*") if p.is_file() and p.suffix in {".xml", ".pdf"})
    for path in files:
        name = str(path.relative_to(PUBLIC if path.is_relative_to(PUBLIC) else READERS.parent))
        content = path.read_bytes()
        official = check_file(content, name)
        fatal = official.fatal
        try:
            data = parse_invoice(content, name)
            own_failures = [r for r in check_invoice(data) if not r.ok and r.rule not in WARNING_RULES]
            refusal = " ; ".join(r.message for r in own_failures)
            read = not own_failures
        except InvoiceRefused as refused:
            refusal, read = " ; ".join(refused.reasons), False
            own_failures = []
        official_ids = {f.rule for f in fatal}
        arithmetic_notes += [
            f"{name}: {r.rule} (app) not among the official findings"
            for r in own_failures
            if r.rule.startswith("BR") and r.rule not in official_ids
        ]
        if official.outcome == UNAVAILABLE and name.endswith(".pdf"):
            verdict = "agree" if not read and NO_XML in refusal and "aucun XML" in official.message else "disagree"
        elif official.outcome == NOT_APPLICABLE:
            named = not read and any(k in refusal for k in NAMED_WHEN_NOT_APPLICABLE)
            verdict = "agree" if read or named else "disagree"
        elif not fatal:
            verdict = "agree" if read else "disagree"
        else:
            # Read while officially invalid: imported, and the fatal finding blocks its split.
            verdict = "agree" if read or _official_reason(refusal, fatal) else "disagree"
        if verdict == "disagree" and name in POLICY_REFUSALS:
            verdict = "policy"
        if verdict == "disagree" and name in EXPECTED_DISAGREEMENTS:
            verdict, _ = "expected", seen_expected.add(name)
        if verdict == "disagree":
            disagreements.append(f"{name}: official {official.outcome} {sorted(official_ids)}; app: {refusal or 'lu'}")
        counts[f"{_format(name, official)} : {verdict}"] += 1
    print("\nAccord lecteur / règles officielles, par format et profil :")
    for key, n in sorted(counts.items()):
        print(f"  {key} : {n}")
    print(f"  fichiers : {len(files)}, désaccords inattendus : {len(disagreements)}")
    for note in arithmetic_notes:
        print("  contrôle propre hors règles officielles :", note)
    assert not disagreements, "\n".join(disagreements)
    # A listed disagreement that no longer happens must be struck off the list.
    assert seen_expected == set(EXPECTED_DISAGREEMENTS), set(EXPECTED_DISAGREEMENTS) - seen_expected
    assert not arithmetic_notes, arithmetic_notes
