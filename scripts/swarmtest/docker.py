"""The Docker CLI, for the stack `scripts/swarm up` deployed (SWARM_STACK, default media)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request

STACK = os.environ.get("SWARM_STACK", "media")


class DockerError(RuntimeError):
    pass


def docker(*args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise DockerError(f"docker {' '.join(args)}: {result.stderr.strip() or result.stdout}")
    return result.stdout


def service(short: str) -> str:
    """`company-service` -> `media_company-service`."""
    return f"{STACK}_{short}"


def stack_services() -> dict[str, str]:
    """Service name -> "running/desired" of every service of the stack."""
    out = docker("stack", "services", STACK, "--format", "{{.Name}} {{.Replicas}}")
    return {name: replicas for name, replicas, *_ in (line.split() for line in out.splitlines())}


def gateway_answers() -> bool:
    try:
        with urllib.request.urlopen("http://127.0.0.1:80/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def not_ready() -> list[str]:
    """What keeps the stack from being ready (empty: every service runs all its tasks,
    healthy, and the gateway answers)."""
    pending = [
        f"{name} {replicas}"
        for name, replicas in stack_services().items()
        if replicas.split("/")[0] != replicas.split("/")[1] or replicas.endswith("/0")
    ]
    out = docker(
        "ps",
        "--filter",
        f"label=com.docker.stack.namespace={STACK}",
        "--format",
        "{{.Names}} {{.Status}}",
    )
    pending += [line for line in out.splitlines() if "starting" in line or "unhealthy" in line]
    if not gateway_answers():
        pending.append("gateway :80 /healthz")
    return pending


def wait_ready(timeout: float = 240) -> float:
    """Waits until not_ready() is empty; returns the seconds it took."""
    started = time.monotonic()
    while pending := not_ready():
        if time.monotonic() - started > timeout:
            raise DockerError(f"stack {STACK} not ready after {timeout:.0f} s: {pending}")
        time.sleep(1)
    return time.monotonic() - started


def force_update(name: str) -> None:
    """`docker service update --force`: every task replaced, as the service's update_config
    says; returns once the update converged."""
    docker("service", "update", "--force", "--quiet", "--detach=false", name, timeout=600)


def healthy_containers(name: str) -> list[str]:
    out = docker(
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        f"label=com.docker.swarm.service.name={name}",
        "--filter",
        "health=healthy",
    )
    return out.split()


def desired_replicas(name: str) -> int:
    out = docker("service", "inspect", "--format", "{{.Spec.Mode.Replicated.Replicas}}", name)
    return int(out.strip())


def kill_one_task(name: str) -> str:
    """SIGKILL one running task's container (no graceful stop); returns its id."""
    victims = healthy_containers(name)
    if not victims:
        raise DockerError(f"{name} has no healthy task to kill")
    docker("kill", victims[0])
    return victims[0]


def wait_replaced(name: str, killed: str, timeout: float = 180) -> float:
    """Waits until the service runs all its replicas healthy again, the killed one not
    among them; returns the seconds it took."""
    started = time.monotonic()
    want = desired_replicas(name)
    while True:
        running = healthy_containers(name)
        if killed not in running and len(running) >= want:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise DockerError(f"{name}: killed task not replaced after {timeout:.0f} s")
        time.sleep(0.5)


def service_logs(name: str, since: str) -> list[str]:
    """The raw log lines of every task of a service since an RFC 3339 time."""
    result = subprocess.run(
        ["docker", "service", "logs", "--raw", "--since", since, name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return (result.stdout + result.stderr).splitlines()
