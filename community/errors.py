"""Error answers a person can read.

Django's ``require_POST`` and friends answer 405 with an empty body, which a browser shows
as a blank page. A person meets one by reopening a form's address or re-submitting it after
a language change; they get the site's page saying what to do instead.
"""

from django.template.loader import render_to_string


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
