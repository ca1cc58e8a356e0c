from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from groupement.campaigns.grid import NeedEntry


class GridForm(FlaskForm):
    """CSRF only: the grid's fields are one per item, read by entries_from_form."""


class StepForm(FlaskForm):
    pass


class SendBackForm(FlaskForm):
    comment = TextAreaField(
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
        if not key.startswith("q-") or not key[2:].isdigit():
            continue
        item_id = int(key[2:])
        quantity = form.get(key, "").strip()
        comment = form.get(f"c-{item_id}", "").strip()
        typed[item_id] = (quantity, comment)
        original = (form.get(f"oq-{item_id}"), form.get(f"oc-{item_id}", "").strip())
        if original[0] is not None and (quantity or "0", comment) == (original[0] or "0", original[1]):
            continue
        version = form.get(f"v-{item_id}", "0")
        entries.append(NeedEntry(item_id, quantity, comment, int(version) if version.isdigit() else -1))
    return entries, typed
