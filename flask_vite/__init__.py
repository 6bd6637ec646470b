"""Vite's dev server, HMR and server-side rendering for Flask, without Node.js."""
from __future__ import annotations

from .config import ViteConfig as ViteConfig
from .errors import ConfigError as ConfigError
from .errors import EsbuildError as EsbuildError
from .errors import ViteError as ViteError
from .extension import FlaskVite as FlaskVite
from .plugin import Plugin as Plugin
