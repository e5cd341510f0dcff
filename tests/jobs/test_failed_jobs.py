"""The failed-job registry, as admins see and tend it: what each failed job ran, when and why it failed;
run it again or drop it."""

from __future__ import annotations

from rq.registry import FailedJobRegistry

from app.queue import enqueue, get_queue, redis_connection
from tests.factories import PASSWORD
from tests.helpers import csrf_token_from, sign_in
from tests.sample_jobs import fail_always


def _failed_job(reason: str = "the disk is full") -> str:
    """A job that failed on its last run (tests run jobs inline: at once)."""
    job = enqueue(fail_always, reason, ticket_id=7)
    assert job.get_status(refresh=True) == "failed"
    return job.id


def test_a_job_that_keeps_failing_is_listed_with_what_it_ran_and_why(as_admin):
    job_id = _failed_job()

    [listed] = as_admin.get("/api/v1/jobs/failed").json

    assert {key: listed[key] for key in ("id", "queue", "function", "args", "kwargs")} == {
        "id": job_id,
        "queue": "default",
        "function": "tests.sample_jobs.fail_always",
        "args": ["the disk is full"],
        "kwargs": {"ticket_id": 7},
    }
    assert listed["error"].rstrip().endswith("RuntimeError: the disk is full")
    assert listed["failed_at"] is not None and listed["enqueued_at"] is not None


def test_a_failed_job_is_run_again_on_its_queue(app, as_admin):
    job_id = _failed_job()

    response = as_admin.post(f"/api/v1/jobs/failed/{job_id}/retry")

    assert response.status_code == 200, response.json
    assert as_admin.get("/api/v1/jobs/failed").json == []
    assert job_id in get_queue("default").job_ids
    assert as_admin.post(f"/api/v1/jobs/failed/{job_id}/retry").status_code == 404


def test_a_failed_job_is_dropped(as_admin):
    job_id = _failed_job()

    assert as_admin.delete(f"/api/v1/jobs/failed/{job_id}").status_code == 204

    assert as_admin.get("/api/v1/jobs/failed").json == []
    assert job_id not in FailedJobRegistry("default", connection=redis_connection())
    assert as_admin.delete(f"/api/v1/jobs/failed/{job_id}").status_code == 404
    assert as_admin.delete("/api/v1/jobs/failed/no-such-job").status_code == 404


def test_admins_see_failed_jobs_on_their_page(client, admin):
    _failed_job("the mail server said no")
    sign_in(client, admin.email, PASSWORD)

    page = client.get("/admin/jobs/failed").get_data(as_text=True)

    assert "tests.sample_jobs.fail_always" in page
    assert "RuntimeError: the mail server said no" in page


def test_supervisors_may_not_see_failed_jobs(client, supervisor, as_supervisor):
    sign_in(client, supervisor.email, PASSWORD)

    assert client.get("/admin/jobs/failed").status_code == 403
    assert as_supervisor.get("/api/v1/jobs/failed").status_code == 403


def test_an_admin_runs_a_failed_job_again_from_the_page(client, admin):
    job_id = _failed_job()
    sign_in(client, admin.email, PASSWORD)
    page = client.get("/admin/jobs/failed").get_data(as_text=True)

    done = client.post(f"/admin/jobs/failed/{job_id}/retry", data={"csrf_token": csrf_token_from(page)})

    assert done.status_code == 302
    after = client.get("/admin/jobs/failed").get_data(as_text=True)
    assert f"Job {job_id} is back on queue default." in after
    assert "tests.sample_jobs.fail_always" not in after
    assert job_id in get_queue("default").job_ids


def test_an_admin_drops_a_failed_job_from_the_page(client, admin):
    job_id = _failed_job()
    sign_in(client, admin.email, PASSWORD)
    token = csrf_token_from(client.get("/admin/jobs/failed").get_data(as_text=True))

    assert client.post(f"/admin/jobs/failed/{job_id}/delete", data={"csrf_token": token}).status_code == 302

    assert f"Job {job_id} was dropped." in client.get("/admin/jobs/failed").get_data(as_text=True)
    assert job_id not in FailedJobRegistry("default", connection=redis_connection())
    assert client.post(f"/admin/jobs/failed/{job_id}/delete", data={"csrf_token": token}).status_code == 404
