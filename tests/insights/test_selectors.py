"""Each dashboard figure on a small hand-built data set whose answers are worked out by hand,
read three times: from the daily aggregates and from the per-row rollups (a period not of whole
days), both brought up to date by the beat's refresh just before the read, and from the sources
(as when the rollups are too far behind to be read). Medians from the aggregates are within the
sketch's bound, the others exact."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from alignment.models import Membership, Team
from alignment.roles import Role
from insights import rollups, selectors, sketch
from leads.models import Campaign, DuplicateCandidate, Lead, Reminder, Touch
from tests.factories import UserFactory
from tests.insights.builders import NOW, at, definition, handoff, lead_with_history, passive_source

pytestmark = pytest.mark.django_db

BORN = at(-24 * 10)  # 10 November, inside the period


READ_FROM = {"mode": "rollups"}


@pytest.fixture(autouse=True, params=["aggregates", "rollups", "sources"])
def read_from(request, monkeypatch):
    if request.param == "sources":
        monkeypatch.setattr(rollups, "MAX_PENDING_ON_READ", -1)  # never current
    if request.param == "rollups":
        monkeypatch.setattr(selectors, "_whole_days", lambda scope: None)  # the rows, not the days
    monkeypatch.setitem(READ_FROM, "mode", request.param)
    return request.param


def median(hours: float):
    """A median as read: within the sketch's bound from the daily aggregates, else exact."""
    if READ_FROM["mode"] == "aggregates":
        return pytest.approx(hours, rel=sketch.RELATIVE_ERROR)
    return pytest.approx(hours)


def scope(user, **kwargs):
    """The viewer's scope of the read that follows; reading from the rollups, the beat has just
    refreshed them."""
    if READ_FROM["mode"] != "sources":
        rollups.refresh()
        assert selectors.rollup_freshness().current
    else:
        assert not selectors.rollup_freshness().current
    return selectors.scope_for(user=user, start=date(2026, 11, 1), end=date(2026, 11, 20), now=NOW, **kwargs)


@pytest.fixture
def funnel_leads(cast):
    """L1 passes every step; L2 goes to sales straight from new; L3 stops at MQL; L4 stays new;
    an older lead outside the period is ignored."""
    push = Campaign.objects.create(name="Demo push", source=cast.source, cost=Decimal("1000"))
    show = passive_source()
    summit = Campaign.objects.create(name="Summit", source=show, cost=Decimal("6000"))
    l1 = lead_with_history(
        source=cast.source,
        campaign=push,
        created=BORN,
        path=[("mql", 2), ("handed_off", 4), ("accepted", 10), ("qualified", 34), ("won", 58)],
    )
    l2 = lead_with_history(source=cast.source, campaign=push, created=BORN, path=[("handed_off", 6), ("accepted", 8)])
    l3 = lead_with_history(source=show, campaign=summit, created=BORN, path=[("mql", 4)])
    l4 = lead_with_history(source=show, campaign=summit, created=BORN)
    lead_with_history(source=cast.source, created=at(-24 * 40), path=[("mql", 1), ("handed_off", 2)])
    for lead in (l1, l2):
        handoff(lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN, status="accepted")
    return {"l1": l1, "l2": l2, "l3": l3, "l4": l4, "push": push, "summit": summit, "show": show}


class TestFunnel:
    def test_it_counts_the_leads_that_reached_each_step(self, cast, funnel_leads):
        funnel = selectors.funnel(scope=scope(cast.cmo))
        assert funnel.overall.counts == [4, 3, 2, 2, 1, 1]

    def test_it_gives_the_conversion_from_the_step_before(self, cast, funnel_leads):
        conversions = selectors.funnel(scope=scope(cast.cmo)).overall.conversions
        assert conversions == [None, 0.75, pytest.approx(2 / 3), 1.0, 0.5, 1.0]

    def test_it_gives_the_median_hours_between_steps(self, cast, funnel_leads):
        # new→MQL: 2, 6 (L2 passes MQL when handed off), 4 → 4; to handed off: L1 2 from MQL, L2
        # 6 from its creation (it never stood at MQL: not 0, which made every such median 0.0)
        # → 4; handed off→accepted: 6, 2 → 4; then 24 and 24.
        medians = selectors.funnel(scope=scope(cast.cmo)).overall.median_hours
        assert medians == [None, median(4), median(4), median(4), median(24), median(24)]

    def test_it_splits_by_source_and_campaign(self, cast, funnel_leads):
        funnel = selectors.funnel(scope=scope(cast.cmo))
        by_source = {row.label: row.counts for row in funnel.by_source}
        assert by_source == {"Demo request": [2, 2, 2, 2, 1, 1], "Trade show": [2, 1, 0, 0, 0, 0]}
        by_campaign = {row.label: row for row in funnel.by_campaign}
        assert by_campaign["Summit"].counts == [2, 1, 0, 0, 0, 0]
        assert by_campaign["Demo push"].median_hours[1] == median(4)  # 2 and 6

    def test_a_manager_sees_only_leads_handed_to_their_team(self, cast, funnel_leads):
        handoff(lead=funnel_leads["l3"], rep=cast.other_rep, by=cast.marketer, team=cast.other_team, created=BORN)
        assert selectors.funnel(scope=scope(cast.manager)).overall.counts == [2, 2, 2, 2, 1, 1]
        assert selectors.funnel(scope=scope(cast.other_manager)).overall.counts == [1, 1, 0, 0, 0, 0]


