#!/bin/sh
# Runs from the nginx image's /docker-entrypoint.d before the template step (20-envsubst-...).
# Without API_UPSTREAM the template would keep a literal "${API_UPSTREAM}" and nginx would fail
# with a confusing message; say what is missing instead. Executable bit is kept in git.
if [ -z "${API_UPSTREAM:-}" ]; then
  echo "$0: API_UPSTREAM is not set (host:port of the API, e.g. api:4000 or trading-api:4000)" >&2
  exit 1
fi
