"""The stack's PostgreSQL cluster: where it lives, initdb, start/stop/kill.

When running as root the cluster belongs to the `postgres` OS user (initdb and pg_ctl refuse
root). If that user cannot reach `$STACK_DIR` (e.g. a clone under /root), the cluster lives in
`/var/tmp/media-resource-<hash of the stack dir>/` and `$STACK_DIR/pg` is a symlink to it.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from devstack.config import StackConfig
from devstack.postgres import PG_OS_USER, SUPERUSER, is_root
from devstack.processes import ensure_port_free
from devstack.secretstore import SecretPaths, read_secret
from devstack.ui import StackError, say, tail

UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes; keep a margin for ".s.PGSQL.<port>"


@dataclass(frozen=True)
class Cluster:
    cfg: StackConfig
    bindir: Path
    home: Path  # folder holding data dir, socket dir (and the log when outside STACK_DIR)

    @property
    def data_dir(self) -> Path:
        return self.home / "pg"

    @property
    def socket_dir(self) -> Path:
        return self.home / "pg-socket"

    @property
    def inside_stack_dir(self) -> bool:
        return self.home == self.cfg.root

    @property
    def log_file(self) -> Path:
        if self.inside_stack_dir:
            return self.cfg.logs_dir / "postgres.log"
        return self.home / "postgres.log"

    @property
    def link(self) -> Path:
        return self.cfg.root / "pg"

    def as_json(self) -> dict[str, str]:
        return {
            "bindir": str(self.bindir),
            "data_dir": str(self.data_dir),
            "socket_dir": str(self.socket_dir),
            "log_file": str(self.log_file),
        }

    # ---- running the tools (as the postgres OS user when we are root)
    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / tool), *args]
        if is_root():
            return ["runuser", "-u", PG_OS_USER, "--", *cmd]
        return cmd

    def run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self._cmd(tool, *args), capture_output=True, text=True, check=False, cwd="/"
        )
        if check and result.returncode != 0:
            raise StackError(
                f"{tool} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def postmaster_pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
            pid = int(first)
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def running(self) -> bool:
        return (
            self.initialized()
            and self.run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0
        )

    def admin_dsn(self, secrets: SecretPaths, database: str = "postgres") -> str:
        password = quote(read_secret(secrets.pg_superuser_password), safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.cfg.pg_port}/{database}"


def _pg_user_can_reach(path: Path) -> bool:
    if not is_root():
        return True
    result = subprocess.run(
        ["runuser", "-u", PG_OS_USER, "--", "test", "-x", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def locate(cfg: StackConfig, bindir: Path) -> Cluster:
    """Where the cluster lives (see the module docstring); does not create anything."""
    fallback = Path(f"/var/tmp/media-resource-{cfg.path_hash}")  # noqa: S108 - by design
    link = cfg.root / "pg"
    if link.is_symlink():
        return Cluster(cfg, bindir, Path(os.readlink(link)).parent)
    if link.exists():
        return Cluster(cfg, bindir, cfg.root)
    socket_ok = len(str(cfg.root / "pg-socket")) + 20 < UNIX_SOCKET_MAX
    if socket_ok and _pg_user_can_reach(cfg.root):
        return Cluster(cfg, bindir, cfg.root)
    return Cluster(cfg, bindir, fallback)


def _chown_pg(path: Path) -> None:
    if is_root():
        entry = pwd.getpwnam(PG_OS_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _write_conf(cluster: Cluster) -> None:
    conf = cluster.data_dir / "stack.conf"
    content = (
        "# written by scripts/devstack on every `up`\n"
        "listen_addresses = '127.0.0.1'\n"
        f"port = {cluster.cfg.pg_port}\n"
        f"unix_socket_directories = '{cluster.socket_dir}'\n"
        "max_connections = 300\n"
        "shared_buffers = 128MB\n"
        "synchronous_commit = off\n"
        "password_encryption = 'scram-sha-256'\n"
        "log_min_duration_statement = 2000\n"
        "log_line_prefix = '%m [%p] %u@%d '\n"
    )
    conf.write_text(content)
    _chown_pg(conf)
    main_conf = cluster.data_dir / "postgresql.conf"
    text = main_conf.read_text()
    if "include_if_exists = 'stack.conf'" not in text:
        with open(main_conf, "a", encoding="utf-8") as handle:
            handle.write("\ninclude_if_exists = 'stack.conf'\n")


def init_cluster(cluster: Cluster, secrets: SecretPaths) -> bool:
    """initdb when needed (scram auth, generated superuser password). True if created now."""
    home = cluster.home
    home.mkdir(parents=True, exist_ok=True)
    if not cluster.inside_stack_dir:
        _chown_pg(home)
        home.chmod(0o700)
        if not cluster.link.is_symlink():
            cluster.link.symlink_to(cluster.data_dir)
    for folder in (cluster.data_dir, cluster.socket_dir):
        folder.mkdir(exist_ok=True)
        _chown_pg(folder)
        folder.chmod(0o700)
    created = False
    if not cluster.initialized():
        if any(cluster.data_dir.iterdir()):
            raise StackError(f"{cluster.data_dir} exists but is not a cluster; `reset` first")
        pwfile = home / ".pwfile"
        pwfile.write_text(read_secret(secrets.pg_superuser_password) + "\n")
        pwfile.chmod(0o600)
        _chown_pg(pwfile)
        try:
            cluster.run(
                "initdb",
                "-D",
                str(cluster.data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        created = True
    _write_conf(cluster)
    cluster.cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    log_link = cluster.cfg.logs_dir / "postgres.log"
    if not cluster.inside_stack_dir and not log_link.is_symlink():
        log_link.unlink(missing_ok=True)
        log_link.symlink_to(cluster.log_file)
    return created


def start(cluster: Cluster) -> bool:
    """Start the cluster unless it runs; True if started now."""
    if cluster.running():
        return False
    ensure_port_free(cluster.cfg.pg_port, "PostgreSQL")
    if not cluster.log_file.exists():
        cluster.log_file.touch()
        _chown_pg(cluster.log_file)
    result = cluster.run(
        "pg_ctl",
        "start",
        "-D",
        str(cluster.data_dir),
        "-l",
        str(cluster.log_file),
        "-w",
        "-t",
        "60",
        check=False,
    )
    if result.returncode != 0:
        raise StackError(
            f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n"
            f"last lines of {cluster.log_file}:\n{tail(str(cluster.log_file))}"
        )
    return True


def stop(cluster: Cluster) -> bool:
    if not cluster.initialized() or not cluster.running():
        return False
    cluster.run("pg_ctl", "stop", "-D", str(cluster.data_dir), "-m", "fast", "-w", "-t", "60")
    return True


def kill(cluster: Cluster) -> bool:
    pid = cluster.postmaster_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return True


def restart_if_port_changed(cluster: Cluster, previous_port: int | None) -> None:
    if previous_port is not None and previous_port != cluster.cfg.pg_port and cluster.running():
        say(f"PG_PORT changed ({previous_port} -> {cluster.cfg.pg_port}): restarting PostgreSQL")
        stop(cluster)
