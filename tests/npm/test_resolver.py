"""The resolver against fake packuments: npm's placement rules as tables."""
from __future__ import annotations

import datetime as dt
import typing as t

import pytest

from flask_vite.errors import RegistryError
from flask_vite.npm.resolver import resolve
from flask_vite.npm.tree import Node

Registry = t.Dict[str, t.Dict[str, t.Dict[str, t.Any]]]


def packuments(table: Registry, latest: dict[str, str] | None = None,
               ) -> t.Callable[[str], dict[str, t.Any]]:
    """``{"a": {"1.0.0": {"dependencies": {...}}}}`` -> a get_packument function."""
    def get(name: str) -> dict[str, t.Any]:
        if name not in table:
            raise RegistryError(f"package {name!r}: not found in the registry")
        versions = {}
        times = {}
        for i, (version, fields) in enumerate(table[name].items()):
            fields = dict(fields)
            times[version] = fields.pop("_time", f"2020-01-{i + 1:02d}T00:00:00.000Z")
            versions[version] = {"name": name, "version": version, **fields,
                                 "dist": {"tarball": f"https://r/{name}-{version}.tgz",
                                          "integrity": f"sha512-{name}{version}"}}
        tags = {"latest": (latest or {}).get(name, list(versions)[-1])}
        tags.update({k.split("@", 1)[1]: v for k, v in (latest or {}).items()
                     if k.startswith(name + "@")})
        return {"name": name, "versions": versions, "dist-tags": tags, "time": times}
    return get


def layout(root: Node) -> dict[str, str]:
    return {n.location: f"{n.package_name}@{n.version}" for n in root.inventory()}


CASES: list[tuple[str, dict[str, t.Any], Registry, dict[str, str]]] = [
    (
        "hoist-and-nest",
        {"dependencies": {"a": "^1", "b": "^1"}},
        {"a": {"1.0.0": {"dependencies": {"c": "^1"}}},
         "b": {"1.0.0": {"dependencies": {"c": "^2"}}},
         "c": {"1.0.0": {}, "1.5.0": {}, "2.0.0": {}, "2.1.0": {}}},
        {"node_modules/a": "a@1.0.0", "node_modules/b": "b@1.0.0", "node_modules/c": "c@1.5.0",
         "node_modules/b/node_modules/c": "c@2.1.0"},
    ),
    (
        # npm's own example: higher versions win the shallower spots.
        "naive-dedupe",
        {"dependencies": {"a": "1", "b": "1 || 2"}},
        {"a": {"1.0.0": {"dependencies": {"b": "1"}}}, "b": {"1.0.0": {}, "2.0.0": {}}},
        {"node_modules/a": "a@1.0.0", "node_modules/a/node_modules/b": "b@1.0.0",
         "node_modules/b": "b@2.0.0"},
    ),
    (
        "shared-copy",
        {"dependencies": {"a": "^1", "b": "^1"}},
        {"a": {"1.0.0": {"dependencies": {"c": "^1.2"}}},
         "b": {"1.0.0": {"dependencies": {"c": "~1.2.0"}}},
         "c": {"1.2.0": {}, "1.2.5": {}, "1.3.0": {}}},
        # a is visited first and takes 1.3.0 at the root; b cannot use it.
        {"node_modules/a": "a@1.0.0", "node_modules/b": "b@1.0.0", "node_modules/c": "c@1.3.0",
         "node_modules/b/node_modules/c": "c@1.2.5"},
    ),
    (
        "peer-installed-when-missing",
        {"dependencies": {"react-dom": "^19"}},
        {"react-dom": {"19.0.0": {"dependencies": {"scheduler": "^0.25.0"},
                                  "peerDependencies": {"react": "^19.0.0"}}},
         "react": {"18.3.1": {}, "19.0.0": {}, "19.1.0-rc.1": {}},
         "scheduler": {"0.25.0": {}}},
        {"node_modules/react": "react@19.0.0", "node_modules/react-dom": "react-dom@19.0.0",
         "node_modules/scheduler": "scheduler@0.25.0"},
    ),
    (
        "peer-optional-not-installed",
        {"dependencies": {"a": "1"}},
        {"a": {"1.0.0": {"peerDependencies": {"b": "1"},
                         "peerDependenciesMeta": {"b": {"optional": True}}}},
         "b": {"1.0.0": {}}},
        {"node_modules/a": "a@1.0.0"},
    ),
    (
        "alias-and-tag",
        {"dependencies": {"old": "npm:lib@^1", "lib": "next"}},
        {"lib": {"1.0.0": {}, "1.1.0": {}, "2.0.0-beta.1": {}}},
        {"node_modules/lib": "lib@2.0.0-beta.1", "node_modules/old": "lib@1.1.0"},
    ),
    (
        "latest-tag-wins-within-range",
        {"dependencies": {"a": "^1"}},
        {"a": {"1.0.0": {}, "1.1.0": {}, "1.2.0": {}}},
        {"node_modules/a": "a@1.1.0"},
    ),
    (
        "deprecated-avoided",
        {"dependencies": {"a": "^2"}},
        {"a": {"1.0.0": {}, "2.0.0": {}, "2.1.0": {"deprecated": "broken"}}},
        {"node_modules/a": "a@2.0.0"},
    ),
    (
        "optional-and-dev",
        {"dependencies": {"a": "1"}, "optionalDependencies": {"o": "1"},
         "devDependencies": {"d": "1"}},
        {"a": {"1.0.0": {}}, "o": {"1.0.0": {"os": ["darwin"]}}, "d": {"1.0.0": {}}},
        {"node_modules/a": "a@1.0.0", "node_modules/d": "d@1.0.0", "node_modules/o": "o@1.0.0"},
    ),
    (
        "missing-optional-skipped",
        {"dependencies": {"a": "1"}, "optionalDependencies": {"gone": "1"}},
        {"a": {"1.0.0": {"optionalDependencies": {"nope": "^9"}}}},
        {"node_modules/a": "a@1.0.0"},
    ),
    (
        "cycle",
        {"dependencies": {"a": "1"}},
        {"a": {"1.0.0": {"dependencies": {"b": "1"}}}, "b": {"1.0.0": {"dependencies": {"a": "1"}}}},
        {"node_modules/a": "a@1.0.0", "node_modules/b": "b@1.0.0"},
    ),
    (
        "deep-nesting-chain",
        {"dependencies": {"a": "1", "c": "2"}},
        {"a": {"1.0.0": {"dependencies": {"b": "1"}}},
         "b": {"1.0.0": {"dependencies": {"c": "1"}}},
         "c": {"1.0.0": {}, "2.0.0": {}}},
        {"node_modules/a": "a@1.0.0", "node_modules/b": "b@1.0.0", "node_modules/c": "c@2.0.0",
         "node_modules/b/node_modules/c": "c@1.0.0"},
    ),
]


