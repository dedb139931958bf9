from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self):
        from insights import receivers
        from leads.signals import demo_data_loaded

        demo_data_loaded.connect(receivers.demo_data_loaded, dispatch_uid="insights.demo_data_loaded")
