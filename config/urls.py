from django.contrib import admin
from django.urls import include, path, register_converter

from security.converters import IdConverter

register_converter(IdConverter, "id")

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("api.urls")),
    path("forms/", include("webforms.urls")),
    path("reviews/", include("reviews.urls")),
    path("dashboard/", include("insights.urls")),
    path("", include("alignment.urls")),
    path("", include("leads.urls")),
]
