from django.urls import path

from leads import views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/accept/", views.handoffs_accept_bulk, name="handoffs_accept_bulk"),
    path("inbox/<int:pk>/accept/", views.handoff_accept, name="handoff_accept"),
    path("inbox/<int:pk>/reject/", views.handoff_reject, name="handoff_reject"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/export.<str:file_format>", views.lead_export, name="lead_export"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/touches/new/", views.touch_log, name="touch_log"),
    path("leads/<int:pk>/advance/", views.lead_advance, name="lead_advance"),
    path("leads/<int:pk>/activities/new/", views.activity_log, name="activity_log"),
    path("leads/<int:lead_pk>/hand-off/", views.handoff_create, name="handoff_create"),
    path("handoffs/outcomes/", views.handoff_outcomes, name="handoff_outcomes"),
    path("notifications/", views.notification_list, name="notifications"),
    path("definitions/<int:pk>/backtest/", views.definition_backtest, name="definition_backtest"),
    path("definitions/suggest/", views.definition_suggest, name="definition_suggest"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
]
