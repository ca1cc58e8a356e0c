"""Split of a supplier's invoice back to each commune, to the cent. Pure.

The coordinator receives one invoice for several communes and recovers from each commune its
part. The rules, as shown to the accountant:

1. A line tied to a commune (through its purchase order) goes wholly to that commune.
2. Lines shared by several communes (a bulk line) and the document-level charges and
   allowances (shipping, a global discount) are split among the communes that share them
   (``shared_among``, by default every commune given) by an allocation key, chosen for the
   whole invoice and, if needed, overridden line by line:

   - AMOUNT: pro rata of each sharing commune's HT on the lines TIED to it on this invoice;
   - QUANTITY: pro rata of the quantities of the lines tied to each sharing commune;
   - POPULATION: pro rata of the communes' populations;
   - EQUAL: equal shares;
   - MANUAL: percentages typed by the accountant (they must add up to exactly 100 %; a
     sharing commune left out gets 0 %).

   For AMOUNT and QUANTITY, a credit note has negative tied amounts (or quantities): the
   weights are then their opposites. When no sharing commune has a tied amount (all zero),
   or when some communes' tied amounts are positive and others negative, the key is refused
   with a French message: there is no fair reading of it, and the accountant picks another
   key. Each shared line is split SEPARATELY with ``largest_remainder``, so that every
   line's parts add up exactly to the line.
3. Per commune and VAT rate, the HT base is the sum of what the commune was allocated at that
   rate. The invoice's VAT for a rate is computed ONCE on the invoice's base for that rate
   (EN 16931 BR-S-09): round_half_up(base × rate / 100) to the cent (half away from zero,
   so a credit note mirrors the invoice). The communes' VAT for that rate is that figure
   split by their bases (``largest_remainder``, weights = the bases, or their opposites
   when the rate's base is negative), so the communes' VAT adds up EXACTLY to the invoice's
   VAT for every rate, even when rounding each commune's VAT separately would not.

   Mixed signs within one rate (a commune's base has the opposite sign of another's, e.g.
   a shared allowance larger than the lines tied to one commune): a split proportional to
   the signed bases would be meaningless when the rate's total base is close to zero (a
   +100,00 / −99,97 pair has a total of 0,03 and a VAT of 0,01: proportionally, the first
   commune would carry 33,33 € of VAT on 100,00 € HT). So in that case each commune's VAT
   starts from its OWN exact VAT, base × rate / 100, rounded down to the cent; the cents
   still needed to reach the invoice's VAT for the rate (always between 0 and the number of
   communes, since that VAT is the rounded sum of the exact figures) go one by one by the
   same tie-break. Each commune's VAT then differs from its own exact VAT by less than one
   cent, and the sum is exact.
4. TTC per commune = HT + the sum of its VAT; the communes' HT, VAT per rate and TTC add up
   exactly to the invoice's totals, by construction.

Tie-break of every split (DESIGN.md §3.2): larger remainder, then larger weight, then INSEE
code (ascending). Zero weights get zero. Amounts are multiples of 0,01 €; line net amounts
must already be (EN 16931: at most two decimals).

The result lists every commune given (by INSEE code, even with nothing allocated), every rate
of the invoice for each commune (zero where it has no base), and, per commune, the HT
allocated from each line: its tied lines and every shared line it shares (zero weight
included, so the table shows who shared what).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from groupement.core.formatting import euros, number, percent
from groupement.core.money import CENT

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class AllocationKey(StrEnum):
    AMOUNT = "amount"
    QUANTITY = "quantity"
    POPULATION = "population"
    EQUAL = "equal"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    AllocationKey.AMOUNT: "au prorata du montant HT",
    AllocationKey.QUANTITY: "au prorata des quantités",
    AllocationKey.POPULATION: "au prorata de la population",
    AllocationKey.EQUAL: "à parts égales",
    AllocationKey.MANUAL: "pourcentages saisis",
}


@dataclass(frozen=True)
class SplitLine:
    key: str  # invoice line id, or "charge-1"/"allowance-1" for document-level ones
    net_amount: Decimal  # signed: negative for allowances and for credit notes
    vat_rate: Decimal  # per cent: 20, 5.5
    quantity: Decimal  # 0 for document-level charges
    commune: str | None  # INSEE code of the commune the line is tied to; None = shared
    account: str | None = None


@dataclass(frozen=True)
class CommuneInfo:
    insee: str
    name: str
    population: int


@dataclass(frozen=True)
class CommuneShare:
    insee: str
    name: str
    ht: Decimal
    vat: dict[Decimal, Decimal]  # rate -> VAT amount
    ttc: Decimal
    lines: dict[str, Decimal]  # line key -> HT allocated to this commune

    @property
    def total_vat(self) -> Decimal:
        return sum(self.vat.values(), ZERO)


@dataclass(frozen=True)
class InvoiceSplit:
    key: AllocationKey
    communes: tuple[CommuneShare, ...]  # by INSEE code
    total_ht: Decimal
    vat: dict[Decimal, Decimal]  # rate -> VAT of the invoice (BR-S-09)
    total_vat: Decimal
    total_ttc: Decimal

    def commune(self, insee: str) -> CommuneShare:
        for share in self.communes:
            if share.insee == insee:
                return share
        raise KeyError(insee)


# --- the split of one amount ----------------------------------------------------------------


def largest_remainder(total: Decimal, weights: Mapping[str, Decimal], step: Decimal = CENT) -> dict[str, Decimal]:
    """Split `total` over `weights` (keyed by INSEE code) in multiples of `step`.

    Each part is first its exact proportional share rounded down to the step; the steps still
    missing go one by one to the larger remainder, then the larger weight, then the smaller
    key. The parts add up exactly to the total; a zero weight gets zero. A negative total (a
    credit note) is split as its opposite, then negated. Returns the parts by key.
    Raises ValueError (French) for negative weights, all weights zero, or a total that is not
    a multiple of the step.
    """
    if not isinstance(step, Decimal) or not step.is_finite() or step <= 0:
        raise ValueError("le pas de répartition doit être un nombre strictement positif")
    if not isinstance(total, Decimal) or not total.is_finite():
        raise ValueError("le montant à répartir doit être un nombre fini")
    ratio = Fraction(total) / Fraction(step)
    if ratio.denominator != 1:
        raise ValueError(f"le montant {number(total)} n'est pas un multiple de {number(step)}")
    if not weights:
        raise ValueError("aucune commune entre lesquelles répartir le montant")
    scaled = _integer_weights(weights)
    total_weight = sum(scaled.values())
    if total_weight == 0:
        raise ValueError("tous les poids de répartition sont nuls : impossible de répartir le montant")
    units = ratio.numerator
    magnitude = abs(units)
    parts = _apportion(magnitude, {k: magnitude * w for k, w in scaled.items()}, total_weight, scaled)
    sign = -1 if units < 0 else 1
    return {k: (sign * parts[k]) * step for k in sorted(scaled)}


def _integer_weights(weights: Mapping[str, Decimal]) -> dict[str, int]:
    """The weights as integers on a common scale (exact): 1,5 and 2 -> 3 and 4."""
    fractions: dict[str, Fraction] = {}
    for key, weight in weights.items():
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise ValueError(f"le poids de répartition de {key} n'est pas un nombre fini")
        value = Fraction(weight)
        if value < 0:
            raise ValueError(f"le poids de répartition de {key} est négatif ({number(weight)})")
        fractions[key] = value
    scale = math.lcm(*(value.denominator for value in fractions.values()))
    return {key: value.numerator * (scale // value.denominator) for key, value in fractions.items()}


def _apportion(
    target: int, numerators: Mapping[str, int], denominator: int, strength: Mapping[str, int]
) -> dict[str, int]:
    """Integer parts of the exact values numerator/denominator (which add up to about
    `target`), rounded down, then the units still missing to the larger remainder, larger
    strength, smaller key. Works for signed numerators (floor towards minus infinity)."""
    parts = {k: num // denominator for k, num in numerators.items()}
    remainders = {k: num % denominator for k, num in numerators.items()}
    left = target - sum(parts.values())
    if not 0 <= left <= len(parts):  # pragma: no cover - guarded by the callers' arithmetic
        raise ArithmeticError("répartition impossible : écart d'arrondi inattendu")
    order = sorted(parts, key=lambda k: (-remainders[k], -strength[k], k))
    for k in order[:left]:
        parts[k] += 1
    return parts


# --- VAT ------------------------------------------------------------------------------------


def vat_for_rate(base: Decimal, rate: Decimal) -> Decimal:
    """The VAT of one rate of an invoice, rounded once on the rate's base (BR-S-09)."""
    return (base * rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP) + ZERO


