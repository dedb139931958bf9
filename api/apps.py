from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Integrations and API"

    def ready(self):
        from api import schema  # noqa: F401  (the API key's place in the OpenAPI schema)
