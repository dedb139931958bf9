"""Every page carries a Content-Security-Policy that allows no inline script, no template holds
one, and a `next` parameter never leads off the site."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.test_permissions import MATRIX, ROLES, webhook_world

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def script_src(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    return directives["script-src"]


@pytest.fixture
def world(cast, handoff_to_rep):
    from alignment import services as alignment_services

    mine, theirs = handoff_to_rep(), handoff_to_rep(rep=cast.other_rep)
    definition = alignment_services.definition_create(by=cast.marketer, name="Draft under test")
    return {"mine": mine, "theirs": theirs, "definition": definition, "hook": webhook_world(cast)}


def test_every_page_of_the_permission_matrix_sends_a_strict_policy(cast, world):
    extra = ["/reviews/", "/dashboard/", "/definitions/", "/admin/django_celery_beat/periodictask/add/"]
    checked = 0
    for role in ROLES:
        client = Client()
        client.force_login(getattr(cast, role))
        for url in [*MATRIX, *extra]:
            path = url.format(
                mine=world["mine"].lead_id,
                theirs=world["theirs"].lead_id,
                mine_handoff=world["mine"].pk,
                theirs_handoff=world["theirs"].pk,
                definition=world["definition"].pk,
                **world["hook"],
            )
            response = client.get(path)
            assert "Content-Security-Policy" in response, f"{role} GET {path}"
            assert script_src(response) == ["'self'"], f"{role} GET {path}"
            checked += 1
    assert checked == len(ROLES) * (len(MATRIX) + 4)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_login_pages_send_it_too(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    assert script_src(response) == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("style-src")[0]


def test_the_policy_forbids_plugins_framing_and_foreign_forms(db):
    policy = Client().get("/accounts/login/")["Content-Security-Policy"]
    for directive in ("object-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'self'"):
        assert directive in policy


def test_no_template_holds_an_inline_script_or_handler():
    found = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            text = template.read_text()
            for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
                found += [f"{template}: {match.group(0)}" for match in pattern.finditer(text)]
    assert TEMPLATE_DIRS and not found


def test_the_periodic_task_form_uses_the_script_file_not_the_packages_inline_one(cast):
    client = Client()
    client.force_login(cast.vp)
    task = PeriodicTask.objects.create(
        name="Sweep under test",
        task="leads.tasks.sweep_overdue",
        interval=IntervalSchedule.objects.create(every=15, period=IntervalSchedule.MINUTES),
    )
    response = client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "accord/admin/periodic_task_form.js" in html
    assert not INLINE_SCRIPT.search(html.replace('type="application/json"', 'src="json"'))


def test_the_meeting_close_button_asks_through_the_script_file(db):
    template = Path(settings.BASE_DIR) / "templates" / "reviews" / "meeting_detail.html"
    assert 'data-confirm="Close the meeting' in template.read_text()
    assert "data-confirm" in (Path(settings.BASE_DIR) / "static" / "accord" / "accord.js").read_text()


class TestNext:
    @pytest.fixture
    def accepted(self, cast, handoff_to_rep):
        from leads import services

        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        return handoff.lead

    def touch(self, cast, lead, next_url):
        client = Client()
        client.force_login(cast.rep)
        return client.post(
            f"/leads/{lead.pk}/touches/new/", {"kind": "call", "result": "no_answer", "note": "", "next": next_url}
        )

    @pytest.mark.parametrize(
        "hostile",
        ["https://evil.example/x", "//evil.example/x", "https:evil.example", "/\\evil.example", "javascript:alert(1)"],
    )
    def test_an_off_site_next_goes_to_the_inbox(self, cast, accepted, hostile):
        response = self.touch(cast, accepted, hostile)
        assert response.status_code == 302
        assert response["Location"] == "/inbox/"

    def test_a_next_on_this_site_is_followed(self, cast, accepted):
        response = self.touch(cast, accepted, f"/leads/{accepted.pk}/")
        assert response["Location"] == f"/leads/{accepted.pk}/"

    def test_the_login_page_refuses_an_off_site_next_too(self, cast):
        from tests.factories import PASSWORD

        response = Client().post(
            "/accounts/login/?next=https://evil.example/x", {"username": cast.rep.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]


def test_no_view_reads_next_except_through_the_one_helper():
    readers = []
    for module in Path(settings.BASE_DIR).glob("*/*.py"):
        if module.parts[-2] in ("security", "tests", ".venv"):
            continue
        text = module.read_text()
        if re.search(r"""(POST|GET)(\.get\(|\[)\s*["']next["']""", text):
            readers.append(str(module))
    assert readers == []
