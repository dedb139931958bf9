from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "alignment"
    verbose_name = "Alignment"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from alignment import models
        from alignment.roles import sync_role_permissions
        from alignment.selectors import forget_active_terms

        post_migrate.connect(sync_role_permissions, dispatch_uid="alignment.sync_role_permissions")
        # A person reads as their name wherever Django shows an account (the admin's columns,
        # choices and history), as the workspace names them; Django's own User says its username.
        from django.contrib.auth import get_user_model

        from alignment.actors import actor_name

        get_user_model().__str__ = actor_name
        # The active version's terms are kept per process (alignment.selectors.active_definition_terms).
        for model in (models.QualificationDefinition, models.FieldRule, models.EngagementRule, models.LeadProperty):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(forget_active_terms, sender=model, dispatch_uid=f"forget_terms_{name}_{model.__name__}")
