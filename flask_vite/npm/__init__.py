"""npm packages without Node: registry client, semver, resolver, installer.

Import from the submodules:

* :mod:`.registry` -- ``RegistryClient`` (packuments, verified tarballs, .npmrc)
* :mod:`.tarball` -- ``extract_tarball`` (safe extraction)
* :mod:`.installer` -- ``Installer`` / ``install`` / ``missing_dependencies``
* :mod:`.package_json` -- ``add_packages`` / ``remove_packages``
* :mod:`.commands` -- the ``install``, ``add`` and ``remove`` click commands
* pure logic: :mod:`.semver`, :mod:`.spec`, :mod:`.integrity`, :mod:`.tree`,
  :mod:`.place`, :mod:`.resolver`, :mod:`.lockfile`, :mod:`.platform`
"""
