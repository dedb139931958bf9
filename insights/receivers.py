"""Reactions to what the leads app does: the demo gets what the dashboard needs to show every
figure."""


def demo_data_loaded(sender, **kwargs) -> str:
    from insights.demo import ensure_dashboard_demo

    return ensure_dashboard_demo()
