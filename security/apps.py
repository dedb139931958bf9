from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Rules that guard every app at once: where a redirect may go, how ids are read, who may be
    deleted. Each lives in one module here."""

    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from django.db.models import IntegerField

        from security.lookups import BoundedIn

        # `pk__in` with an id past the column's range (the admin's selected rows, a multiple
        # choice) matches nothing instead of raising OverflowError on SQLite.
        IntegerField.register_lookup(BoundedIn)