def _split_vat(invoice_vat: Decimal, rate: Decimal, bases: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The invoice's VAT for one rate over the communes' bases at that rate (rule 3)."""
    if all(base == 0 for base in bases.values()):
        return {insee: ZERO for insee in sorted(bases)}
    positive = any(base > 0 for base in bases.values())
    negative = any(base < 0 for base in bases.values())
    if not (positive and negative):
        return largest_remainder(invoice_vat, {insee: abs(base) for insee, base in bases.items()})
    # Mixed signs: each commune's own exact VAT, rounded down, then the missing cents.
    exact = {insee: Fraction(base) * Fraction(rate) / 100 / Fraction(CENT) for insee, base in bases.items()}
    denominator = math.lcm(*(value.denominator for value in exact.values()))
    numerators = {insee: value.numerator * (denominator // value.denominator) for insee, value in exact.items()}
    strength = _integer_weights({insee: abs(base) for insee, base in bases.items()})
    target = int(invoice_vat / CENT)
    parts = _apportion(target, numerators, denominator, strength)
    return {insee: parts[insee] * CENT for insee in sorted(parts)}


# --- the split of an invoice ----------------------------------------------------------------


def split_invoice(
    lines: Sequence[SplitLine],
    communes: Sequence[CommuneInfo],
    key: AllocationKey,
    shared_among: Sequence[str] | None = None,
    manual_percents: Mapping[str, Decimal] | None = None,
    line_keys: Mapping[str, AllocationKey] | None = None,
) -> InvoiceSplit:
    """Split an invoice's lines, charges and allowances over the communes (module docstring).

    `shared_among`: INSEE codes sharing the untied lines (default: every commune given).
    `manual_percents`: INSEE code -> percent, for MANUAL; must add up to 100.
    `line_keys`: line key -> allocation key, overriding `key` for that shared line (a key on
    a tied line is ignored: a tied line always goes to its commune).
    Raises ValueError with a French message on inconsistent input.
    """
    key = AllocationKey(key)
    infos = _communes_by_insee(communes)
    _check_lines(lines, infos)
    if shared_among is None:
        sharing = sorted(infos)
    else:
        unknown = sorted(set(shared_among) - set(infos))
        if unknown:
            raise ValueError(
                f"commune inconnue parmi celles qui partagent la facture : {', '.join(unknown)} "
                "(code INSEE absent de la liste des communes)"
            )
        sharing = sorted(set(shared_among))
    overrides = _line_keys(line_keys, lines)
    percents = _manual_percents(manual_percents, sharing) if manual_percents is not None else None

    shared = [line for line in lines if line.commune is None]
    if shared and not sharing:
        raise ValueError("des lignes sont à partager mais aucune commune n'a été choisie pour les partager")
    used = sorted({overrides.get(line.key, key) for line in shared})
    weights = {used_key: _key_weights(used_key, lines, infos, sharing, percents) for used_key in used}

    # One pass over the lines: each line's parts, and the bases per rate of the invoice and of each
    # commune (50 000 lines at the largest size benchmarked).
    rates = sorted({line.vat_rate for line in lines})
    allocated: dict[str, dict[str, Decimal]] = {insee: {} for insee in sorted(infos)}
    invoice_bases = dict.fromkeys(rates, ZERO)
    commune_bases = {rate: dict.fromkeys(allocated, ZERO) for rate in rates}
    for line in lines:
        invoice_bases[line.vat_rate] += line.net_amount
        bases = commune_bases[line.vat_rate]
        if line.commune is not None:
            allocated[line.commune][line.key] = line.net_amount + ZERO
            bases[line.commune] += line.net_amount
            continue
        for insee, part in largest_remainder(line.net_amount, weights[overrides.get(line.key, key)]).items():
            allocated[insee][line.key] = part
            bases[insee] += part
    invoice_vat = {rate: vat_for_rate(invoice_bases[rate], rate) for rate in rates}
    commune_vat = {rate: _split_vat(invoice_vat[rate], rate, commune_bases[rate]) for rate in rates}

    shares = []
    for insee in sorted(infos):
        ht = sum((commune_bases[rate][insee] for rate in rates), ZERO)
        vat = {rate: commune_vat[rate][insee] for rate in rates}
        shares.append(
            CommuneShare(
                insee=insee,
                name=infos[insee].name,
                ht=ht,
                vat=vat,
                ttc=ht + sum(vat.values(), ZERO),
                lines=allocated[insee],
            )
        )
    total_ht = sum(invoice_bases.values(), ZERO)
    total_vat = sum(invoice_vat.values(), ZERO)
    return InvoiceSplit(
        key=key,
        communes=tuple(shares),
        total_ht=total_ht,
        vat=invoice_vat,
        total_vat=total_vat,
        total_ttc=total_ht + total_vat,
    )


def _communes_by_insee(communes: Sequence[CommuneInfo]) -> dict[str, CommuneInfo]:
    infos: dict[str, CommuneInfo] = {}
    for info in communes:
        if info.insee in infos:
            raise ValueError(f"la commune {info.insee} est donnée deux fois")
        if info.population < 0:
            raise ValueError(f"la population de {info.name} ne peut pas être négative")
        infos[info.insee] = info
    return infos


def _check_lines(lines: Sequence[SplitLine], infos: Mapping[str, CommuneInfo]) -> None:
    seen: set[str] = set()
    for line in lines:
        if line.key in seen:
            raise ValueError(f"la ligne {line.key} apparaît deux fois")
        seen.add(line.key)
        for value in (line.net_amount, line.vat_rate, line.quantity):
            if not Decimal(value).is_finite():
                raise ValueError(f"ligne {line.key} : montant, taux ou quantité non numérique")
        if line.net_amount != line.net_amount.quantize(CENT):
            raise ValueError(f"ligne {line.key} : le montant {number(line.net_amount)} a plus de deux décimales")
        if line.vat_rate < 0:
            raise ValueError(f"ligne {line.key} : taux de TVA négatif ({percent(line.vat_rate)})")
        if line.commune is not None and line.commune not in infos:
            raise ValueError(f"ligne {line.key} : commune {line.commune} inconnue (code INSEE absent de la liste)")


def _line_keys(line_keys: Mapping[str, AllocationKey] | None, lines: Sequence[SplitLine]) -> dict[str, AllocationKey]:
    if not line_keys:
        return {}
    known = {line.key for line in lines}
    unknown = sorted(set(line_keys) - known)
    if unknown:
        raise ValueError(f"clé de répartition donnée pour une ligne absente de la facture : {', '.join(unknown)}")
    return {line_key: AllocationKey(value) for line_key, value in line_keys.items()}


def _manual_percents(manual_percents: Mapping[str, Decimal], sharing: Sequence[str]) -> dict[str, Decimal]:
    outside = sorted(set(manual_percents) - set(sharing))
    if outside:
        raise ValueError(f"pourcentage saisi pour une commune qui ne partage pas la facture : {', '.join(outside)}")
    percents = {insee: Decimal(manual_percents.get(insee, 0)) for insee in sharing}
    for insee, value in percents.items():
        if not value.is_finite() or value < 0:
            raise ValueError(f"le pourcentage saisi pour la commune {insee} doit être positif ou nul")
    total = sum(percents.values(), Decimal(0))
    if total != HUNDRED:
        raise ValueError(f"les pourcentages saisis totalisent {percent(total)} au lieu de 100\u00a0%")
    return percents


def _key_weights(
    key: AllocationKey,
    lines: Sequence[SplitLine],
    infos: Mapping[str, CommuneInfo],
    sharing: Sequence[str],
    percents: Mapping[str, Decimal] | None,
) -> dict[str, Decimal]:
    """The weights of the sharing communes for one key; refuses a key that cannot apply."""
    if key is AllocationKey.EQUAL:
        return {insee: Decimal(1) for insee in sharing}
    if key is AllocationKey.POPULATION:
        weights = {insee: Decimal(infos[insee].population) for insee in sharing}
        if not any(weights.values()):
            raise ValueError(
                "répartition au prorata de la population impossible : la population des communes "
                "qui partagent la facture est nulle ou inconnue. Choisissez une autre clé de répartition."
            )
        return weights
    if key is AllocationKey.MANUAL:
        if percents is None:
            raise ValueError("répartition par pourcentages saisis : saisissez les pourcentages des communes")
        return dict(percents)
    # One pass over the lines whatever the number of communes (1 000 members × 50 000 lines).
    signed = dict.fromkeys(sharing, ZERO)
    for line in lines:
        if line.commune in signed:
            signed[line.commune] += line.net_amount if key is AllocationKey.AMOUNT else Decimal(line.quantity)
    if key is AllocationKey.AMOUNT:
        nothing, what, show = "aucun montant HT n'est rattaché", "montants HT rattachés", euros
    else:
        nothing, what, show = "aucune quantité n'est rattachée", "quantités rattachées", number
    if not any(signed.values()):
        raise ValueError(
            f"répartition {key.label} impossible : {nothing} aux communes qui partagent la facture. "
            "Choisissez une autre clé de répartition."
        )
    positive = sorted(insee for insee, value in signed.items() if value > 0)
    negative = sorted(insee for insee, value in signed.items() if value < 0)
    if positive and negative:
        detail = ", ".join(f"{insee} : {show(signed[insee])}" for insee in positive[:1] + negative[:1])
        raise ValueError(
            f"répartition {key.label} impossible : les {what} aux communes sont de signes contraires "
            f"({detail}). Choisissez une autre clé de répartition."
        )
    return {insee: abs(value) for insee, value in signed.items()}
