from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alerts, name="alerts"),
    path("hygiene/<slug:check>/", views.hygiene_detail, name="hygiene"),
    path("hygiene/<slug:check>.csv", views.hygiene_csv, name="hygiene_csv"),
    path("<slug:name>/", views.figure_detail, name="figure"),
    path("<slug:name>.csv", views.figure_csv, name="figure_csv"),
]
