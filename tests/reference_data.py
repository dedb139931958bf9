"""Driving the admin's reference-data import and export pages (django-import-export) the way a
person does: upload a file, read the preview, confirm; or choose a format and download."""

import csv
import html
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

CSV_FORMAT = "0"  # the first import and export format is CSV
XLSX_FORMAT = "1"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def preview(client: Client, changelist: str, data: bytes, *, name: str = "data.csv", fmt: str = CSV_FORMAT):
    """Upload a file to the import page: the admin answers with the dry run's preview."""
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(f"{changelist}import/", {"import_file": upload, "format": fmt, "resource": "0"})


def confirm(client: Client, changelist: str, previewed):
    """Confirm a previewed import, as the preview's button does."""
    form = previewed.context["confirm_form"]
    assert form is not None, "the preview offers no confirmation"
    return client.post(f"{changelist}process_import/", {name: form.initial[name] for name in form.fields})


def imported(client: Client, changelist: str, data: bytes, **kwargs):
    previewed = preview(client, changelist, data, **kwargs)
    assert previewed.status_code == 200
    assert previewed.context.get("confirm_form") is not None, row_errors(previewed)
    done = confirm(client, changelist, previewed)
    assert done.status_code == 302, done.content[:500]
    return done


def row_errors(response) -> list[str]:
    """The preview's per-row error messages."""
    result = response.context.get("result") if response.context else None
    if result is None:
        return []
    messages = [message for row in result.invalid_rows for messages in row.error_dict.values() for message in messages]
    messages += [str(error.error) for row in result.row_errors() for error in row[1]]
    return messages


def text(response) -> str:
    return html.unescape(response.content.decode())


def export_csv(client: Client, changelist: str, resource_name: str, fields: list[str]) -> list[list[str]]:
    """Export everything as CSV from the export page, every listed column selected."""
    data = {"format": CSV_FORMAT, "resource": "0"}
    data.update({f"{resource_name.lower()}_{field}": "on" for field in fields})
    response = client.post(f"{changelist}export/", data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "the CSV starts with the byte-order mark Excel needs"
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
