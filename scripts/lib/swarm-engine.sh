# shellcheck shell=bash
# The Docker engine and the one-node swarm under scripts/swarm. Source it, don't run it.
# What this checkout started (dockerd, the swarm) is remembered in $SWARM_STATE so that
# `scripts/swarm down` undoes exactly that and leaves an engine or swarm it found alone.

ENGINE_PACKAGES=(docker.io containerd runc iptables docker-compose)

log() { printf '[swarm %4ss] %s\n' "$((SECONDS - ${SWARM_T0:-0}))" "$*"; }
die() { printf 'swarm: error: %s\n' "$*" >&2; exit 1; }

apt_install() { # packages...; waits for another apt run's lock instead of failing
    local attempt
    for attempt in $(seq 1 60); do
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$SWARM_STATE/apt.log" 2>&1; then
            return 0
        fi
        if ! grep -q 'Could not get lock' "$SWARM_STATE/apt.log"; then
            apt-get update -q >>"$SWARM_STATE/apt.log" 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$SWARM_STATE/apt.log" 2>&1 \
                && return 0
            die "apt-get install $* failed (see $SWARM_STATE/apt.log)"
        fi
        : >"$SWARM_STATE/apt.log"
        [ "$attempt" = 1 ] && log "apt is locked by another run; waiting"
        sleep 5
    done
    die "apt stayed locked for 5 minutes"
}

ensure_engine() {
    if command -v dockerd >/dev/null && command -v docker >/dev/null \
        && command -v docker-compose >/dev/null; then
        return
    fi
    command -v apt-get >/dev/null || die "no Docker engine and no apt-get: install Docker by hand"
    log "installing the engine: apt-get install ${ENGINE_PACKAGES[*]}"
    apt_install "${ENGINE_PACKAGES[@]}"
}

engine_answers() { docker info >/dev/null 2>&1; }

ensure_daemon() {
    if engine_answers; then
        if [ -s "$SWARM_STATE/dockerd.pid" ] && kill -0 "$(cat "$SWARM_STATE/dockerd.pid")" 2>/dev/null; then
            log "dockerd: running (started by an earlier scripts/swarm up)"
        else
            rm -f "$SWARM_STATE/dockerd.pid"
            log "dockerd: running (not ours; it stays up after down)"
        fi
        return
    fi
    log "dockerd: starting (log $SWARM_STATE/dockerd.log)"
    setsid dockerd >"$SWARM_STATE/dockerd.log" 2>&1 </dev/null &
    echo $! >"$SWARM_STATE/dockerd.pid"
    local deadline=$((SECONDS + 60))
    until engine_answers; do
        kill -0 "$(cat "$SWARM_STATE/dockerd.pid")" 2>/dev/null \
            || { tail -20 "$SWARM_STATE/dockerd.log" >&2; die "dockerd exited"; }
        [ "$SECONDS" -lt "$deadline" ] || die "dockerd did not answer within 60 s"
        sleep 0.5
    done
}

stop_daemon() {
    [ -s "$SWARM_STATE/dockerd.pid" ] || return 0
    local pid
    pid="$(cat "$SWARM_STATE/dockerd.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        log "dockerd: stopping the one scripts/swarm up started (pid $pid)"
        kill -TERM "$pid"
        local deadline=$((SECONDS + 60))
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not stop within 60 s"
    fi
    rm -f "$SWARM_STATE/dockerd.pid"
}

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }

ensure_swarm() {
    case "$(swarm_state)" in
        active)
            log "swarm: this node is already in a swarm (kept after down unless we made it)"
            return ;;
        inactive) ;;
        *) log "swarm: node state $(swarm_state); leaving and starting over"
            docker swarm leave --force >/dev/null 2>&1 || true ;;
    esac
    log "swarm: docker swarm init --advertise-addr ${SWARM_ADVERTISE_ADDR:-127.0.0.1}"
    docker swarm init --advertise-addr "${SWARM_ADVERTISE_ADDR:-127.0.0.1}" >/dev/null
    touch "$SWARM_STATE/swarm-created"
    # A new swarm has new secrets: a database volume left from an older swarm would not
    # accept the new passwords.
    remove_stack_volumes
}

leave_swarm() {
    [ -e "$SWARM_STATE/swarm-created" ] || return 0
    if [ "$(swarm_state)" = active ]; then
        log "swarm: docker swarm leave --force (drops the secrets too)"
        docker swarm leave --force >/dev/null
    fi
    rm -f "$SWARM_STATE/swarm-created"
}

# Kernels without IPVS have no service virtual IPs and no ingress mesh (deploy/no-ipvs.yml).
ipvs_available() {
    case "${SWARM_IPVS:-auto}" in
        0 | no) return 1 ;;
        1 | yes) return 0 ;;
    esac
    [ -e /proc/net/ip_vs ] && return 0
    modprobe -q ip_vs 2>/dev/null || true
    [ -e /proc/net/ip_vs ]
}

stack_labelled() { # docker object kind (container|network|volume) of the stack, ids
    local kind="$1"
    case "$kind" in
        container) docker ps -aq --filter "label=com.docker.stack.namespace=$STACK" ;;
        *) docker "$kind" ls -q --filter "label=com.docker.stack.namespace=$STACK" ;;
    esac
}

wait_stack_gone() { # after `docker stack rm`: containers and networks go asynchronously
    local deadline=$((SECONDS + 120))
    while [ -n "$(stack_labelled container)$(stack_labelled network)" ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "stack $STACK still has containers or networks after 120 s"
        sleep 1
    done
}

remove_stack_volumes() {
    local volumes
    volumes="$(stack_labelled volume)"
    [ -n "$volumes" ] || return 0
    log "volumes: removing $(echo "$volumes" | wc -l) of stack $STACK"
    # shellcheck disable=SC2086
    docker volume rm $volumes >/dev/null
}

# cgroup v1: every container sits under the one cgroup /docker, which competes for CPU with
# the host's processes weighted like a single one of them (cpu.shares 1024). On a busy
# machine a dozen containers then share the CPU time of one process and miss their
# healthchecks. `up` weights the group like the processes it holds (SWARM_CPU_WEIGHT
# processes, 10); `down` puts the old weight back.
CPU_SHARES="/sys/fs/cgroup/cpu/docker/cpu.shares"

weigh_containers_fairly() {
    [ -d /sys/fs/cgroup/cpu ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ] || return 0
    mkdir -p "$(dirname "$CPU_SHARES")" 2>/dev/null || return 0
    [ -w "$CPU_SHARES" ] || return 0
    local want=$((1024 * ${SWARM_CPU_WEIGHT:-10})) have
    have="$(cat "$CPU_SHARES")"
    [ "$have" -lt "$want" ] || return 0
    [ -s "$SWARM_STATE/cpu.shares" ] || echo "$have" >"$SWARM_STATE/cpu.shares"
    echo "$want" >"$CPU_SHARES"
    log "cgroup v1: /docker cpu.shares $have -> $want (the containers weigh like ${SWARM_CPU_WEIGHT:-10} processes)"
}

restore_container_weight() {
    [ -s "$SWARM_STATE/cpu.shares" ] || return 0
    [ -w "$CPU_SHARES" ] && cat "$SWARM_STATE/cpu.shares" >"$CPU_SHARES"
    rm -f "$SWARM_STATE/cpu.shares"
}