class TestCampaignQuality:
    def test_the_event_that_brought_sixty_names_and_one_customer_stands_out(self, cast):
        show = passive_source()
        event = Campaign.objects.create(name="Summit booth", source=show, cost=Decimal("6000"))
        webinar = Campaign.objects.create(name="Webinar", source=cast.source, cost=Decimal("900"))
        for i in range(60):
            if i == 0:
                path = [("handed_off", 1), ("accepted", 2), ("won", 100)]
            elif i == 1:
                path = [("handed_off", 1), ("accepted", 2)]
            elif i < 20:
                path = [("handed_off", 1), ("nurturing", 3)]
            else:
                path = []
            lead_with_history(source=show, campaign=event, created=BORN, path=path)
        for i in range(10):
            path = [("handed_off", 1), ("accepted", 2)] + ([("won", 50)] if i < 3 else [])
            lead_with_history(source=cast.source, campaign=webinar, created=BORN, path=path)

        rows = {row.campaign: row for row in selectors.campaign_quality(scope=scope(cast.cmo))}

        booth = rows["Summit booth"]
        assert (booth.volume, booth.handed_off, booth.accepted, booth.won) == (60, 20, 2, 1)
        assert booth.acceptance_rate == pytest.approx(0.1)
        assert booth.cost_per_accepted == pytest.approx(3000)
        web = rows["Webinar"]
        assert (web.volume, web.accepted, web.won, web.acceptance_rate) == (10, 10, 3, 1.0)
        assert web.cost_per_accepted == pytest.approx(90)

    def test_it_lists_the_rejection_reasons_of_each_campaign(self, cast, funnel_leads, reasons):
        lead = funnel_leads["l3"]
        for code in ("not-our-profile", "not-our-profile", "bad-contact-data"):
            handoff(
                lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN,
                status="rejected", reason=reasons[code],
            )  # fmt: skip
        rows = {row.campaign: row for row in selectors.campaign_quality(scope=scope(cast.cmo))}
        assert rows["Summit"].reasons == [("Not our customer profile", 2), ("Bad contact data", 1)]
        assert rows["Demo push"].reasons == []


def test_active_interest_share_per_week(cast):
    show = passive_source()
    monday, wednesday = at(0, NOW.replace(day=2)), at(0, NOW.replace(day=11))
    for source, when in (
        [(cast.source, monday)] * 3 + [(show, monday)] + [(cast.source, wednesday)] + [(show, wednesday)] * 3
    ):
        lead_with_history(source=source, created=when)
    weeks = selectors.interest_share(scope=scope(cast.cmo))
    assert [(w.week, w.active, w.passive, w.active_share) for w in weeks] == [
        (date(2026, 11, 2), 3, 1, 0.75),
        (date(2026, 11, 9), 1, 3, 0.25),
    ]
    assert selectors.interest_totals(weeks).active_share == 0.5


def test_grade_and_bucket_mix_of_handed_off_and_accepted_leads(cast):
    specs = [("A", "hot", "accepted"), ("A", "warm", "expired"), ("C", "warm", "pending")]
    for grade, bucket, status in specs:
        lead = Lead.objects.create(
            last_name="X", source=cast.source, created_at=BORN, stage_changed_at=BORN, grade=grade, bucket=bucket
        )
        handoff(lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN, status=status)
    Lead.objects.update(grade="D", bucket="cold", updated_at=NOW)  # re-graded since: what was sent counts
    mix = selectors.grade_bucket_mix(scope=scope(cast.cmo))
    assert mix.grades == {"A": (2, 1), "B": (0, 0), "C": (1, 0), "D": (0, 0)}
    assert mix.buckets == {"hot": (1, 1), "warm": (2, 0), "cold": (0, 0), "unqualified": (0, 0)}
    assert mix.shares(mix.grades, 0)["A"] == pytest.approx(2 / 3)


