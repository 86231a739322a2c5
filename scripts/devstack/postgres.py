"""PostgreSQL on this host: the server binaries (found, or installed with apt-get) and the
names the stack uses (OS user, superuser, database).

The cluster itself is in `postgres_cluster`, the database layout in `postgres_provision`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from devstack.config import StackConfig
from devstack.ui import StackError

PG_OS_USER = "postgres"
SUPERUSER = "postgres"
DATABASE = "media"


def is_root() -> bool:
    return os.geteuid() == 0


def find_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres/psql: PG_BINDIR, Debian layout, pg_config, PATH."""
    explicit = os.environ.get("PG_BINDIR")
    candidates: list[str] = [explicit] if explicit else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    candidates += sorted(glob.glob("/usr/local/pgsql/bin")) + sorted(
        glob.glob("/opt/homebrew/opt/postgresql*/bin")
    )
    for candidate in candidates:
        if candidate and all((Path(candidate) / tool).exists() for tool in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


def apt_install(packages: list[str], log: Path) -> bool:
    """`apt-get install -y` the first installable of `packages` (root only); True on success."""
    if not is_root() or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        for attempt in range(2):
            if attempt == 1:
                subprocess.run(
                    ["apt-get", "update"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    check=False,
                )
            for package in packages:
                result = subprocess.run(
                    ["apt-get", "install", "-y", "--no-install-recommends", package],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    check=False,
                )
                if result.returncode == 0:
                    return True
    return False


def ensure_bindir(cfg: StackConfig) -> Path:
    bindir = find_bindir()
    if bindir:
        return bindir
    log = cfg.logs_dir / "install.log"
    if apt_install(["postgresql"], log):
        bindir = find_bindir()
        if bindir:
            return bindir
    raise StackError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found.\n"
        "  Debian/Ubuntu: sudo apt-get install -y postgresql\n"
        "  macOS:         brew install postgresql@15\n"
        "or point PG_BINDIR at the folder holding initdb and pg_ctl."
        + (f"\n(apt-get output: {log})" if log.exists() else "")
    )
