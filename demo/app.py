"""The flask-vite demo app: ``flask --app demo.app run --debug``.

It grows with flask-vite. Today it shows the esbuild service at work: the
TypeScript entry is compiled on request by the long-lived esbuild process.
"""
from __future__ import annotations

from flask import Flask, Response, abort

from flask_vite import FlaskVite

vite = FlaskVite()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["VITE_ROOT"] = "frontend"
    vite.init_app(app)

    @app.get("/")
    def index() -> Response:
        html = (vite.config.root / "index.html").read_text("utf-8")
        return Response(html, mimetype="text/html")

    @app.get("/src/<name>.ts")
    def module(name: str) -> Response:
        path = vite.config.root / "src" / f"{name}.ts"
        if not name.isidentifier() or not path.is_file():
            abort(404)
        result = vite.esbuild.transform(path.read_text("utf-8"), loader="ts", sourcefile=str(path),
                                        sourcemap="inline")
        return Response(result.code, mimetype="text/javascript")

    return app


app = create_app()
