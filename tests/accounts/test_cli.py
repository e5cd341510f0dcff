"""`flask --app wsgi accounts ...`."""

from app.accounts import services


def test_create_account_from_the_shell(app):
    result = app.test_cli_runner().invoke(
        args=[
            "accounts",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            "s3cret-enough",
            "--role",
            "admin",
            "--name",
            "The Boss",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Created admin The Boss <boss@example.com>" in result.output
    assert services.authenticate("boss@example.com", "s3cret-enough").role == "admin"


def test_create_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["accounts", "create", "--email", "a@example.com", "--password", "short", "--name", "A"]
    )

    assert result.exit_code != 0
    assert "password" in result.output


def test_token_command_prints_a_working_token(app, agent, client):
    result = app.test_cli_runner().invoke(args=["accounts", "token", "--email", agent.email])

    raw = result.output.strip()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
