"""The OpenAPI schema and the docs page: for authenticated accounts only (like the rest of the
API), complete (every route under /api/v1/ is described, resource lists with their filters),
valid, and the docs page loads nothing from outside our own static files."""

import io
import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from access.models import Role
from sync.resources import RESOURCES
from sync.tests.conftest import api_user  # noqa: F401 - the fixture, shared with sync

SCHEMA = "/api/v1/schema/"
DOCS = "/api/v1/docs/"


@pytest.fixture
def auth(api_user):  # noqa: F811
    # The least privileged role: the schema describes the API, not anybody's records.
    return api_user("analyst", Role.ANALYST, [])[1]


@pytest.fixture
def schema(client, auth):
    response = client.get(SCHEMA, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _routes(patterns, prefix=""):
    """(path in OpenAPI form, the view's allowed methods) for every URL pattern."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def api_routes():
    routes = {}
    for route, pattern in _routes(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or route in {"api/v1/schema/", "api/v1/docs/"}:
            continue
        # <uuid:pk> -> {id} (drf-spectacular names a pk parameter "id"), <slug:x> -> {x}
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"{{{m.group(1)}}}", route)
        path = path.replace("{pk}", "{id}").lstrip("^").rstrip("$")
        view = pattern.callback
        cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
        methods = {
            name
            for name in ("get", "post", "put", "patch", "delete")
            if cls is not None and hasattr(cls, name)
        }
        routes[path] = methods
    return routes


@pytest.mark.django_db
def test_the_schema_needs_an_account(client):
    response = client.get(SCHEMA)
    assert response.status_code == 401
    assert client.get(DOCS).status_code in {401, 403}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ANALYST, Role.PARTNER, Role.AUDITOR])
def test_any_authenticated_account_reads_the_schema(client, api_user, role):  # noqa: F811
    _user, auth = api_user(f"user-{role}", role, [])
    response = client.get(SCHEMA, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")
    as_json = client.get(SCHEMA + "?format=json", HTTP_AUTHORIZATION=auth)
    assert as_json.status_code == 200
    assert json.loads(as_json.content)["openapi"].startswith("3.")


@pytest.mark.django_db
def test_the_schema_describes_every_route_under_api_v1(schema):
    described = {path: set(operations) for path, operations in schema["paths"].items()}
    routes = api_routes()
    assert routes, "no routes found: the walk of the resolver is broken"
    missing = {path for path in routes if path not in described}
    assert not missing, f"routes the schema does not describe: {sorted(missing)}"
    extra = {path for path in described if path not in routes}
    assert not extra, f"the schema describes routes that do not exist: {sorted(extra)}"
    for path, methods in routes.items():
        assert methods == described[path], path


@pytest.mark.django_db
def test_resource_lists_have_their_filters_and_paging_as_parameters(schema):
    for name, resource in RESOURCES.items():
        operation = schema["paths"][f"/api/v1/{name}/"]["get"]
        parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        assert {"cursor", "page_size"} <= set(parameters), name
        assert set(resource.filterset.base_filters) <= set(parameters), name
        assert "{id}" in f"/api/v1/{name}/{{id}}/" and f"/api/v1/{name}/{{id}}/" in schema["paths"]
    cases = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert "rescued" in cases["status"]["schema"]["items"]["enum"]
    places = {p["name"]: p for p in schema["paths"]["/api/v1/places/"]["get"]["parameters"]}
    assert "village" in places["kind"]["schema"]["enum"]


@pytest.mark.django_db
def test_the_schema_says_how_to_authenticate(schema):
    assert schema["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `manage.py issue_token USERNAME`.",
    }
    assert {"bearerToken": []} in schema["paths"]["/api/v1/cases/"]["get"]["security"]


@pytest.mark.django_db
def test_the_case_writes_describe_their_headers_and_bodies(schema):
    patch = schema["paths"]["/api/v1/cases/{id}/"]["patch"]
    headers = {p["name"]: p for p in patch["parameters"] if p["in"] == "header"}
    assert headers["If-Match"]["required"] is True
    assert {"412", "428"} <= set(patch["responses"])
    post = schema["paths"]["/api/v1/cases/{id}/events/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in post["parameters"] if p["in"] == "header"}
    assert "requestBody" in post


@pytest.mark.django_db
def test_the_docs_page_loads_only_our_own_static_files(client, auth):
    response = client.get(DOCS, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    sources = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert sources, "the page loads no scripts or styles: the check below would prove nothing"
    for source in sources:
        assert not re.match(r"^(?:https?:)?//", source), source
        assert source.startswith("/static/"), source
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", html.split("<body")[0])


@pytest.mark.django_db
def test_the_schema_is_valid_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", stdout=out)