def test_rejection_reasons_pareto_before_and_after_working(cast, reasons):
    given = ["not-our-profile"] * 3 + ["bad-contact-data"] + ["no-budget"] * 2
    for code in given:
        lead = lead_with_history(source=cast.source, created=BORN)
        status = "rejected" if reasons[code].phase == "before_working" else "accepted"
        handoff(
            lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN, status=status,
            reason=reasons[code],
        )  # fmt: skip
    pareto = selectors.rejection_pareto(scope=scope(cast.cmo))
    before = [(r.code, r.count, r.cumulative_share) for r in pareto["before_working"]]
    assert before == [("not-our-profile", 3, 0.75), ("bad-contact-data", 1, 1.0)]
    assert [(r.code, r.count) for r in pareto["after_working"]] == [("no-budget", 2)]


class TestSla:
    @pytest.fixture
    def sla_data(self, cast):
        def make(rep, status, accepted_after=None, touch_due_after=None, touched_after=None, due_hours=8):
            lead = lead_with_history(source=cast.source, created=BORN)
            return handoff(
                lead=lead,
                rep=rep,
                by=cast.marketer,
                team=cast.team,
                created=BORN,
                due_hours=due_hours,
                status=status,
                decided_at=None if accepted_after is None else at(accepted_after, BORN),
                first_touch_due_at=None if touch_due_after is None else at(touch_due_after, BORN),
                first_touch_at=None if touched_after is None else at(touched_after, BORN),
            )

        h1 = make(cast.rep, "accepted", 2, 20, 5)  # on time twice: 2 h to accept, 3 h to touch
        h2 = make(cast.rep, "accepted", 10, 26, 40)  # late twice: 10 h and 30 h
        make(cast.rep, "rejected", 4)  # decided in time
        h4 = make(cast.rep, "pending")  # past due, undecided
        make(cast.rep, "accepted", 6, 24 * 30)  # first touch not yet due
        make(cast.teammate, "accepted", 1, 10, 2)
        for h, level in [(h2, 1), (h2, 2), (h4, 1)]:
            Reminder.objects.create(
                handoff=h, breach="accept", level=level, due_at=h.accept_due_at, created_at=NOW, run=f"{h.pk:032x}"
            )
        return h1

    def test_it_gives_each_reps_medians_shares_and_reminders(self, cast, sla_data):
        sla = selectors.sla_compliance(scope=scope(cast.cmo))
        rep = next(r for r in sla.reps if r.key == cast.rep.pk)
        assert rep.handoffs == 5
        assert (rep.accept_in_time, rep.accept_judged, rep.accept_share) == (3, 5, 0.6)
        assert (rep.touch_in_time, rep.touch_judged, rep.touch_share) == (1, 2, 0.5)
        assert rep.median_accept_hours == median(6)  # 2, 10, 6
        assert rep.median_touch_hours == median(16.5)  # 3, 30
        assert (rep.reminders, rep.escalations) == (2, 1)
        assert rep.breaches == 3

    def test_it_gives_each_teams_figures(self, cast, sla_data):
        (team,) = selectors.sla_compliance(scope=scope(cast.cmo)).teams
        assert (team.label, team.handoffs, team.accept_in_time, team.accept_judged) == ("Enterprise", 6, 4, 6)
        assert team.median_accept_hours == median(4)  # 1, 2, 6, 10

    def test_another_teams_manager_sees_none_of_it(self, cast, sla_data):
        sla = selectors.sla_compliance(scope=scope(cast.other_manager))
        assert sla.reps == [] and sla.teams == []


WON_PATH = [("handed_off", 1), ("accepted", 2), ("won", 30)]


def test_recycling_and_the_share_of_wins_cycled_twice_or_more(cast):
    for cycles, path in [(0, WON_PATH), (0, []), (1, [("mql", 1)]), (2, WON_PATH), (2, []), (5, WON_PATH)]:
        lead_with_history(source=cast.source, created=BORN, path=path, cycle_count=cycles)
    figure = selectors.recycling(scope=scope(cast.cmo))
    assert figure.leads == {0: 2, 1: 1, 2: 2, 3: 1}
    assert figure.wins == {0: 1, 1: 0, 2: 1, 3: 1}
    assert figure.share_of_wins_cycled_twice == pytest.approx(2 / 3)


