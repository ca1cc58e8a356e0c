from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from groupement.core.access import Role


class UserForm(FlaskForm):
    name = StringField("Nom et prénom", validators=[InputRequired("Le nom est obligatoire."), Length(max=200)])
    email = EmailField(
        "Adresse électronique",
        validators=[
            InputRequired("L'adresse électronique est obligatoire."),
            Email("Adresse électronique invalide.", check_deliverability=False),
            Length(max=254),
        ],
    )
    organisation_id = SelectField("Organisation", coerce=int)
    # A supplier's user is invited from its supplier record (suppliers/accounts.py), not created here.
    role = SelectField("Rôle", choices=[SelectChoice(r.value, r.label) for r in Role if r is not Role.SUPPLIER])
    password = PasswordField(
        "Mot de passe provisoire",
        validators=[
            InputRequired("Le mot de passe est obligatoire."),
            Length(max=200, message="200 caractères au plus."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirmation du mot de passe",
        validators=[EqualTo("password", "Les deux mots de passe diffèrent.")],
        render_kw={"autocomplete": "new-password"},
    )


class AccountStateForm(FlaskForm):
    """Deactivate or reactivate: a POST with its CSRF token only."""
