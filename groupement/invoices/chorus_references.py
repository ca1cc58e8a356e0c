"""Chorus Pro references (pure): an invoice is matched FIRST by the references the order told the
supplier to write on it. BT-13 (purchase order reference, on the header or a line) is the order
number or the commune's engagement number (numéro d'engagement juridique); BT-10 (buyer
reference) is the commune's Chorus Pro service code, or its engagement number.

`match_references` says which reference matched which order (or commune), and refuses to match
silently what does not fit: a reference no order of the coordinator's communes carries (another
coordinator's engagement number included), a BT-10 naming one commune while BT-13 names another
commune's order, an engagement number of a commune other than the invoice's buyer."""

from __future__ import annotations

from dataclasses import dataclass, field

from groupement.core.french import de

# The CheckResult rule id of the references' check (an anomaly when it fails).
REFERENCES_RULE = "REFERENCES"


@dataclass(frozen=True)
class OrderReference:
    """An order of the actor's scope as the references see it."""

    number: str
    engagement: str  # "" when the commune gave none
    commune_id: int
    commune_name: str


@dataclass(frozen=True)
class CommuneCode:
    commune_id: int
    commune_name: str
    service_code: str


@dataclass(frozen=True)
class ReferenceMatch:
    ok: bool
    message: str  # French: what matched, or why it does not
    # Each BT-13 reference quoted, to the order numbers it designates (an engagement may cover several orders).
    orders_by_reference: dict[str, tuple[str, ...]] = field(default_factory=dict)
    matched_by: dict[str, str] = field(default_factory=dict)  # reference -> "number" / "engagement"


def _same(a: str, b: str) -> bool:
    """References compared without case or surrounding spaces (suppliers retype them)."""
    return a.strip().casefold() == b.strip().casefold()


def match_references(
    order_references: list[str],
    buyer_reference: str | None,
    orders: list[OrderReference],
    communes: list[CommuneCode],
    buyer_commune_id: int | None = None,
) -> ReferenceMatch:
    """Match the quoted BT-13 references (header and lines, each once) and BT-10 to the orders
    and communes of the actor's scope. `buyer_commune_id`: the commune the invoice is addressed to
    (its BT-46/47), None when it is addressed to the coordinator or unknown."""
    quoted = list(dict.fromkeys(r.strip() for r in order_references if r and r.strip()))
    buyer = (buyer_reference or "").strip()
    if not quoted and not buyer:
        return ReferenceMatch(
            True,
            "Aucune référence Chorus Pro sur la facture (ni commande ou engagement en BT-13, ni code service en "
            "BT-10) : chaque ligne est rattachée par son propre numéro de commande.",
        )
    problems: list[str] = []
    found: list[str] = []
    by_reference: dict[str, tuple[str, ...]] = {}
    matched_by: dict[str, str] = {}
    communes_named: dict[int, str] = {}  # commune id -> what named it
    names = {o.commune_id: o.commune_name for o in orders} | {c.commune_id: c.commune_name for c in communes}

    for reference in quoted:
        by_number = [o for o in orders if _same(o.number, reference)]
        by_engagement = [o for o in orders if o.engagement and _same(o.engagement, reference)]
        if by_number:
            order = by_number[0]
            by_reference[reference] = (order.number,)
            matched_by[reference] = "number"
            found.append(f"commande n° {order.number} ({order.commune_name}) par son numéro (BT-13)")
            communes_named.setdefault(order.commune_id, f"la commande n° {order.number}")
        elif by_engagement:
            numbers = tuple(o.number for o in by_engagement)
            by_reference[reference] = numbers
            matched_by[reference] = "engagement"
            owners = {o.commune_id for o in by_engagement}
            if len(owners) > 1:
                problems.append(
                    f"le numéro d'engagement « {reference} » (BT-13) est porté par les commandes de plusieurs communes "
                    f"({', '.join(sorted(names[i] for i in owners))}) : il ne désigne pas une commune"
                )
                continue
            found.append(
                f"commande{'s' if len(numbers) > 1 else ''} n° {', '.join(numbers)} ({by_engagement[0].commune_name}) "
                f"par le numéro d'engagement « {reference} » (BT-13)"
            )
            communes_named.setdefault(by_engagement[0].commune_id, f"le numéro d'engagement « {reference} »")
        else:
            problems.append(
                f"la référence de commande « {reference} » (BT-13) n'est ni un numéro de commande ni un numéro "
                "d'engagement des communes du groupement"
            )

    if buyer:
        by_code = [c for c in communes if c.service_code and _same(c.service_code, buyer)]
        by_engagement = [o for o in orders if o.engagement and _same(o.engagement, buyer)]
        if by_code:
            commune = by_code[0]
            found.append(f"code service Chorus Pro « {buyer} » {de(commune.commune_name)} (BT-10)")
            _one_commune(commune.commune_id, f"le code service « {buyer} » (BT-10)", communes_named, names, problems)
        elif by_engagement and len({o.commune_id for o in by_engagement}) == 1:
            order = by_engagement[0]
            found.append(f"numéro d'engagement « {buyer} » {de(order.commune_name)} (BT-10)")
            _one_commune(
                order.commune_id, f"le numéro d'engagement « {buyer} » (BT-10)", communes_named, names, problems
            )
        elif not quoted:
            problems.append(
                f"la référence acheteur « {buyer} » (BT-10) n'est ni le code service Chorus Pro ni un numéro "
                "d'engagement d'une commune du groupement, et la facture ne cite aucune commande (BT-13)"
            )
        else:
            found.append(f"référence acheteur « {buyer} » (BT-10) inconnue, laissée de côté")

    if buyer_commune_id is not None:
        others = sorted(names[c] for c in communes_named if c != buyer_commune_id)
        if others:
            problems.append(
                f"la facture est adressée à {names.get(buyer_commune_id, 'une autre commune')} mais ses références "
                f"désignent {', '.join(others)}"
            )
    # An invoice to the coordinator may cover several communes' orders (BT-10, when given, is checked above).
    if problems:
        return ReferenceMatch(
            False,
            "Références Chorus Pro : "
            + " ; ".join(problems)
            + ". Vérifiez la facture auprès du fournisseur (rejetez-la, ou acceptez l'écart avec un commentaire).",
            by_reference,
            matched_by,
        )
    return ReferenceMatch(
        True, "Références Chorus Pro reconnues : " + " ; ".join(found) + ".", by_reference, matched_by
    )


def _one_commune(commune_id: int, what: str, named: dict[int, str], names: dict[int, str], problems: list[str]) -> None:
    """BT-10 names one commune: every BT-13 reference must be that commune's."""
    for other, by in named.items():
        if other != commune_id:
            problems.append(f"{what} désigne {names[commune_id]} mais {by} est {de(names[other])}")
    named.setdefault(commune_id, what)
