"""Invoice kinds, states and check resolutions; the coordinator's recovery accounts. Pure."""

from __future__ import annotations

from enum import StrEnum


class InvoiceKind(StrEnum):
    INVOICE = "invoice"  # 380
    CREDIT_NOTE = "credit_note"  # 381: imported as negative amounts
    CORRECTIVE = "corrective"  # 384

    @property
    def label(self) -> str:
        return {"invoice": "facture", "credit_note": "avoir", "corrective": "facture rectificative"}[self.value]


class InvoiceStatus(StrEnum):
    IMPORTED = "imported"
    CHECKED = "checked"
    DISPUTED = "disputed"
    SPLIT = "split"
    RECOVERED = "recovered"
    SETTLED = "settled"

    @property
    def label(self) -> str:
        return {
            "imported": "importée",
            "checked": "contrôlée",
            "disputed": "en litige",
            "split": "répartie",
            "recovered": "titres émis",
            "settled": "soldée",
        }[self.value]


class CheckResolution(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # the accountant accepts the mismatch, with a comment
    DISPUTED = "disputed"  # a dispute with the supplier: blocks the split

    @property
    def label(self) -> str:
        return {"open": "à traiter", "accepted": "acceptée", "disputed": "contestée"}[self.value]


# The coordinator's side of the re-invoice (domain-facts §7, to confirm with the paymaster):
# equipment bought on behalf of the members goes through the mandate account 4582; other
# costs are recovered as "remboursements de frais par les communes membres du GFP" (70875).
MANDATE_ACCOUNT = "4582"
COST_RECOVERY_ACCOUNT = "70875"


def recovery_account(member_account: str | None) -> str:
    """The coordinator's account for a title, from the member's M57 account of the main line."""
    return MANDATE_ACCOUNT if member_account and member_account.startswith("21") else COST_RECOVERY_ACCOUNT
