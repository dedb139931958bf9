from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from alignment.models import Membership
        from alignment.panels import register_definition_evidence, register_definition_panel
        from alignment.routing import register_catalogue
        from alignment.signals import definition_activated, definition_proposed
        from leads import learning, panels, receivers, selectors
        from leads.signals import demo_data_loaded, leads_became_sales_ready

        post_save.connect(receivers.user_saved, sender=get_user_model(), dispatch_uid="leads.user_saved")
        post_save.connect(receivers.membership_saved, sender=Membership, dispatch_uid="leads.membership_saved")
        definition_proposed.connect(receivers.definition_proposed, dispatch_uid="leads.definition_proposed")
        definition_activated.connect(receivers.definition_activated, dispatch_uid="leads.definition_activated")
        demo_data_loaded.connect(receivers.demo_data_loaded, dispatch_uid="leads.demo_data_loaded")
        leads_became_sales_ready.connect(receivers.leads_became_sales_ready, dispatch_uid="leads.route")
        register_definition_panel(panels.definition_figures)
        register_definition_evidence(learning.definition_evidence)
        # The names routing rules may give for sources and campaigns (alignment.routing).
        register_catalogue("source", selectors.source_names)
        register_catalogue("campaign", selectors.campaign_names)
