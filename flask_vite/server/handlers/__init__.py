"""The dev server's request handlers, one module each.

Each module has a factory ``make_<name>(server)`` returning a *named*
function ``vite_<name>(request)`` (the name shows in ``VITE_DEBUG`` logs);
:mod:`flask_vite.server.chain` puts them in order.
"""
