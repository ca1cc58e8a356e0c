from flask_wtf import FlaskForm
from wtforms import SearchField, SelectChoice, SelectField
from wtforms.validators import Length, Optional

from groupement.organisations.families import Family


class CatalogFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField("Rechercher", validators=[Optional(), Length(max=100)])
    famille = SelectField(
        "Famille",
        choices=[SelectChoice("", "Toutes les familles")] + [SelectChoice(f.value, f.label) for f in Family],
        validators=[Optional()],
    )

    @property
    def family(self) -> Family | None:
        return Family(self.famille.data) if self.famille.data else None