# Dist-tags that differ from "the last version listed".
LATEST = {
    id(CASES[5][2]): {"lib": "1.1.0", "lib@next": "2.0.0-beta.1"},
    id(CASES[6][2]): {"a": "1.1.0"},
    id(CASES[7][2]): {"a": "1.0.0"},
}


@pytest.mark.parametrize(("package_json", "table", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layout(package_json: dict[str, t.Any], table: Registry, expected: dict[str, str]) -> None:
    root, _ = resolve(package_json, packuments(table, LATEST.get(id(table))))
    assert layout(root) == expected


def test_flags() -> None:
    table: Registry = {"a": {"1.0.0": {"dependencies": {"s": "1"}}}, "o": {"1.0.0": {}},
                       "d": {"1.0.0": {"dependencies": {"s": "1", "x": "1"}}},
                       "s": {"1.0.0": {}}, "x": {"1.0.0": {}}}
    root, _ = resolve({"dependencies": {"a": "1"}, "optionalDependencies": {"o": "1"},
                       "devDependencies": {"d": "1"}}, packuments(table))
    flags = {n.name: (n.dev, n.optional, n.peer) for n in root.inventory()}
    assert flags == {"a": (False, False, False), "o": (False, True, False),
                     "d": (True, False, False), "s": (False, False, False),
                     "x": (True, False, False)}


def test_peer_conflict_is_a_warning() -> None:
    table: Registry = {"react": {"18.3.1": {}, "19.0.0": {}},
                       "react-dom": {"19.0.0": {"peerDependencies": {"react": "^19.0.0"}}}}
    root, resolver = resolve({"dependencies": {"react": "18.3.1", "react-dom": "19.0.0"}},
                             packuments(table))
    assert layout(root)["node_modules/react"] == "react@18.3.1"
    assert any("react@^19.0.0" in w for w in resolver.warnings)


@pytest.mark.parametrize(
    ("package_json", "match"),
    [({"dependencies": {"nope": "1"}}, "'nope'.*not found"),
     ({"dependencies": {"a": "^7"}}, "no version of a matches '\\^7'.*package.json"),
     ({"dependencies": {"a": "1"}, "devDependencies": {"b": "github:x/y"}}, "b@github:x/y"),
     ({"dependencies": {"deep": "1"}}, "no version of a matches '\\^9'.*deep@1.0.0")],
)
def test_errors_name_the_package(package_json: dict[str, t.Any], match: str) -> None:
    table: Registry = {"a": {"1.0.0": {}}, "deep": {"1.0.0": {"dependencies": {"a": "^9"}}}}
    with pytest.raises(RegistryError, match=match):
        resolve(package_json, packuments(table))


def test_before_cutoff() -> None:
    table: Registry = {"a": {"1.0.0": {"_time": "2020-01-01T00:00:00Z"},
                             "1.1.0": {"_time": "2024-01-01T00:00:00Z"}}}
    cutoff = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
    root, _ = resolve({"dependencies": {"a": "^1"}}, packuments(table), before=cutoff)
    assert layout(root) == {"node_modules/a": "a@1.0.0"}


def test_lock_tree_is_kept() -> None:
    table: Registry = {"a": {"1.0.0": {}, "1.1.0": {}}, "b": {"1.0.0": {}}}
    get = packuments(table)
    first, _ = resolve({"dependencies": {"a": "^1"}}, get)
    # Simulate a lock that pinned an older a.
    first.children["a"].package["version"] = "1.0.0"
    root, resolver = resolve({"dependencies": {"a": "^1", "b": "1"}}, get, lock_root=first)
    assert layout(root) == {"node_modules/a": "a@1.0.0", "node_modules/b": "b@1.0.0"}
    # Dropped from package.json: pruned.
    root, _ = resolve({"dependencies": {"b": "1"}}, get, lock_root=root)
    assert layout(root) == {"node_modules/b": "b@1.0.0"}
