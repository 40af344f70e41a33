#!/usr/bin/env bash
# The shell baseline of bench/postgresql-fleet.mjs: a rotation between two login roles as a script
# would do it with psql, one psql process per statement, waits at zero: set a fresh password on the
# role not in use (ALTER ROLE … LOGIN PASSWORD), write it to the consumers' file (mode 0600), check
# that it logs in, then ALTER ROLE … NOLOGIN on the old role and remove its password. No password is
# printed (statements go to psql on stdin, not on its command line).
#   PGHOST=… PGPORT=… PGUSER=<admin> PGPASSWORD=… OUT_DIR=… psql-shell-rotate.sh < "new_role old_role" lines
set -euo pipefail

umask 077
admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null; }
while read -r NEW OLD; do
  [[ -n "$NEW" ]] || continue
  PW=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-40)
  echo "ALTER ROLE \"$NEW\" WITH LOGIN PASSWORD '$PW'" | admin
  printf '{"username":"%s","password":"%s"}\n' "$NEW" "$PW" > "$OUT_DIR/$NEW.json"
  echo 'SELECT 1' | PGUSER="$NEW" PGPASSWORD="$PW" psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null
  # sleep 900 (overlap window): zero here, as keyrot's drain is
  echo "ALTER ROLE \"$OLD\" WITH NOLOGIN" | admin
  echo "ALTER ROLE \"$OLD\" WITH PASSWORD NULL" | admin
done
