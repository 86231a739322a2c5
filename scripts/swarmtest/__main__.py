"""`scripts/swarm test [PHASE...]`: every phase by default, in this order; prints the wall
time and the request counts of each, exits 1 when one failed."""

from __future__ import annotations

import sys
import time
from functools import partial

from swarmtest import console, phases, ratelimit, worker
from swarmtest.api import sign_up, upload_videos
from swarmtest.phases import ROLLED, Result, say, timed

ALL = ("smoke", "console", "rolling", "kill", "worker", "postgres", "ratelimit")
# Videos the load streams besides the fresh ones of each phase.
POOL = 4


def run(selected: tuple[str, ...]) -> list[Result]:
    results = [timed("stack ready", lambda: (phases.docker.wait_ready() >= 0, None, ""))]
    if "smoke" in selected:
        results.append(timed("smoke scripts (port 80)", lambda: phases.smoke("first")))
    if "console" in selected:
        results.append(timed("console from the gateway image", console.check))
    if {"rolling", "kill", "worker"} & set(selected):
        tenant = sign_up()
        upload_videos(tenant, POOL, fresh=False)
        say(f"--> tenant: company {tenant.company_id}, {POOL} videos")
        if "rolling" in selected:
            for short in ROLLED:
                rolled = partial(phases.rolling_update, tenant, short)
                results.append(timed(f"rolling update {short}", rolled))
            results.append(
                timed("points after the rolling updates", partial(phases.points, tenant))
            )
        if "kill" in selected:
            for short in ROLLED:
                killed = partial(phases.kill_task, tenant, short)
                results.append(timed(f"kill a task of {short}", killed))
            results.append(timed("points after the kills", partial(phases.points, tenant)))
        if "worker" in selected:
            killed = partial(worker.kill_mid_transcode, tenant)
            results.append(timed("kill the video-worker mid-transcode", killed))
    if "postgres" in selected:
        results.append(timed("restart postgres, smoke again", phases.postgres_restart))
    if "ratelimit" in selected:
        results.append(timed("login rate limit per client address", ratelimit.check))
    return results


def main(argv: list[str]) -> int:
    selected = tuple(argv) or ALL
    unknown = set(selected) - set(ALL)
    if unknown:
        say(f"unknown phase(s) {sorted(unknown)}; phases: {' '.join(ALL)}")
        return 2
    started = time.monotonic()
    results = run(selected)
    say("\nphase                                         time     sent  failed  retried")
    for result in results:
        tally = result.tally
        counts = f"{tally.sent:8d}{tally.failed:8d}{tally.retried:9d}" if tally else ""
        say(f"{'ok   ' if result.ok else 'FAIL '}{result.name:<39}{result.seconds:7.1f}s{counts}")
    failed = [result.name for result in results if not result.ok]
    say(
        f"total {time.monotonic() - started:.1f} s; "
        + (f"FAILED: {failed}" if failed else "all passed")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
