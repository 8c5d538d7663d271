"""URLs of the dynamic application; the reader site itself is files in the output folder."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import URLPattern, URLResolver, include, path, re_path
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from newsdesk.api.views import api as read_api
from newsdesk.contributions.public_views import (
    contribution_send_page,
    submission_confirm_page,
    submission_status_page,
)
from newsdesk.publishing.views import reader_page_missing, rendition_preview

urlpatterns: list[URLPattern | URLResolver] = [
    path("newsroom/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", include("newsdesk.search.urls")),
    # Partners pull the changes to stories with their API keys.
    path("partners/", include("newsdesk.syndication.urls")),
    # The public read API: live stories, sections and authors; OpenAPI document.
    path("api/v1/", read_api.urls),
    # A writer's private page on what became of their submission.
    path(
        "contribute/status/<str:token>/",
        submission_status_page,
        name="submission_status",
    ),
    path("contribute/send/", contribution_send_page, name="contribution_send"),
    path(
        "contribute/confirm/<str:token>/",
        submission_confirm_page,
        name="submission_confirm",
    ),
    # Pictures of a preview, before publishing puts them into the output folder.
    path("images/<path:name>", rendition_preview, name="rendition_preview"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Last: every other path is a reader page, served from the output folder, never here.
urlpatterns.append(
    re_path(r"^((?:[\w\-]+/)*)$", reader_page_missing, name="wagtail_serve")
)
