#!/usr/bin/env bash
# Regenerate the committed locks from pyproject.toml: exact versions with their PyPI hashes.
#   requirements.lock       what `chronique` needs to run
#   requirements-test.lock  the same versions plus the test and lint tools, and the optional extras the tests use (ray)
# Needs uv (`pip install uv`). Run after changing a dependency in pyproject.toml, and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
common=(--generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --index-url https://pypi.org/simple --quiet)
# sqlite-utils asks for pip: the lock keeps the pip that requirements-pip.lock installs first
printf 'pip==25.3\n' >/tmp/chronique-pip-pin.txt
uv pip compile pyproject.toml "${common[@]}" --constraint /tmp/chronique-pip-pin.txt -o requirements.lock
uv pip compile pyproject.toml --extra test --extra ray "${common[@]}" --constraint requirements.lock -o requirements-test.lock
printf 'pip==25.3\n' | uv pip compile - "${common[@]}" --no-header -o /tmp/chronique-pip.lock
{ echo "# pip itself, pinned (scripts/install.sh says why); regenerate with scripts/lock.sh"; cat /tmp/chronique-pip.lock; } >requirements-pip.lock
