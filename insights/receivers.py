"""Reactions to what the leads app does: the demo gets what the dashboard needs to show every
figure, and the rollups follow the SET NULL of a deleted campaign, user or team."""


def demo_data_loaded(sender, **kwargs) -> str:
    from insights.demo import ensure_dashboard_demo

    return ensure_dashboard_demo()


def campaign_deleted(sender, instance, **kwargs) -> None:
    from insights.rollups import forget_campaign

    forget_campaign(instance.pk)


def user_deleted(sender, instance, **kwargs) -> None:
    from insights.rollups import forget_sourced_by

    forget_sourced_by(instance.pk)


def team_deleted(sender, instance, **kwargs) -> None:
    from insights.rollups import forget_team

    forget_team(instance.pk)
