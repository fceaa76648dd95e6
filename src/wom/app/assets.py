"""Solara's front-end files, kept on this machine so the app never reaches for a CDN.

A Solara page loads its JavaScript, styles and fonts through the server's
``/_solara/cdn/`` route, which serves them from Solara's asset cache
(``<venv>/share/solara/cdn/<package>@<version>/``) and on a miss downloads them from a public
CDN — impossible on a machine without internet, such as CI. The ``solara-assets`` package
that used to fill that cache stopped at 1.58.2 (no release matches Solara 1.64), so
``bash install.sh`` fills it from the npm registry instead (``npm pack`` of exactly the
packages and versions the installed Solara's page asks for, :func:`packages`), and
:func:`wom.app.serve` refuses to start while any is missing.

Run ``python -m wom.app.assets`` to fetch what is missing (idempotent), or with
``--check`` to only report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import resources
from pathlib import Path

from wom.errors import WomError

#: What the page of Solara 1.64 (with ipyvue/ipyvuetify 1.x: the Vuetify 2 app) loads
#: through ``/_solara/cdn/``, as npm ``package@version`` specs; :func:`packages` reads them
#: from the installed Solara, so an upgrade that changes them fetches the new ones.
SOLARA_1_64 = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
)


class AssetsError(WomError):
    """Solara's front-end files are missing and cannot be fetched."""


def cache_dir() -> Path:
    """Solara's asset cache: where its ``/_solara/cdn/`` route looks first."""
    from solara.server import settings

    path: Path = settings.assets.proxy_cache_dir
    return Path(path)


def packages() -> list[str]:
    """``package@version`` of every CDN file the installed Solara's page asks for: those its
    template names, Vuetify 3 (ipyvuetify 3, which wom does not use) left out, and the
    Font Awesome style sheet of its settings; sorted."""
    from solara.server import settings

    text = (resources.files("solara.server") / "templates" / "solara.html.j2").read_text(
        encoding="utf-8")
    spec = r"((?:@[\w.-]+/)?[\w.-]+@[\w.+-]+)/"
    found = set(re.findall(r"\{\{\s*cdn\s*\}\}/?" + spec, text))
    if settings.assets.fontawesome_enabled:
        found |= set(re.findall(r"^/?" + spec, settings.assets.fontawesome_path))
    return sorted(s for s in found if "vuetify3" not in s)


def _is_there(folder: Path, spec: str) -> bool:
    return (folder / spec / "package.json").is_file()


def missing(folder: Path | None = None) -> list[str]:
    """The packages of :func:`packages` not (completely) in the cache."""
    folder = cache_dir() if folder is None else folder
    return [spec for spec in packages() if not _is_there(folder, spec)]


def fetch(folder: Path | None = None, *, npm: str = "npm") -> list[str]:
    """Put every missing package of :func:`packages` into the cache with ``npm pack``.

    Each package is unpacked beside its final place and moved there in one rename, so an
    interrupted fetch leaves nothing half-written. Returns the packages fetched.

    Raises
    ------
    AssetsError
        npm is not installed, or ``npm pack`` failed (e.g. the registry is unreachable).
    """
    folder = cache_dir() if folder is None else folder
    todo = missing(folder)
    if not todo:
        return []
    exe = shutil.which(npm)
    if exe is None:
        raise AssetsError(
            f"the teaching app needs Solara's front-end files ({', '.join(todo)}) in {folder}, "
            "fetched from the npm registry with npm, which is not installed "
            "(Debian: apt-get install npm); then run: bash install.sh")
    folder.mkdir(parents=True, exist_ok=True)
    for spec in todo:
        target = folder / spec
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wom-") as tmp:
            done = subprocess.run([exe, "pack", spec, "--silent"], cwd=tmp, text=True,
                                  capture_output=True, check=False)
            tarballs = list(Path(tmp).glob("*.tgz"))
            if done.returncode != 0 or len(tarballs) != 1:
                raise AssetsError(f"npm pack {spec} failed (exit {done.returncode}): "
                                  f"{(done.stderr or done.stdout).strip()[-800:]}")
            try:
                with tarfile.open(tarballs[0]) as tar:
                    tar.extractall(tmp, filter="data")  # refuses paths leaving `tmp`
            except tarfile.TarError as err:
                raise AssetsError(f"npm pack {spec}: cannot unpack the tarball: {err}") from None
            unpacked = Path(tmp) / "package"
            if not (unpacked / "package.json").is_file():
                raise AssetsError(f"npm pack {spec}: the tarball has no package/package.json")
            if target.exists():  # an incomplete earlier copy
                shutil.rmtree(target)
            os.replace(unpacked, target)
    return todo


def main(argv: list[str] | None = None) -> int:
    """``python -m wom.app.assets [--check]``: fetch (or only check) the front-end files."""
    args = sys.argv[1:] if argv is None else argv
    folder = cache_dir()
    if "--check" in args:
        gone = missing(folder)
        if gone:
            print(f"missing in {folder}: {', '.join(gone)} (run: bash install.sh)")
            return 1
        print(f"Solara front-end files present in {folder}")
        return 0
    try:
        fetched = fetch(folder)
    except AssetsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if fetched:
        print(f"fetched from the npm registry into {folder}: {', '.join(fetched)}")
    else:
        print(f"Solara front-end files present in {folder} (wom app works offline)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
