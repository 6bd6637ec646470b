"""Every renderer busy past ``VITE_SSR_QUEUE_TIMEOUT``: a view's
``vite.render()`` answers 503 with ``Retry-After``, not a 500 — with a real
pool of one renderer kept busy by an endless render."""
from __future__ import annotations

import concurrent.futures
import logging
import time
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from .conftest import prod_app

#: One renderer; a render is stopped after 1.5 s; a request waits 0.3 s for it.
BUSY_CONFIG: dict[str, t.Any] = {"VITE_SSR_WORKERS": 1, "VITE_SSR_TIMEOUT": 1.5, "VITE_SSR_QUEUE_TIMEOUT": 0.3,
               "VITE_SSR_BATCH": 1}


def while_busy(app: Flask, url: str) -> tuple[t.Any, float]:
    """The response to ``url`` while the only renderer runs ``/loop`` (an
    endless render, stopped at ``VITE_SSR_TIMEOUT``), and how long it took."""
    assert app.test_client().get("/warm").status_code == 200
    (pool,) = app.extensions["vite"].production.pools().values()
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        looping = executor.submit(app.test_client().get, "/loop")
        deadline = time.monotonic() + 10
        while pool.stats().idle:
            assert time.monotonic() < deadline, "the endless render never started"
            time.sleep(0.01)
        started = time.monotonic()
        response = app.test_client().get(url)
        elapsed = time.monotonic() - started
        assert looping.result().status_code == 500  # stopped at its deadline
    return response, elapsed


def back_to_normal(app: Flask) -> None:
    """The renderer is replaced after the kill; pages render again."""
    deadline = time.monotonic() + 20
    while (status := app.test_client().get("/after").status_code) == 503:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status == 200


def test_every_renderer_busy_is_a_503_with_retry_after(
        fault_root: Path, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = prod_app(fault_root, **BUSY_CONFIG)
    try:
        with caplog.at_level(logging.WARNING, logger="flask_vite.ssr"):
            r, elapsed = while_busy(app, "/waiting?marker=m-1-ab")
        assert r.status_code == 503
        # By then the render in progress has finished or been stopped: ceil(VITE_SSR_TIMEOUT).
        assert r.headers["Retry-After"] == "2"
        assert "The server is busy rendering other pages" in r.get_data(as_text=True)
        assert 0.25 < elapsed < 1.4  # VITE_SSR_QUEUE_TIMEOUT, not the endless render
        about_waiting = [rec for rec in caplog.records if "/waiting" in rec.getMessage()]
        assert [rec.levelname for rec in about_waiting] == ["WARNING"]  # logged once, no traceback
        assert about_waiting[0].exc_info is None
        assert "503 for GET /waiting: no SSR renderer was free within 0.3 s" in about_waiting[0].getMessage()
        back_to_normal(app)
    finally:
        app.extensions["vite"].close()


def test_the_app_s_own_503_page(fault_root: Path) -> None:
    app, _ = prod_app(fault_root, **BUSY_CONFIG)

    @app.errorhandler(503)
    def unavailable(error: Exception) -> tuple[str, int]:
        return "<h1>Back in a moment</h1>", 503

    try:
        r, _ = while_busy(app, "/waiting")
        assert r.status_code == 503
        assert r.get_data(as_text=True) == "<h1>Back in a moment</h1>"
        assert r.headers["Retry-After"] == "2"
        back_to_normal(app)
    finally:
        app.extensions["vite"].close()
