from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file of its own: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("v1/leads/", views.LeadCreate.as_view(), name="api_leads"),
    path("v1/leads/bulk/", views.LeadBulk.as_view(), name="api_leads_bulk"),
    path("v1/leads/<id:pk>/", views.LeadDetail.as_view(), name="api_lead"),
    path("v1/leads/<id:pk>/activities/", views.LeadActivities.as_view(), name="api_lead_activities"),
    path("v1/handoffs/", views.HandoffList.as_view(), name="api_handoffs"),
]
