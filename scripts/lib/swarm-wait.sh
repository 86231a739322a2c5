# shellcheck shell=bash
# Waiting for the deployed stack, for every service it has (no list of names here).
# Source it after swarm-engine.sh.

# "name mode running/desired" per service; ready when each runs all its desired tasks (Swarm
# counts a task with a healthcheck as running only once it is healthy), no container of the
# stack is still starting or unhealthy, and the gateway answers on port 80.
stack_not_ready() { # prints what is not ready yet, nothing when all is
    docker stack services "$STACK" --format '{{.Name}} {{.Replicas}}' | while read -r name replicas; do
        replicas="${replicas%% *}"
        if [ "${replicas%/*}" != "${replicas#*/}" ] || [ "${replicas#*/}" = 0 ]; then
            echo "$name $replicas"
        fi
    done
    local starting unhealthy
    starting="$(docker ps -q --filter "label=com.docker.stack.namespace=$STACK" --filter health=starting | wc -l)"
    unhealthy="$(docker ps -q --filter "label=com.docker.stack.namespace=$STACK" --filter health=unhealthy | wc -l)"
    [ "$starting" = 0 ] || echo "$starting container(s) starting"
    [ "$unhealthy" = 0 ] || echo "$unhealthy unhealthy"
    curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:80/healthz 2>/dev/null || echo "gateway :80 /healthz"
}

wait_healthy() { # seconds
    local deadline=$((SECONDS + $1)) pending last=""
    log "wait: every service of stack $STACK running all its tasks, healthy"
    while :; do
        pending="$(stack_not_ready)"
        [ -z "$pending" ] && break
        if [ "$pending" != "$last" ]; then
            printf '  waiting: %s\n' "$(printf '%s' "$pending" | tr '\n' ',' | sed 's/,/, /g')"
            last="$pending"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            docker stack ps "$STACK" --no-trunc --format '{{.Name}} {{.CurrentState}} {{.Error}}' \
                | head -40 >&2
            die "stack $STACK not healthy after $1 s"
        fi
        sleep 2
    done
    docker stack services "$STACK" --format '  {{.Name}} {{.Replicas}}'
    log "wait: all services healthy"
}
