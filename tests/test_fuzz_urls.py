"""Generated requests to every route the resolver lists: none may answer 500 (issue 8, 17).

For each URL pattern (Wagtail's and Django's own admin internals aside, except the admin
screens this project adds), hypothesis fills the path converters and regex groups with
generated values (and the ids of real rows), then sends GET, HEAD and POST requests with
generated query strings and form bodies, as an anonymous visitor, as a member and as an
editor with two-step verification (the project's admin screens). Any
response of 500 or more, or any exception a view lets escape, fails the test.

Bounded on purpose: a handful of examples per route keeps the whole file near half a minute
on SQLite; PostgreSQL adds what SQLite accepts and it refuses (NUL bytes in text).
"""

import re
from urllib.parse import quote, urlencode

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from community.models import Membership
from events import feeds, services, tokens
from tests.factories import EventPageFactory, make_member
from tests.helpers import pass_mfa, published_event_index, site_home, with_mfa

pytestmark = pytest.mark.django_db

EXAMPLES_PER_ROUTE = 6

# Wagtail's and allauth's internals are theirs to test; the admin screens this project adds
# (and its sign-in redirect) are ours.
OWN_ADMIN = re.compile(
    r"^(events_admin|events_overview|membership-vetting):|^(admin_login_redirect|wagtailadmin_home)$"
)
# Routes that exist to fail on purpose.
SKIPPED_NAMES = {"wagtailadmin_error_test"}
KEEP_DOCUMENTS = {"wagtaildocs_serve"}


def _walk(patterns, parts=(), namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, (*parts, entry.pattern), spaces)
        elif isinstance(entry, URLPattern):
            yield (*parts, entry.pattern), ":".join((*namespaces, str(entry.name)))


def _wanted(parts, name) -> bool:
    route = "".join(str(p) for p in parts)
    if name in SKIPPED_NAMES:
        return False
    if route.startswith("admin/") and not OWN_ADMIN.search(name):
        return False
    return not (route.startswith("documents/") and name not in KEEP_DOCUMENTS)


ROUTES = [
    (parts, name) for parts, name in _walk(get_resolver().url_patterns) if _wanted(parts, name)
]

# Text a browser, a script or an attacker might send: control characters, NUL, markup,
# right-to-left marks, very long values.
nasty_text = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        ["\x00", "a\x00b", "\r\n", "\x07", "'", '"', "<script>", "%00", "../..", "\u202e", "0"]
    ),
    st.text(alphabet="x", min_size=1000, max_size=3000),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
PARAM_NAMES = [
    "topic", "kind", "format", "audience", "when", "page", "next", "q", "action", "export",
    "period", "status", "country", "attendance", "ordering", "p", "id", "lang", "language",
]  # fmt: skip
params = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAM_NAMES), nasty_text), nasty_text), max_size=5
)


def _segment(regex, known):
    """Values for one converter or group: its own shape, real ids, and anything at all."""
    return st.one_of(
        st.sampled_from(known),
        st.from_regex(regex, fullmatch=True),
        nasty_text,
    ).map(lambda value: quote(str(value), safe=""))


def _path_strategy(parts, known):
    pieces = []
    for part in parts:
        if isinstance(part, RoutePattern):
            route = str(part)
            last = 0
            for match in re.finditer(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>", route):
                pieces.append(st.just(route[last : match.start()]))
                converter = part.converters[match.group("name")]
                pieces.append(_segment(converter.regex, known))
                last = match.end()
            pieces.append(st.just(route[last:]))
        elif isinstance(part, RegexPattern):
            regex = part.regex.pattern
            pieces.append(
                st.one_of(
                    st.from_regex(regex, fullmatch=True).map(lambda v: quote(v, safe="/")),
                    nasty_text.map(lambda v: quote(v, safe="")),
                )
            )
    return st.tuples(*pieces).map(lambda bits: "/" + "".join(bits))


@pytest.fixture
def world(db):
    """Real rows for the generated paths to hit: an event, a registration, a token."""
    home = site_home(slug="fuzz-home", hero_title="Lab")
    index = published_event_index(home)
    event = EventPageFactory(
        parent=index,
        title="Sample fuzz workshop",
        slug="sample-fuzz-workshop",
        summary="Sample event.",
        online_join_url="https://meet.example.org/sample-room",
    )
    member = make_member(kind=Membership.Kind.OTHER)
    registration = services.registration_create(member, event, {})
    _row, token = tokens.issue(member)
    known = [event.pk, registration.pk, member.pk, token, "sample-fuzz-workshop", "0", "1"]
    # An editor with two-step verification, so the project's own admin screens are fuzzed
    # with the role that can open them.
    editor = make_member(kind=Membership.Kind.OTHER, staff_role="editor")
    with_mfa(editor)
    return {"member": member, "editor": editor, "known": known}


def _check(route_name, client_factory, path, method, query, body):
    client = client_factory()
    url = f"{path}?{urlencode(query)}" if query else path
    data = dict(body) if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code < 500, (route_name, method, url, response.status_code)


@pytest.mark.parametrize("role", ["anon", "member", "editor"])
def test_no_route_answers_500_to_generated_input(world, role):
    def client_factory():
        # A new client each time: a generated POST may sign the member out.
        client = Client()
        if role != "anon":
            client.force_login(world[role])
        if role == "editor":
            pass_mfa(client, world[role])
        return client

    # The editor reaches the same public routes as the member; fewer examples keep the file
    # quick while every admin screen of the project still gets generated input.
    examples = EXAMPLES_PER_ROUTE // 2 if role == "editor" else EXAMPLES_PER_ROUTE
    for parts, name in ROUTES:
        _fuzz_route(name, _path_strategy(parts, world["known"]), client_factory, examples=examples)


def _fuzz_route(name, path_strategy, client_factory, phases=tuple(Phase), examples=None):
    @settings(
        max_examples=examples or EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        path=path_strategy,
        method=st.sampled_from(["get", "head", "post"]),
        query=params,
        body=params,
    )
    def check(path, method, query, body):
        _check(name, client_factory, path, method, query, body)

    check()


def test_the_fuzzed_routes_cover_the_project_and_skip_only_internals():
    names = {name for _parts, name in ROUTES}
    for expected in (
        "events:feed",
        "events:calendar_events",
        "events:calendar_my_events",
        "events:event_ics",
        "events:register",
        "events:cancel",
        "events:calendar_token",
        "membership",
        "my_account",
        "preferences",
        "wagtail_serve",
        "wagtaildocs_serve",
        "account_login",
        "account_signup",
        "events_admin:registrations",
        "membership-vetting:index",
    ):
        assert expected in names, expected
    assert "wagtailadmin_pages:edit" not in names
    assert "wagtailadmin_error_test" not in names


@pytest.mark.parametrize("raise_request_exception", [True, False])
def test_the_harness_fails_on_a_500(world, monkeypatch, raise_request_exception):
    """A check that cannot fail proves nothing: break one view and watch it fail."""

    def broken(query, **kwargs):
        raise ValueError("sample failure")

    monkeypatch.setattr(feeds.EventFilters, "parse", broken)
    with pytest.raises((ValueError, AssertionError)):
        _fuzz_route(
            "events:feed",
            st.just("/events/feed.ics"),
            lambda: Client(raise_request_exception=raise_request_exception),
            # No shrinking: every example fails here, and the first failure is the proof.
            phases=(Phase.generate,),
        )
