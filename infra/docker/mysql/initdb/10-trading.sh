#!/bin/bash
# Runs once, on an empty data directory, after the mysql image's entrypoint has created
# MYSQL_DATABASE and MYSQL_USER (identified by MYSQL_PASSWORD). The entrypoint *sources*
# files in /docker-entrypoint-initdb.d that are not executable, which gives this script its
# `docker_process_sql` helper (it connects as root with whatever root password was set).
# No credentials live here: all of them come from the container's environment.
# No `set -e`/`-u` here: this file is sourced, and shell options would leak into the entrypoint.
: "${MYSQL_DATABASE:?MYSQL_DATABASE must be set}"
: "${MYSQL_USER:?MYSQL_USER must be set}"
: "${MYSQL_PASSWORD:?MYSQL_PASSWORD must be set}"

docker_process_sql --database=mysql <<-SQL
	CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	ALTER DATABASE \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
	-- The entrypoint grants ALL on the database; narrow it to what migrations and the app use.
	REVOKE ALL PRIVILEGES ON \`${MYSQL_DATABASE}\`.* FROM '${MYSQL_USER}'@'%';
	GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX, REFERENCES, LOCK TABLES
	  ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';
	FLUSH PRIVILEGES;
SQL
