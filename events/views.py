"""Event pages, registration and "My events"."""


def event_page_context(request, page):
    return {}
