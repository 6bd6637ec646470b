"""The flask-vite demo app: ``flask --app demo.app run --debug``.

It grows with flask-vite. Today: in debug mode the Flask app itself serves
``frontend/`` the way Vite's dev server does — TypeScript compiled on
request by one long-lived esbuild process, CSS injected as modules, imports
rewritten — next to an ordinary Flask JSON view the page calls.
"""
from __future__ import annotations

import datetime

from flask import Flask

from flask_vite import FlaskVite

vite = FlaskVite()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["VITE_ROOT"] = "frontend"
    vite.init_app(app)

    @app.get("/api/hello")
    def hello() -> dict[str, str]:
        return {"message": "Hello from Flask", "time": datetime.datetime.now().isoformat(timespec="seconds")}

    return app


app = create_app()
