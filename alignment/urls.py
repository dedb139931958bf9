from django.urls import path

from alignment import views

urlpatterns = [
    path("definitions/", views.definition_list, name="definition_list"),
    path("definitions/compare/", views.definition_compare, name="definition_compare"),
    path("definitions/<int:pk>/", views.definition_detail, name="definition_detail"),
    path("definitions/<int:pk>/propose/", views.definition_propose, name="definition_propose"),
    path("definitions/<int:pk>/approve/", views.definition_approve, name="definition_approve"),
    path("definitions/<int:pk>/request-changes/", views.definition_request_changes, name="definition_request_changes"),
    path("definitions/<int:pk>/new-draft/", views.definition_new_draft, name="definition_new_draft"),
]
