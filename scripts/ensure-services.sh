#!/usr/bin/env bash
# Make sure what the test suite talks to is present on this machine: node (checks the jsfile sink's
# output) and, for the database adapters, a PostgreSQL server on 127.0.0.1:5432.
set -euo pipefail

if ! command -v node >/dev/null 2>&1; then
    echo "ensure-services: installing node" >&2
    apt-get update -qq && apt-get install -y -qq nodejs >/dev/null
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "ensure-services: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
