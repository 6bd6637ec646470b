"""``flask vite build``: the client bundle, the SSR bundle for V8, and Vite's manifests.

The entry point is :func:`flask_vite.build.builder.build`; ``flask vite build``
(:mod:`.command`) runs it. Nothing is imported here, so that the ``flask``
command, which loads the ``vite`` group for every command, stays quick.
"""
