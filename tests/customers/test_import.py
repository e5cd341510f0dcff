"""CSV import: rows land whole or not at all, errors are reported per row, and re-importing is harmless."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.customers import services
from app.customers.models import Customer, CustomerEvent, CustomerImport, Organization
from app.errors import Invalid
from app.extensions import db
from tests.customer_factories import CustomerFactory, FieldDefinitionFactory
from tests.import_helpers import upload

URL = "/api/v1/customers/imports"

HEADER = (
    "name,email,phone,organization,tags,preferred_language,preferred_channel,"
    "revenue_12m,lifetime_revenue,currency,notes,cf_tier\n"
)
CSV = HEADER + (
    "Jane Doe,Jane@Example.com;jd@home.example,(201) 555-0123,Acme,VIP;billing,"
    "en,email,100.5,200,eur,Likes tea,gold\n"
    "Bad Phone,bad@example.com,12,Ghost Org,,,pigeon,,,,,\n"
    "John Smith,,+44 20 7946 0958,,,,,,,,,silver\n"
    "No Contact,,,,,,,,,,,\n"
    ",,,,,,,,,,,\n"
    "Zed,zed@example.com,,,,,,-5,,,,platinum\n"
)


@pytest.fixture
def tier(app):
    return FieldDefinitionFactory(key="tier", type="choice", choices=["gold", "silver"])


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _customer(name: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.name == name))


def test_good_rows_land_and_bad_rows_are_reported(app, tier):
    report = services.import_customers_csv(CSV, actor=None)

    assert (report.created, report.updated, report.unchanged, report.failed) == (3, 0, 0, 2)
    assert report.errors == [
        {
            "row": 2,
            "errors": {
                "phone": ["Item 1: Not a valid phone number."],
                "preferred_channel": ["Must be one of: phone, email, web, chat, sms."],
            },
        },
        {
            "row": 6,
            "errors": {
                "revenue_12m": ["Must be between 0 and 999999999999.99."],
                "cf_tier": ["Must be one of: gold, silver."],
            },
        },
    ]
    jane = _customer("Jane Doe")
    assert [cp.value for cp in jane.emails] == ["jane@example.com", "jd@home.example"]
    assert jane.primary_phone == "+12015550123"
    assert jane.organization.name == "Acme"
    assert jane.tag_names == ["billing", "vip"]
    assert (str(jane.revenue_12m), str(jane.lifetime_revenue), jane.currency) == ("100.50", "200.00", "EUR")
    assert jane.custom_fields == {"tier": "gold"}
    assert jane.preferred_channel == "email"
    assert _customer("John Smith").primary_phone == "+442079460958"


def test_a_bad_row_leaves_nothing_behind(app, tier):
    services.import_customers_csv(CSV, actor=None)

    assert _customer("Bad Phone") is None
    assert _customer("Zed") is None
    assert _count(Organization, Organization.name == "Ghost Org") == 0
    assert _count(Customer) == 3


def test_a_row_failing_halfway_is_rolled_back_completely(app, tier, monkeypatch):
    from app.customers.services import imports

    real = imports.record_event

    def failing_on_row_3(customer, kind, data, actor):
        if data.get("row") == 3:
            raise Invalid("Simulated failure after the customer was written.")
        return real(customer, kind, data, actor)

    monkeypatch.setattr(imports, "record_event", failing_on_row_3)

    report = services.import_customers_csv(CSV, actor=None)

    assert report.failed == 3
    assert {
        "row": 3,
        "errors": {"row": ["Simulated failure after the customer was written."]},
    } in report.errors
    db.session.expire_all()
    assert _customer("John Smith") is None
    assert _customer("Jane Doe") is not None
    assert _count(CustomerEvent) == report.created


def test_reimporting_the_same_file_changes_nothing(app, tier):
    services.import_customers_csv(CSV, actor=None)
    events = _count(CustomerEvent)

    again = services.import_customers_csv(CSV, actor=None)

    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 3, 2)
    assert _count(Customer) == 3
    assert _count(CustomerEvent) == events


def test_a_row_updates_the_customer_owning_its_contact_point(app, tier):
    jane = CustomerFactory(name="Jane", emails=["jane@example.com"], tags=["vip"], notes="old")
    text = "name,email,phone,tags,notes\nJane Doe,JANE@example.com,2015550123,new;VIP,new notes\n"

    report = services.import_customers_csv(text, actor=None)

    assert (report.created, report.updated) == (0, 1)
    db.session.expire_all()
    assert jane.name == "Jane Doe"
    assert jane.primary_phone == "+12015550123"
    assert jane.tag_names == ["new", "vip"]
    assert jane.notes == "new notes"
    event = db.session.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == jane.id))
    assert event.kind == "imported"
    assert set(event.data["changes"]) == {"name", "phones", "tags", "notes"}


def test_a_row_matching_two_customers_is_an_error(app):
    CustomerFactory(emails=["a@example.com"])
    CustomerFactory(phones=["+12015550123"])

    report = services.import_customers_csv("name,email,phone\nX,a@example.com,2015550123\n", actor=None)

    assert report.failed == 1
    assert "merge them first" in report.errors[0]["errors"]["email"][0]


def test_a_new_customer_needs_a_name(app):
    report = services.import_customers_csv("name,email\n,nobody@example.com\n", actor=None)

    assert report.errors == [{"row": 1, "errors": {"name": ["Required for a new customer."]}}]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "name,shoe_size\nX,44\n", "name,cf_unknown\nX,1\n", "name,name\nX,Y\n", "name\nA\x00B\n"],
)
def test_a_file_that_is_unusable_as_a_whole_is_refused(app, text):
    with pytest.raises(Invalid) as raised:
        services.import_customers_csv(text, actor=None)

    assert "file" in raised.value.errors
    assert _count(Customer) == 0


def test_progress_is_reported_row_by_row(app, tier):
    seen = []

    services.import_customers_csv(CSV, actor=None, on_progress=lambda done, total: seen.append((done, total)))

    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


# -- the command line --------------------------------------------------------------------------------


def test_cli_imports_a_file_and_fails_when_a_row_failed(app, tier, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(CSV, encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["customers", "import", str(path)])

    assert result.exit_code == 1
    assert "5 rows: 3 created, 0 updated, 0 unchanged, 2 failed." in result.output
    assert (
        "row 2: phone: Item 1: Not a valid phone number.; preferred_channel: Must be one of" in result.output
    )
    assert _count(Customer) == 3


def test_cli_exits_0_when_every_row_landed(app, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("name,email\nJane,jane@example.com\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["customers", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "1 rows: 1 created" in result.output


def test_cli_refuses_an_unusable_file(app, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("shoe_size\n44\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["customers", "import", str(path)])

    assert result.exit_code == 1
    assert "Unknown columns: shoe_size." in result.output


# -- the API and its job -----------------------------------------------------------------------------


def _upload(client, content: bytes, filename: str = "customers.csv"):
    return upload(client, URL, content, filename)


def test_api_import_runs_as_a_job_and_reports(as_supervisor, supervisor, tier):
    response = _upload(as_supervisor, CSV.encode())

    assert response.status_code == 202, response.json
    body = response.json
    # Tests run jobs inline (RQ_ASYNC off), so the import is finished already.
    assert body["status"] == "done"
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (3, 0, 0, 2)
    assert body["created_by_id"] == supervisor.id
    polled = as_supervisor.get(f"{URL}/{body['id']}").json
    assert polled["errors"][0]["row"] == 2
    jane = _customer("Jane Doe")
    event = db.session.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == jane.id))
    assert (event.kind, event.actor_id, event.data["import_id"]) == ("imported", supervisor.id, body["id"])


def test_running_a_finished_import_again_changes_nothing(as_supervisor, tier):
    import_id = _upload(as_supervisor, CSV.encode()).json["id"]
    customers = _count(Customer)

    record = services.run_import(import_id)

    assert record.status == "done" and record.created_count == 3
    assert _count(Customer) == customers


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"name\nJane\n", "customers.xlsx"),
        (b"name\nJ\xe9r\xf4me\n", "customers.csv"),
        (b"shoe_size\n44\n", "customers.csv"),
        (b"", "customers.csv"),
    ],
)
def test_api_refuses_files_that_cannot_be_imported(as_supervisor, content, filename):
    response = _upload(as_supervisor, content, filename)

    assert response.status_code == 422
    assert "file" in response.json["errors"]
    assert _count(CustomerImport) == 0


def test_api_refuses_a_file_over_the_size_limit(app, as_supervisor):
    app.config["CUSTOMER_IMPORT_MAX_BYTES"] = 100

    response = _upload(as_supervisor, b"name\n" + b"Jane\n" * 50)

    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["At most 100 bytes."]}


def test_api_needs_a_file(as_supervisor):
    response = as_supervisor.post(URL, data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_an_unknown_import_is_404(as_supervisor):
    assert as_supervisor.get(f"{URL}/999").status_code == 404
