from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Lead reviews"

    def ready(self):
        from leads import signals
        from reviews import receivers

        signals.leads_reassigned.connect(receivers.leads_reassigned, dispatch_uid="reviews.leads_reassigned")
        signals.demo_data_loaded.connect(receivers.demo_data_loaded, dispatch_uid="reviews.demo_data_loaded")
