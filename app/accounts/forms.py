"""HTML forms of the accounts pages (Flask-WTF: CSRF included)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from app.accounts import passwords
from app.accounts.models import Role

ROLE_NAMES = {Role.AGENT: _l("Agent"), Role.SUPERVISOR: _l("Supervisor"), Role.ADMIN: _l("Admin")}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class AgentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_NAMES[r]) for r in Role])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(passwords.MIN_LENGTH, passwords.MAX_LENGTH)],
    )
