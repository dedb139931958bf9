from django.urls import path

from reviews import views

urlpatterns = [
    path("", views.meeting_list, name="review_list"),
    path("open/", views.meeting_open, name="review_open"),
    path("coverage/", views.coverage, name="review_coverage"),
    path("<int:pk>/", views.meeting_detail, name="review_meeting"),
    path("<int:pk>/close/", views.meeting_close, name="review_close"),
    path("<int:pk>/my-items/", views.my_items, name="review_my_items"),
    path("<int:pk>/minutes/", views.minutes, name="review_minutes"),
    path("<int:pk>/minutes.csv", views.minutes_csv, name="review_minutes_csv"),
    path("<int:pk>/invite.ics", views.invite_ics, name="review_invite"),
]
