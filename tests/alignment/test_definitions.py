"""The agreement workflow: draft → proposed → active → retired, signed by both leaders."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client

from alignment import services
from alignment.exceptions import AlignmentError, InvalidDefinition, NotAllowed
from alignment.models import EngagementRule, FieldRule, QualificationDefinition
from alignment.roles import GROUP_NAMES, Role
from leads import sla
from leads.models import Notification

pytestmark = pytest.mark.django_db
Status = QualificationDefinition.Status


@pytest.fixture
def draft(cast):
    """A complete draft: fit rules, engagement rules, a sales-ready rule."""

    def make(name="Enterprise fit", by=None):
        definition = services.definition_create(by=by or cast.marketer, name=name)
        FieldRule.objects.create(
            definition=definition, field="seniority", test="one_of", values=["c_level", "vp", "director"], points=40
        )
        FieldRule.objects.create(
            definition=definition, field="employees", test="band", minimum=200, maximum=5001, points=30
        )
        EngagementRule.objects.create(definition=definition, activity="demo_request", points=50)
        EngagementRule.objects.create(definition=definition, activity="source_passive", points=5)
        return definition

    return make


def activate(definition, cast):
    services.definition_propose(definition=definition, by=cast.marketer)
    services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
    return services.definition_approve(definition=definition, by=cast.vp, side="sales")


class TestDrafting:
    def test_versions_are_numbered_in_order(self, cast, draft):
        assert [draft().version, draft().version] == [1, 2]

    def test_a_new_draft_copies_rules_thresholds_terms_and_reasons(self, cast, draft):
        original = draft()
        services.definition_update(definition=original, by=cast.marketer, fields={"accept_within_hours": 4})
        copy = services.definition_create(by=cast.cmo, name="Take two", based_on=original)
        assert copy.based_on == original and copy.status == Status.DRAFT
        assert copy.accept_within_hours == 4
        assert [(r.field, r.points) for r in copy.field_rules.all()] == [("seniority", 40), ("employees", 30)]
        assert copy.engagement_rules.count() == 2
        assert set(copy.rejection_reasons.all()) == set(original.rejection_reasons.all())

    def test_sales_reps_and_managers_do_not_draft(self, cast):
        for person in (cast.rep, cast.manager):
            with pytest.raises(NotAllowed):
                services.definition_create(by=person, name="Mine")
        assert not QualificationDefinition.objects.exists()

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"grade_a_min": 10, "grade_b_min": 40}, "A ≥ B ≥ C"),
            ({"hot_min": 5, "warm_min": 30}, "hot ≥ warm ≥ cold"),
            ({"accept_within_hours": -4}, "cannot be negative"),
        ],
    )
    def test_impossible_values_are_refused_and_change_nothing(self, cast, draft, fields, message):
        definition = draft()
        with pytest.raises(Exception, match=message):
            services.definition_update(definition=definition, by=cast.marketer, fields=fields)
        definition.refresh_from_db()
        assert (definition.grade_a_min, definition.hot_min, definition.accept_within_hours) == (60, 60, 8)


class TestProposing:
    def test_proposing_notifies_both_leaders(self, cast, draft, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            definition = services.definition_propose(definition=draft(), by=cast.marketer)
        assert definition.status == Status.PROPOSED and definition.round == 1
        for leader in (cast.cmo, cast.vp):
            assert Notification.objects.filter(recipient=leader, kind="definition").exists()
        assert not Notification.objects.filter(recipient=cast.rep, kind="definition").exists()

    def test_a_rule_on_an_unknown_field_is_refused(self, cast, draft):
        definition = draft()
        FieldRule.objects.create(definition=definition, field="shoe_size", test="one_of", values=["44"], points=10)
        with pytest.raises(InvalidDefinition, match="shoe_size"):
            services.definition_propose(definition=definition, by=cast.marketer)
        definition.refresh_from_db()
        assert definition.status == Status.DRAFT

    def test_proposing_without_a_sales_ready_rule_is_refused(self, cast, draft):
        definition = draft()
        services.definition_update(
            definition=definition, by=cast.marketer, fields={"ready_activities": "", "ready_buckets": ""}
        )
        with pytest.raises(InvalidDefinition) as refused:
            services.definition_propose(definition=definition, by=cast.marketer)
        assert any("sales-ready" in problem.lower() for problem in refused.value.problems)
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.DRAFT


class TestApproving:
    def test_it_becomes_active_only_when_both_sides_approve(self, cast, draft):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        services.definition_approve(definition=definition, by=cast.cmo, side="marketing", comment="Good")
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.PROPOSED
        services.definition_approve(definition=definition, by=cast.vp, side="sales")
        definition.refresh_from_db()
        assert definition.status == Status.ACTIVE and definition.activated_at is not None
        assert list(definition.events.order_by("id").values_list("kind", flat=True)) == [
            "drafted",
            "proposed",
            "approved",
            "approved",
            "activated",
        ]

    def test_activating_retires_the_previous_version(self, cast, draft):
        first = activate(draft(), cast)
        second = activate(draft(name="Second"), cast)
        first.refresh_from_db()
        assert (first.status, second.status) == (Status.RETIRED, Status.ACTIVE)
        assert QualificationDefinition.objects.filter(status=Status.ACTIVE).count() == 1

    def test_the_database_holds_one_active_version(self, cast, draft):
        activate(draft(), cast)
        other = draft()
        other.status = Status.ACTIVE
        with pytest.raises(IntegrityError), transaction.atomic():
            other.save()

    def test_approving_ones_side_twice_is_refused(self, cast, draft):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
        with pytest.raises(AlignmentError, match="already approved"):
            services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
        assert definition.approvals.count() == 1

    def test_one_person_holding_both_roles_cannot_sign_both_sides(self, cast, draft):
        Group.objects.get(name=GROUP_NAMES[Role.SALES_LEADER]).user_set.add(cast.cmo)
        cast.cmo._accord_roles = None
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
        with pytest.raises(NotAllowed, match="both marketing and sales"):
            services.definition_approve(definition=definition, by=cast.cmo, side="sales")
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.PROPOSED

    @pytest.mark.parametrize(("who", "side"), [("marketer", "marketing"), ("vp", "marketing"), ("cmo", "sales")])
    def test_only_that_sides_leader_approves(self, cast, draft, who, side):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        with pytest.raises(NotAllowed):
            services.definition_approve(definition=definition, by=getattr(cast, who), side=side)

    def test_asking_for_changes_sends_it_back_and_a_new_round_needs_both_again(self, cast, draft):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
        services.definition_request_changes(definition=definition, by=cast.vp, comment="Demo requests only")
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.DRAFT
        services.definition_propose(definition=definition, by=cast.marketer)
        services.definition_approve(definition=definition, by=cast.vp, side="sales")
        definition.refresh_from_db()
        assert definition.status == Status.PROPOSED, "marketing's approval was for the previous round"

    def test_asking_for_changes_needs_a_comment(self, cast, draft):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        with pytest.raises(AlignmentError, match="what should change"):
            services.definition_request_changes(definition=definition, by=cast.vp, comment="  ")


class TestImmutability:
    @pytest.mark.parametrize("state", ["proposed", "active", "retired"])
    def test_only_drafts_change(self, cast, draft, state):
        definition = draft()
        if state == "proposed":
            services.definition_propose(definition=definition, by=cast.marketer)
        else:
            activate(definition, cast)
            if state == "retired":
                activate(draft(name="Next"), cast)
        with pytest.raises(AlignmentError, match="cannot change"):
            services.definition_update(definition=definition, by=cast.cmo, fields={"hot_min": 99})
        assert QualificationDefinition.objects.get(pk=definition.pk).hot_min == 60

    def test_the_admin_shows_an_active_version_read_only(self, cast, draft):
        definition = activate(draft(), cast)
        client = Client()
        client.force_login(cast.cmo)
        page = client.get(f"/admin/alignment/qualificationdefinition/{definition.pk}/change/")
        assert page.status_code == 200
        assert b'name="hot_min"' not in page.content
        response = client.post(
            f"/admin/alignment/qualificationdefinition/{definition.pk}/change/", {"name": "Edited", "hot_min": 1}
        )
        assert response.status_code in (200, 302, 403)  # shown again read-only, or refused
        assert QualificationDefinition.objects.get(pk=definition.pk).name == "Enterprise fit"

    def test_the_admin_shows_a_draft_read_only_and_points_to_the_editor(self, cast, draft):
        definition = draft()
        client = Client()
        client.force_login(cast.marketer)
        url = f"/admin/alignment/qualificationdefinition/{definition.pk}/change/"
        page = client.get(url).content.decode()
        assert 'name="hot_min"' not in page and 'name="field_rules-0-field"' not in page
        assert f'href="/definitions/{definition.pk}/edit/"' in page
        assert "Seniority is C-level, VP or Director: +40" in page  # the rules, in words
        client.post(url, {"name": "Edited", "hot_min": "1"})
        definition.refresh_from_db()
        assert (definition.name, definition.hot_min) == ("Enterprise fit", 60)


class TestAgreedServiceLevels:
    def test_the_active_versions_sla_terms_replace_the_defaults(self, cast, draft, settings):
        assert sla.terms().accept_within_hours == settings.ACCORD_ACCEPT_WITHIN_HOURS
        definition = draft()
        services.definition_update(
            definition=definition,
            by=cast.marketer,
            fields={"accept_within_hours": 2, "first_touch_within_hours": 6, "expiry_action": "reassign"},
        )
        activate(definition, cast)
        assert sla.terms() == sla.Terms(2, 6, "reassign")


class TestWorkspacePages:
    def test_everyone_signed_in_reads_the_agreement(self, cast, draft):
        definition = activate(draft(), cast)
        for person in (cast.rep, cast.manager, cast.marketer, cast.cmo, cast.vp):
            client = Client()
            client.force_login(person)
            assert b"Enterprise fit" in client.get("/definitions/").content
            page = client.get(f"/definitions/{definition.pk}/").content.decode()
            assert "Seniority" in page and "Accept or reject within 8 hours" in page
        assert Client().get("/definitions/").status_code == 302

    def test_two_versions_side_by_side_show_what_changed(self, cast, draft):
        first = draft()
        second = services.definition_create(by=cast.marketer, name="Stricter", based_on=first)
        services.definition_update(definition=second, by=cast.marketer, fields={"hot_min": 80})
        second.field_rules.filter(field="employees").update(minimum=500)
        client = Client()
        client.force_login(cast.rep)
        page = client.get(f"/definitions/compare/?a={first.pk}&b={second.pk}").content.decode()
        rows = [row for row in page.split("<tr") if "table-warning" in row]
        assert any("Hot from" in row and "60" in row and "80" in row for row in rows)
        assert any("200" in row for row in rows) and any("500" in row for row in rows)
        assert not any("Grade A from" in row for row in rows)

    def test_comparing_nonsense_is_explained_on_the_page(self, cast):
        client = Client()
        client.force_login(cast.rep)
        response = client.get("/definitions/compare/?a=x&b=1")
        assert response.status_code == 200 and response.context["form"].errors
        assert client.get("/definitions/compare/").status_code == 200

    def test_the_draft_page_lists_what_stops_it_being_proposed(self, cast, draft):
        definition = draft()
        services.definition_update(
            definition=definition, by=cast.marketer, fields={"ready_activities": "", "ready_buckets": ""}
        )
        client = Client()
        client.force_login(cast.marketer)
        assert b"Not ready to propose" in client.get(f"/definitions/{definition.pk}/").content


class TestWorkflowPages:
    def post(self, user, url, data=None):
        client = Client()
        client.force_login(user)
        return client.post(url, data or {}, follow=True)

    def test_both_leaders_approve_from_the_page(self, cast, draft):
        definition = draft()
        self.post(cast.marketer, f"/definitions/{definition.pk}/propose/")
        page = self.post(cast.cmo, f"/definitions/{definition.pk}/approve/", {"side": "marketing", "comment": "OK"})
        assert b"You approved" in page.content
        self.post(cast.vp, f"/definitions/{definition.pk}/approve/", {"side": "sales"})
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.ACTIVE

    def test_a_rep_cannot_approve(self, cast, draft):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        assert self.post(cast.rep, f"/definitions/{definition.pk}/approve/", {"side": "sales"}).status_code == 403
        assert not definition.approvals.exists()

    def test_proposing_a_broken_draft_lists_the_problems_and_changes_nothing(self, cast, draft):
        definition = draft()
        FieldRule.objects.create(
            definition=definition, field="employees", test="band", minimum=500, maximum=100, points=5
        )
        page = self.post(cast.marketer, f"/definitions/{definition.pk}/propose/").content.decode()
        assert "alert-danger" in page
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.DRAFT

    def test_asking_for_changes_without_a_comment_is_explained(self, cast, draft):
        definition = draft()
        services.definition_propose(definition=definition, by=cast.marketer)
        page = self.post(cast.vp, f"/definitions/{definition.pk}/request-changes/", {"comment": ""})
        assert b"Say what should change" in page.content
        assert QualificationDefinition.objects.get(pk=definition.pk).status == Status.PROPOSED

    def test_a_new_draft_from_an_active_version(self, cast, draft):
        definition = activate(draft(), cast)
        page = self.post(cast.marketer, f"/definitions/{definition.pk}/new-draft/")
        assert b"is a new draft copied from this version" in page.content
        assert QualificationDefinition.objects.filter(based_on=definition, status=Status.DRAFT).exists()
