#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 (start the local cluster if it is down).
set -u
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && exit 0
  sleep 1
done
echo "govdesk: PostgreSQL is not answering on 127.0.0.1:5432" >&2
exit 1
