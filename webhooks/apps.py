from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from django.db.models.signals import post_save

        from leads.models import LeadEvent
        from leads.signals import leads_became_sales_ready
        from webhooks import receivers

        post_save.connect(receivers.lead_event_saved, sender=LeadEvent, dispatch_uid="webhooks.lead_event_saved")
        leads_became_sales_ready.connect(receivers.leads_became_sales_ready, dispatch_uid="webhooks.sales_ready")
