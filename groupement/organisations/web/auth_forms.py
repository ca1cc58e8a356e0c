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
