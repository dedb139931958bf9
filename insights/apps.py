from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self):
        from django.conf import settings
        from django.db.models.signals import post_delete

        from alignment.models import Team
        from insights import receivers
        from leads.models import Campaign
        from leads.signals import demo_data_loaded

        demo_data_loaded.connect(receivers.demo_data_loaded, dispatch_uid="insights.demo_data_loaded")
        post_delete.connect(receivers.campaign_deleted, sender=Campaign, dispatch_uid="insights.campaign_deleted")
        post_delete.connect(
            receivers.user_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="insights.user_deleted"
        )
        post_delete.connect(receivers.team_deleted, sender=Team, dispatch_uid="insights.team_deleted")
