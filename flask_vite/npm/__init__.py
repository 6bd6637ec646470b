"""npm packages without Node: registry client, semver, resolver, installer.

Import from the submodules, e.g. ``from flask_vite.npm.registry import
RegistryClient``.
"""
