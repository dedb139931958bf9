from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "alignment"
    verbose_name = "Alignment"

    def ready(self):
        from django.db.models.signals import post_migrate

        from alignment.roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="alignment.sync_role_permissions")
