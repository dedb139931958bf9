"""The project's URLs plus a page that fails, to see the 500 page through the whole stack."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def broken(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("broken/", broken), *project_urlpatterns]
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
