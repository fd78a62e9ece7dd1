"""Security headers on every response, a policy the pages actually fit, HSTS only over HTTPS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.app import create_app
from channels.security_headers import HEADERS, HSTS
from passerelle.settings import Settings

CHANNELS = Path(__file__).parents[2] / "channels"
PATHS = ["/", "/healthz", "/static/simulator.js", "/openapi.json", "/console/login", "/no-such-page"]


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"rasa_url": "http://127.0.0.1:9", "action_port": 9}))
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_headers_and_no_hsts_over_http(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers


def test_api_answers_and_refusals_carry_them_too(client: TestClient) -> None:
    for response in (client.post("/api/simulate", json={"sender": "s", "text": "AIDE"}),
                     client.post("/api/simulate", json={}), client.post("/twilio/sms", data={"Body": "x"})):
        assert response.headers["x-content-type-options"] == "nosniff", response.status_code


def test_hsts_behind_an_https_proxy_only_when_its_header_is_trusted(client: TestClient, settings: Settings) -> None:
    assert client.get("/", headers={"X-Forwarded-Proto": "https"}).headers["strict-transport-security"] == HSTS
    distrustful = create_app(settings.model_copy(update={"trust_forwarded_headers": False}))
    with TestClient(distrustful) as other:
        assert "strict-transport-security" not in other.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    with TestClient(distrustful, base_url="https://testserver") as direct:
        assert direct.get("/").headers["strict-transport-security"] == HSTS


def test_no_interactive_docs_that_the_policy_would_break_but_the_schema_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "Passerelle Santé"


@pytest.mark.parametrize("template", sorted((CHANNELS / "console" / "templates").glob("*.html"))
                         + sorted((CHANNELS / "web" / "templates").glob("*.html")), ids=lambda p: p.name)
def test_pages_fit_the_policy_no_inline_script_style_or_handler(template: Path) -> None:
    html = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<style\b|\sstyle=", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "third-party origin"
