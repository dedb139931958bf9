from django.urls import path

from webforms import views

urlpatterns = [path("<str:key>/", views.webform_post, name="webform_post")]
