"""A large import for real: the upload is previewed, and after confirmation imported, by a Celery
worker consuming from a real Redis."""

import csv
import io
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config.celery import app as celery_app
from leads.models import Lead, LeadEvent, LeadImport, Notification, Stage

Status = LeadImport.Status
ROWS = 25


def wait_for(job: LeadImport, *statuses: str, seconds: float = 30) -> LeadImport:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"the import stayed {job.status} ({job.failure or 'no failure'})")


def big_file() -> bytes:
    """ROWS Salesforce rows: every fifth has a malformed email, and the last repeats the first's email."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Id", "FirstName", "LastName", "Email", "Company", "LeadSource"])
    for number in range(1, ROWS):
        # Every fifth row has neither a valid email nor an id: nothing tells its lead apart.
        email = f"person{number}@company{number}.example" if number % 5 else f"person{number} at company"
        crm_id = f"00Q{number:015d}" if number % 5 else ""
        writer.writerow([crm_id, "Person", f"Number {number}", email, f"Company {number}", ""])
    writer.writerow(["", "Person", "Number 1", "PERSON1@company1.example", "Company One", ""])
    return buffer.getvalue().encode()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_large_upload_is_previewed_and_imported_by_a_real_worker(redis_broker, cast, settings):
    settings.ACCORD_IMPORT_INLINE_ROWS = 10
    rejected = len([number for number in range(1, ROWS) if number % 5 == 0])  # rows 5, 10, 15, 20
    client = Client()
    client.force_login(cast.marketer)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post(
            "/admin/leads/leadimport/add/",
            {
                "file": SimpleUploadedFile("big.csv", big_file(), content_type="text/csv"),
                "default_source": cast.source.pk,
            },
        )
        assert response.status_code == 302
        job = LeadImport.objects.get()
        job = wait_for(job, Status.PREVIEWED, Status.FAILED)
        assert job.status == Status.PREVIEWED, job.failure
        assert job.total == ROWS  # counted by the worker (the request counted only past the limit)
        assert (job.preview["rows"], job.preview["rejected"]) == (ROWS, rejected)
        # The last row refines the lead row 1 creates: one lead, not two.
        assert job.preview["created"] == ROWS - 1 - rejected
        assert Lead.objects.count() == 0, "the preview wrote leads"

        response = client.post(f"/admin/leads/leadimport/{job.pk}/change/", {"action": "confirm"})
        assert response.status_code == 302
        job = wait_for(job, Status.DONE, Status.FAILED)

    assert job.status == Status.DONE, job.failure
    assert (job.done, job.finished_at is not None) == (ROWS, True)
    assert (job.result["rows"], job.result["created"], job.result["rejected"]) == (ROWS, ROWS - 1 - rejected, rejected)
    assert job.result["updated"] == 1  # the last row, folded into the lead row 1 creates
    assert [error["row"] for error in job.result["errors"]] == [5, 10, 15, 20]
    assert Lead.objects.count() == ROWS - 1 - rejected
    assert set(Lead.objects.values_list("stage", flat=True)) == {Stage.NEW}
    first = Lead.objects.get(salesforce_id=f"00Q{1:015d}")
    assert first.company == "Company One"
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.IMPORTED, details__import=job.pk).count() == ROWS - 1 - rejected
    notification = Notification.objects.get(recipient=cast.marketer, kind=Notification.Kind.IMPORT)
    assert notification.message.startswith(f"big.csv: {ROWS - 1 - rejected} leads created")

    page = client.get(f"/admin/leads/leadimport/{job.pk}/change/").content.decode()
    assert '<meta http-equiv="refresh"' not in page
    assert "Imported" in page
