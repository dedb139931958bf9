from django.urls import path

from alignment import views

urlpatterns = [
    path("definitions/", views.definition_list, name="definition_list"),
    path("definitions/compare/", views.definition_compare, name="definition_compare"),
    path("definitions/<int:pk>/", views.definition_detail, name="definition_detail"),
]
