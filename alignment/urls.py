from django.urls import path

from alignment import views

urlpatterns = [
    path("definitions/", views.definition_list, name="definition_list"),
    path("definitions/new/", views.definition_new, name="definition_new"),
    path("definitions/compare/", views.definition_compare, name="definition_compare"),
    path("definitions/<int:pk>/", views.definition_detail, name="definition_detail"),
    path("definitions/<int:pk>/figures/", views.definition_figures, name="definition_figures"),
    path("definitions/<int:pk>/edit/", views.definition_edit, name="definition_edit"),
    path("definitions/<int:pk>/edit/routing/", views.definition_edit_routing, name="definition_edit_routing"),
    path(
        "definitions/<int:pk>/backtest/refresh/", views.definition_refresh_backtest, name="definition_refresh_backtest"
    ),
    path("definitions/<int:pk>/propose/", views.definition_propose, name="definition_propose"),
    path("definitions/<int:pk>/approve/", views.definition_approve, name="definition_approve"),
    path("definitions/<int:pk>/request-changes/", views.definition_request_changes, name="definition_request_changes"),
    path("definitions/<int:pk>/new-draft/", views.definition_new_draft, name="definition_new_draft"),
]
