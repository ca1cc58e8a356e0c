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
   (EN 16931 BR-S-09, ``money.vat_amount``: half away from zero, so a credit note mirrors the
   invoice); the communes' VAT for that rate is that figure split by their bases, so it adds up
   EXACTLY to the invoice's VAT for every rate (``apportionment.split_vat``, which also says how
   bases of mixed signs are handled).
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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from groupement.core.formatting import euros, number, percent
from groupement.core.french import de
from groupement.core.money import CENT, HUNDRED, has_at_most, vat_amount
from groupement.invoices.apportionment import ZERO, AllocationError, largest_remainder, split_vat


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


# --- the split of an invoice ----------------------------------------------------------------


def split_invoice(
    lines: Sequence[SplitLine],
    communes: Sequence[CommuneInfo],
    key: AllocationKey,
    shared_among: Sequence[str] | None = None,
    manual_percents: Mapping[str, Decimal] | None = None,
    line_keys: Mapping[str, AllocationKey] | None = None,
    declared_vat: Mapping[Decimal, Decimal] | None = None,
) -> InvoiceSplit:
    """Split an invoice's lines, charges and allowances over the communes (module docstring).

    `shared_among`: INSEE codes sharing the untied lines (default: every commune given).
    `manual_percents`: INSEE code -> percent, for MANUAL; must add up to 100.
    `line_keys`: line key -> allocation key, overriding `key` for that shared line (a key on
    a tied line is ignored: a tied line always goes to its commune).
    `declared_vat`: rate -> the VAT the invoice declares for it, split instead of base × rate: the
    official rules accept a rounding difference on it (BR-S-09), and a header-only MINIMUM invoice
    declares only a total VAT, carried by one line at its mean rate.
    Raises AllocationError with a French message on inconsistent input.
    """
    key = AllocationKey(key)
    infos = _communes_by_insee(communes)
    _check_lines(lines, infos)
    if shared_among is None:
        sharing = sorted(infos)
    else:
        unknown = sorted(set(shared_among) - set(infos))
        if unknown:
            raise AllocationError(
                f"commune inconnue parmi celles qui partagent la facture : {', '.join(unknown)} "
                "(code INSEE absent de la liste des communes)"
            )
        sharing = sorted(set(shared_among))
    overrides = _line_keys(line_keys, lines)
    percents = _manual_percents(manual_percents, sharing) if manual_percents is not None else None

    shared = [line for line in lines if line.commune is None]
    if shared and not sharing:
        raise AllocationError("des lignes sont à partager mais aucune commune n'a été choisie pour les partager")
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
    invoice_vat = {rate: vat_amount(invoice_bases[rate], rate) for rate in rates}
    for rate, amount in (declared_vat or {}).items():
        if rate in invoice_vat:
            invoice_vat[rate] = amount
    commune_vat = {rate: split_vat(invoice_vat[rate], rate, commune_bases[rate]) for rate in rates}

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
            raise AllocationError(f"la commune {info.insee} est donnée deux fois")
        if info.population < 0:
            raise AllocationError(f"la population {de(info.name)} ne peut pas être négative")
        infos[info.insee] = info
    return infos


def _check_lines(lines: Sequence[SplitLine], infos: Mapping[str, CommuneInfo]) -> None:
    seen: set[str] = set()
    for line in lines:
        if line.key in seen:
            raise AllocationError(f"la ligne {line.key} apparaît deux fois")
        seen.add(line.key)
        for value in (line.net_amount, line.vat_rate, line.quantity):
            if not Decimal(value).is_finite():
                raise AllocationError(f"ligne {line.key} : montant, taux ou quantité non numérique")
        if not has_at_most(line.net_amount, CENT):
            raise AllocationError(f"ligne {line.key} : le montant {number(line.net_amount)} a plus de deux décimales")
        if line.vat_rate < 0:
            raise AllocationError(f"ligne {line.key} : taux de TVA négatif ({percent(line.vat_rate)})")
        if line.commune is not None and line.commune not in infos:
            raise AllocationError(f"ligne {line.key} : commune {line.commune} inconnue (code INSEE absent de la liste)")


def _line_keys(line_keys: Mapping[str, AllocationKey] | None, lines: Sequence[SplitLine]) -> dict[str, AllocationKey]:
    if not line_keys:
        return {}
    known = {line.key for line in lines}
    unknown = sorted(set(line_keys) - known)
    if unknown:
        raise AllocationError(f"clé de répartition donnée pour une ligne absente de la facture : {', '.join(unknown)}")
    return {line_key: AllocationKey(value) for line_key, value in line_keys.items()}


def _manual_percents(manual_percents: Mapping[str, Decimal], sharing: Sequence[str]) -> dict[str, Decimal]:
    outside = sorted(set(manual_percents) - set(sharing))
    if outside:
        raise AllocationError(
            f"pourcentage saisi pour une commune qui ne partage pas la facture : {', '.join(outside)}"
        )
    percents = {insee: Decimal(manual_percents.get(insee, 0)) for insee in sharing}
    for insee, value in percents.items():
        if not value.is_finite() or value < 0:
            raise AllocationError(f"le pourcentage saisi pour la commune {insee} doit être positif ou nul")
    total = sum(percents.values(), Decimal(0))
    if total != HUNDRED:
        raise AllocationError(f"les pourcentages saisis totalisent {percent(total)} au lieu de 100\u00a0%")
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
            raise AllocationError(
                "répartition au prorata de la population impossible : la population des communes "
                "qui partagent la facture est nulle ou inconnue. Choisissez une autre clé de répartition."
            )
        return weights
    if key is AllocationKey.MANUAL:
        if percents is None:
            raise AllocationError("répartition par pourcentages saisis : saisissez les pourcentages des communes")
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
        raise AllocationError(
            f"répartition {key.label} impossible : {nothing} aux communes qui partagent la facture. "
            "Choisissez une autre clé de répartition."
        )
    positive = sorted(insee for insee, value in signed.items() if value > 0)
    negative = sorted(insee for insee, value in signed.items() if value < 0)
    if positive and negative:
        detail = ", ".join(f"{insee} : {show(signed[insee])}" for insee in positive[:1] + negative[:1])
        raise AllocationError(
            f"répartition {key.label} impossible : les {what} aux communes sont de signes contraires "
            f"({detail}). Choisissez une autre clé de répartition."
        )
    return {insee: abs(value) for insee, value in signed.items()}