def test_rep_skills_separate_finding_from_closing(cast):
    # The rep found three leads (one won); of four marketing leads they accepted, one was won.
    for path in (WON_PATH, [("handed_off", 1), ("accepted", 2)], []):
        own = lead_with_history(source=cast.source, created=BORN, path=path, sourced_by=cast.rep)
    handoff(lead=own, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN, status="accepted")
    for stage in ("won", "accepted", "lost", "nurturing"):
        lead = Lead.objects.create(
            last_name="Mkt", source=cast.source, created_at=BORN, stage_changed_at=BORN, stage=stage
        )
        handoff(lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN, status="accepted")
    (skill,) = selectors.rep_skills(scope=scope(cast.cmo))
    assert (skill.sourced, skill.sourced_won) == (3, 1)
    assert (skill.marketing_accepted, skill.marketing_won, skill.close_ratio) == (4, 1, 0.25)


def test_marketing_close_ratio_counts_won_among_accepted_marketing_leads(cast):
    accepted = [("handed_off", 1), ("accepted", 2)]
    paths = [WON_PATH, accepted, [*accepted, ("lost", 9)], [*accepted, ("nurturing", 9)], [("handed_off", 1)], []]
    for path in paths:
        lead_with_history(source=cast.source, created=BORN, path=path)
    lead_with_history(source=cast.source, created=BORN, path=WON_PATH, sourced_by=cast.rep)  # not marketing's
    figure = selectors.marketing_close_ratio(scope=scope(cast.cmo))
    assert (figure.volume, figure.accepted, figure.won, figure.close_ratio) == (6, 4, 1, 0.25)


class TestHygiene:
    def lead(self, cast, **fields):
        fields.setdefault("stage_changed_at", NOW)
        return Lead.objects.create(last_name="H", source=cast.source, created_at=at(-24 * 200), **fields)

    def test_each_check_lists_what_fails_it_and_nothing_else(self, cast):
        quiet = self.lead(cast, stage="accepted", owner=cast.rep, team=cast.team, stage_changed_at=at(-24 * 20))
        touched = self.lead(cast, stage="accepted", owner=cast.rep, team=cast.team, stage_changed_at=at(-24 * 20))
        Touch.objects.create(lead=touched, by=cast.rep, kind="call", happened_at=at(-24 * 3))
        self.lead(cast, stage="accepted", owner=cast.rep, team=cast.team, stage_changed_at=at(-24 * 5))  # too recent

        gone = UserFactory(username="gone", role=Role.SALES_REP)
        gone.is_active = False
        gone.save()
        left = UserFactory(username="left", role=Role.SALES_REP)
        Membership.objects.create(team=cast.team, user=left, ended_at=at(-24))
        of_gone = self.lead(cast, stage="handed_off", owner=gone, team=cast.team)
        of_left = self.lead(cast, stage="qualified", owner=left, team=cast.team)
        self.lead(cast, stage="won", owner=gone, team=cast.team)  # closed: not a problem

        a, b = self.lead(cast, stage="new"), self.lead(cast, stage="new")
        dup = DuplicateCandidate.objects.create(lead=a, likely_duplicate_of=b, similarity=90, reason="x", found_at=NOW)
        DuplicateCandidate.objects.create(
            lead=b, likely_duplicate_of=a, similarity=90, reason="x", found_at=NOW, status="dismissed"
        )

        never = self.lead(cast, stage="disqualified")
        handoff(lead=never, rep=cast.rep, by=cast.marketer, team=cast.team, created=at(-24 * 30), status="accepted")
        closed = self.lead(cast, stage="disqualified")
        handoff(
            lead=closed, rep=cast.rep, by=cast.marketer, team=cast.team, created=at(-24 * 30), status="accepted",
            closed_at=at(-24),
        )  # fmt: skip

        overdue = handoff(lead=self.lead(cast, stage="handed_off"), rep=cast.rep, by=cast.marketer, team=cast.team,
                          created=at(-10), due_hours=2)  # fmt: skip
        handoff(lead=self.lead(cast, stage="handed_off"), rep=cast.rep, by=cast.marketer, team=cast.team,
                created=at(-1), due_hours=8)  # fmt: skip

        stale = self.lead(cast, stage="nurturing", stage_changed_at=at(-24 * 91))
        self.lead(cast, stage="lost", stage_changed_at=at(-24 * 120))  # closed
        self.lead(cast, stage="nurturing", stage_changed_at=at(-24 * 89))

        s = scope(cast.cmo)

        def pks(check):
            return set(selectors.hygiene_list(scope=s, check=check).values_list("pk", flat=True))

        assert pks("no_touch") == {quiet.pk}
        assert pks("departed_owner") == {of_gone.pk, of_left.pk}
        assert pks("duplicates") == {dup.pk}
        assert pks("never_closed") == {never.pk}
        assert pks("overdue_handoffs") == {overdue.pk}
        assert pks("unchanged") == {stale.pk}
        assert selectors.hygiene_counts(scope=s) == {
            "no_touch": 1,
            "departed_owner": 2,
            "duplicates": 1,
            "never_closed": 1,
            "overdue_handoffs": 1,
            "unchanged": 1,
        }
        assert selectors.hygiene_counts(scope=scope(cast.other_manager))["no_touch"] == 0

    def test_the_thresholds_are_settings(self, cast, settings):
        settings.ACCORD_NO_TOUCH_DAYS, settings.ACCORD_UNCHANGED_DAYS = 3, 30
        five_days = self.lead(cast, stage="accepted", owner=cast.rep, team=cast.team, stage_changed_at=at(-24 * 5))
        month = self.lead(cast, stage="nurturing", stage_changed_at=at(-24 * 31))
        s = scope(cast.cmo)
        assert [lead.pk for lead in selectors.hygiene_list(scope=s, check="no_touch")] == [five_days.pk]
        assert [lead.pk for lead in selectors.hygiene_list(scope=s, check="unchanged")] == [month.pk]
        assert selectors.hygiene_titles()["no_touch"] == "Accepted leads with no touch in 3 days"


