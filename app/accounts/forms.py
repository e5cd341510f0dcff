"""HTML forms of the accounts pages (Flask-WTF: CSRF included)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from app.accounts import passwords
from app.accounts.models import Role


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me signed in on this computer")


class AgentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.title()) for r in Role])
    password = PasswordField(
        "Initial password", validators=[DataRequired(), Length(passwords.MIN_LENGTH, passwords.MAX_LENGTH)]
    )
