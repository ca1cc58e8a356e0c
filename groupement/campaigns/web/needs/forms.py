from wtforms.validators import InputRequired, Length

from groupement.campaigns.grid import NeedEntry
from groupement.web.forms import FrenchForm, LongTextField, is_id, parse_bounded_int


class GridForm(FrenchForm):
    """CSRF only: the grid's fields are one per item, read by entries_from_form."""


class StepForm(FrenchForm):
    pass


class SendBackForm(FrenchForm):
    comment = LongTextField(
        "Ce qu'il faut corriger",
        validators=[InputRequired("Indiquez à l'agent ce qu'il faut corriger."), Length(max=1000)],
    )


def entries_from_form(form) -> tuple[list[NeedEntry], dict[int, tuple[str, str]]]:
    """The lines whose quantity or comment differs from what the page showed, and every
    typed value (to put back on the page if the save is refused).

    Fields per item id N: q-N quantity, c-N comment, v-N version seen, oq-N / oc-N the values
    shown. A line whose original is missing counts as changed.
    """
    entries, typed = [], {}
    for key in form:
        if not key.startswith("q-") or not is_id(key[2:]):
            continue
        item_id = int(key[2:])
        quantity = form.get(key, "").strip()
        comment = form.get(f"c-{item_id}", "").strip()
        typed[item_id] = (quantity, comment)
        original = (form.get(f"oq-{item_id}"), form.get(f"oc-{item_id}", "").strip())
        if original[0] is not None and (quantity or "0", comment) == (original[0] or "0", original[1]):
            continue
        entries.append(NeedEntry(item_id, quantity, comment, _version(form.get(f"v-{item_id}", "0"))))
    return entries, typed


def _version(text: str) -> int:
    """The version the page showed; -1 (a conflict, never a version) when it cannot be one."""
    try:
        version = parse_bounded_int(text)
    except ValueError:
        return -1
    return -1 if version is None else version