def test_definition_effectiveness_compares_sales_ready_and_overridden_hand_offs(cast):
    v1 = definition(1)
    specs = [(False, "accepted", "won")] * 2 + [(False, "accepted", "accepted"), (False, "rejected", "nurturing")]
    specs += [(True, "accepted", "lost"), (True, "rejected", "nurturing")]
    for override, status, stage in specs:
        lead = lead_with_history(source=cast.source, created=BORN)
        Lead.objects.filter(pk=lead.pk).update(stage=stage)
        handoff(
            lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=BORN, status=status, definition=v1,
            override=override, override_reason="Asked for it" if override else "",
        )  # fmt: skip
    (row,) = selectors.definition_effectiveness(scope=scope(cast.cmo))
    assert (row.label, row.ready, row.overridden) == ("v1 Fit", (4, 3, 2), (2, 1, 0))
    assert row.ready_rates == (0.75, 0.5)
    assert row.overridden_rates == (0.5, 0.0)


class TestScope:
    @pytest.mark.parametrize("who", ["rep", "teammate", "other_rep"])
    def test_reps_see_none_of_it(self, cast, who):
        with pytest.raises(PermissionDenied):
            scope(getattr(cast, who))

    def test_people_without_a_role_see_none_of_it(self, cast):
        with pytest.raises(PermissionDenied):
            scope(UserFactory(username="nobody"))

    @pytest.mark.parametrize("who", ["cmo", "marketer", "vp"])
    def test_leaders_and_marketing_see_every_team(self, cast, who):
        assert scope(getattr(cast, who)).teams is None

    def test_a_manager_sees_the_teams_they_manage_only(self, cast):
        # The manager is also a member of SMB, which someone else manages: that gives no sight.
        assert scope(cast.manager).teams == (cast.team.pk,)
        with pytest.raises(PermissionDenied):
            scope(cast.manager, team=cast.other_team)
        # SMB's manager is no member of it, and sees it.
        assert scope(cast.other_manager).teams == (cast.other_team.pk,)
        Team.objects.filter(pk=cast.team.pk).update(manager=cast.other_manager)
        assert scope(cast.manager).teams == ()
        assert set(scope(cast.other_manager).teams) == {cast.team.pk, cast.other_team.pk}

    def test_the_period_includes_its_last_day(self, cast):
        s = scope(cast.cmo)
        assert (s.start.date(), s.end.date(), s.days) == (date(2026, 11, 1), date(2026, 11, 21), 20)
