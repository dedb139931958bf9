from django.contrib import admin
from django.urls import include, path

handler400 = "config.views.bad_request"

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
