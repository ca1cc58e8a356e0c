from wtforms import SelectChoice, SelectField
from wtforms.validators import Length, Optional

from groupement.organisations.families import Family
from groupement.web.forms import FrenchForm, SearchTextField


class CatalogFilterForm(FrenchForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchTextField("Rechercher", validators=[Optional(), Length(max=100)])
    famille = SelectField(
        "Famille",
        choices=[SelectChoice("", "Toutes les familles")] + [SelectChoice(f.value, f.label) for f in Family],
        validators=[Optional()],
    )

    @property
    def family(self) -> Family | None:
        return Family(self.famille.data) if self.famille.data else None
