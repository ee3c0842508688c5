#!/usr/bin/env bash
# Make sure what the test suite talks to is present on this machine: node (checks the jsfile sink's
# output), a PostgreSQL server on 127.0.0.1:5432 for the database adapters and a Redis server on
# 127.0.0.1:6379 for the Celery queue tests.
set -euo pipefail

if ! command -v node >/dev/null 2>&1; then
    echo "ensure-services: installing node" >&2
    apt-get update -qq && apt-get install -y -qq nodejs >/dev/null
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "ensure-services: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi

if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "ensure-services: starting Redis" >&2
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 50); do  # it daemonizes before it listens
        redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
        sleep 0.1
    done
fi
