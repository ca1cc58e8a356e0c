from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(
        "Adresse électronique",
        validators=[InputRequired("Saisissez votre adresse électronique."), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[InputRequired("Saisissez votre mot de passe."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Rester connecté sur cet appareil")


class LogoutForm(FlaskForm):
    pass


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Mot de passe actuel",
        validators=[InputRequired("Saisissez votre mot de passe actuel."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[InputRequired("Saisissez le nouveau mot de passe."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirmation du nouveau mot de passe",
        validators=[InputRequired("Confirmez le nouveau mot de passe."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Adresse électronique",
        validators=[InputRequired("Saisissez votre adresse électronique."), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )


class ResetForm(FlaskForm):
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[InputRequired("Saisissez le nouveau mot de passe."), Length(max=200)],
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm = PasswordField(
        "Confirmation du nouveau mot de passe",
        validators=[InputRequired("Confirmez le nouveau mot de passe."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
