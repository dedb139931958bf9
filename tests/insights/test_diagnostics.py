"""The alert rules, on figures written out by hand, each just past and just short of its line."""

from datetime import date

from insights import diagnostics as d
from insights.selectors import CampaignQuality, DefinitionRow, InterestWeek, MarketingCloseRatio, Sla, SlaRow


def codes(alerts) -> list[str]:
    return [alert.code for alert in alerts]


class TestLowCloseRatio:
    def test_high_volume_and_a_close_ratio_below_ten_percent_raise_it(self):
        (alert,) = d.low_close_ratio(MarketingCloseRatio(volume=500, accepted=200, won=19))
        assert alert.message.startswith("Leads are likely not qualified — check the definition before blaming sales")
        assert ("close ratio", "9.5 % (below 10.0 %)") in alert.facts
        assert ("marketing leads", "500") in alert.facts
        assert alert.figure == "definitions"

    def test_ten_percent_is_enough(self):
        assert d.low_close_ratio(MarketingCloseRatio(volume=500, accepted=200, won=20)) == []

    def test_low_volume_is_not_judged(self):
        assert d.low_close_ratio(MarketingCloseRatio(volume=99, accepted=50, won=0)) == []

    def test_too_few_accepted_leads_are_not_judged(self):
        assert d.low_close_ratio(MarketingCloseRatio(volume=500, accepted=19, won=0)) == []


class TestActiveShare:
    def test_below_half_raises_it(self):
        weeks = [InterestWeek(date(2026, 11, 2), 10, 5), InterestWeek(date(2026, 11, 9), 4, 16)]
        (alert,) = d.low_active_share(weeks)  # 14 of 35 = 40 %
        assert ("active share", "40.0 % (target 50.0 %)") in alert.facts
        assert alert.figure == "interest"

    def test_exactly_half_is_fine(self):
        assert d.low_active_share([InterestWeek(date(2026, 11, 2), 10, 10)]) == []

    def test_too_few_leads_are_not_judged(self):
        assert d.low_active_share([InterestWeek(date(2026, 11, 2), 1, 18)]) == []


def campaign(name, volume, handed_off, accepted, campaign_id=1):
    return CampaignQuality("Trade show", name, campaign_id, volume, handed_off, accepted, 1, 6000.0, [])


class TestLowAcceptanceCampaign:
    def test_the_event_sign_up_with_sixty_names_stands_out(self):
        alerts = d.low_acceptance_campaigns(
            [campaign("Summit booth", 60, 20, 2), campaign("Webinar", 60, 20, 10, campaign_id=2)]
        )
        (alert,) = alerts
        assert alert.subject == "Summit booth"
        assert ("acceptance rate", "10.0 % (below 25.0 %)") in alert.facts
        assert alert.figure == "campaigns"

    def test_small_campaigns_and_leads_without_a_campaign_are_not_judged(self):
        assert d.low_acceptance_campaigns([campaign("Small", 49, 20, 0), campaign("(none)", 90, 30, 0, None)]) == []

    def test_a_quarter_accepted_is_fine(self):
        assert d.low_acceptance_campaigns([campaign("Fine", 80, 20, 5)]) == []


def test_a_rep_with_three_breaches_is_named_and_one_with_two_is_not():
    late = SlaRow(1, "Ana", handoffs=6, accept_judged=5, accept_in_time=3, touch_judged=2, touch_in_time=1)
    mostly = SlaRow(2, "Ben", handoffs=6, accept_judged=5, accept_in_time=4, touch_judged=2, touch_in_time=1)
    (alert,) = d.repeated_sla_breaches(Sla(reps=[late, mostly], teams=[]))
    assert alert.title == "Ana: repeated service-level breaches"
    assert alert.facts == [
        ("Ana", "3 breaches; decided in time 60.0 %, first touch in time 50.0 %; 0 reminders, 0 escalations")
    ]


def test_many_reps_with_breaches_make_one_alert_worst_first():
    reps = [SlaRow(i, f"Rep {i:02d}", handoffs=20, accept_judged=20, accept_in_time=20 - 3 - i) for i in range(10)]
    (alert,) = d.repeated_sla_breaches(Sla(reps=reps, teams=[]))
    assert alert.title == "10 reps: repeated service-level breaches"
    assert [label for label, _ in alert.facts[:2]] == ["Rep 09", "Rep 08"]
    assert alert.facts[-1] == ("and", "2 more reps")


class TestOverridesWinLess:
    def test_overrides_winning_less_than_sales_ready_leads_raise_it(self):
        row = DefinitionRow(1, "v1 Fit", ready=(40, 30, 8), overridden=(10, 6, 1))
        (alert,) = d.overrides_win_less([row])
        assert alert.subject == "v1 Fit"
        assert ("sales-ready hand-offs", "40, win rate 20.0 %") in alert.facts
        assert ("overridden hand-offs", "10, win rate 10.0 %") in alert.facts

    def test_overrides_winning_as_often_are_fine(self):
        assert d.overrides_win_less([DefinitionRow(1, "v1", ready=(40, 30, 8), overridden=(10, 6, 2))]) == []

    def test_too_few_overrides_are_not_judged(self):
        assert d.overrides_win_less([DefinitionRow(1, "v1", ready=(40, 30, 8), overridden=(9, 6, 0))]) == []


def test_alerts_runs_every_rule_over_the_figures_it_has():
    figures = {
        "close_ratio": MarketingCloseRatio(volume=500, accepted=200, won=5),
        "interest": [InterestWeek(date(2026, 11, 2), 5, 30)],
        "campaigns": [campaign("Summit booth", 60, 20, 2)],
    }
    assert codes(d.alerts(figures)) == ["low_close_ratio", "low_active_share", "low_acceptance_campaign"]
