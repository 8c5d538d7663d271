"""Newsroom URLs of the incoming queue (mounted under the Wagtail admin)."""

from django.urls import path

from . import views

app_name = "contributions"

urlpatterns = [
    path("", views.SubmissionIndexView.as_view(), name="index"),
    path("<int:pk>/", views.SubmissionDetailView.as_view(), name="detail"),
    path("<int:pk>/raw/", views.RawMessageDownloadView.as_view(), name="raw"),
    path("<int:pk>/decline/", views.SubmissionDeclineView.as_view(), name="decline"),
    path("<int:pk>/assign/", views.SubmissionAssignView.as_view(), name="assign"),
    path("<int:pk>/desk/", views.SubmissionMoveView.as_view(), name="move"),
    path("<int:pk>/merge/", views.SubmissionMergeView.as_view(), name="merge"),
    path(
        "<int:pk>/files/<int:file_pk>/",
        views.SubmissionFileDownloadView.as_view(),
        name="file",
    ),
]
