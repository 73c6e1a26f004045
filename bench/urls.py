"""The product's routes plus ``bench-ceiling/``: the cheapest response Django can give under the
same middleware and server settings, so every page's throughput reads as a ratio of it."""

from django.http import HttpResponse
from django.urls import path

from community import urls as community_urls


def ceiling(request):
    return HttpResponse(b"ok", content_type="text/plain; charset=utf-8")


# Above the product's routes: Wagtail's catch-all at the end would otherwise answer 404.
urlpatterns = [path("bench-ceiling/", ceiling, name="bench_ceiling"), *community_urls.urlpatterns]
