#!/usr/bin/env bash
# The stand-in for Airbyte's Python connector base image, built from Debian packages (no Docker Hub) and imported
# into podman under the real name, so that the connectors' Dockerfiles build FROM it unchanged (--pull=never).
#
# It follows airbytehq/airbyte docker-images/Dockerfile.python-connector-base (4.0.x, python:3.11.11-slim-bookworm):
# Debian bookworm, Python 3.11, pip 24.0 and setuptools 78.1.1 in /usr/local (console scripts in /usr/local/bin),
# UTC, socat, user and group airbyte with uid/gid 1000, /airbyte /custom_cache /secrets /config /pip_cache owned by
# it, the same environment variables. Where it differs, and why that cannot matter: README, "Deploying to Airbyte".
#
# Usage: images/base.sh IMAGE:TAG    (env: IMAGES_CACHE, the cache folder; CONTAINERS_CONF/CONTAINERS_STORAGE_CONF)
# Skips the build when IMAGE:TAG exists with this script's hash as its recipe label. The Debian packages are cached
# in $IMAGES_CACHE/debs, the pip and setuptools wheels in $IMAGES_CACHE/base-wheels.
set -euo pipefail
IMAGE=$1
CACHE=${IMAGES_CACHE:?IMAGES_CACHE must name the cache folder}
RECIPE=$(sha256sum "$0" | cut -c1-16)
LABEL=io.airbyte.standin.recipe
if [ "$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null)" = "$RECIPE" ]; then
  echo "base: $IMAGE is built (recipe $RECIPE)"
  exit 0
fi
SUITE=bookworm
PACKAGES=python3,python3-venv,python-is-python3,ca-certificates,netbase,tzdata,adduser,socat
# The Debian mirror this machine's apt already uses (sources.list.d), never a host written here.
MIRROR=$(apt-get indextargets --format '$(REPO_URI)' "Release: $SUITE" 'Identifier: Packages' | head -1)
[ -n "$MIRROR" ] || { echo "base: no apt source for $SUITE in /etc/apt" >&2; exit 1; }
ROOTFS=$CACHE/base-rootfs
mkdir -p "$CACHE/debs" "$CACHE/base-wheels"
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d"
trap 'rm -rf "$ROOTFS"' EXIT
# Like python:slim: no documentation, manuals or translations. No fsync while bootstrapping (a throwaway tree).
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
  'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
  'path-include /usr/share/locale/locale.alias' 'path-exclude /usr/share/lintian/*' \
  > "$ROOTFS/etc/dpkg/dpkg.cfg.d/01-nodoc"
echo force-unsafe-io > "$ROOTFS/etc/dpkg/dpkg.cfg.d/02-unsafe-io"
echo "base: debootstrap $SUITE ($PACKAGES)"
debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE/debs" "$SUITE" "$ROOTFS" "$MIRROR" \
  > "$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
rm -f "$ROOTFS/etc/dpkg/dpkg.cfg.d/02-unsafe-io"

# pip and setuptools as the real base pins them, into /usr/local. The wheels come from the host's pip: nothing in a
# chroot or container here trusts this machine's outgoing TLS.
python3 -m pip download -q --only-binary=:all: --no-deps -d "$CACHE/base-wheels" pip==24.0 setuptools==78.1.1
mkdir -p "$ROOTFS/tmp/base-wheels"
cp "$CACHE"/base-wheels/pip-24.0-*.whl "$CACHE"/base-wheels/setuptools-78.1.1-*.whl "$ROOTFS/tmp/base-wheels/"
# A clean environment: the host's pip settings (find-links, certificates) mean nothing inside.
chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -ec '
  ln -snf /usr/share/zoneinfo/Etc/UTC /etc/localtime && echo Etc/UTC > /etc/timezone
  # python:slim has no PEP 668 marker: root pip installs go to /usr/local, scripts to /usr/local/bin
  rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
  adduser --uid 1000 --system --group --no-create-home airbyte >/dev/null
  mkdir --mode 755 /airbyte /custom_cache /secrets /config /nonexistent /pip_cache
  chown airbyte:airbyte /airbyte /custom_cache /secrets /config /nonexistent /pip_cache
  W=/tmp/base-wheels
  python3 $W/pip-24.0-py3-none-any.whl/pip install -q --no-cache-dir --disable-pip-version-check \
    --no-index --find-links $W pip==24.0 setuptools==78.1.1
  rm -rf $W
  chown -R airbyte /tmp
'
PYTHON_VERSION=$(chroot "$ROOTFS" python3 -c 'import platform; print(platform.python_version())')
# debootstrap's first stage is not covered by path-exclude; apt lists and debs are not part of an image either.
find "$ROOTFS/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/lintian \
  "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/root/.cache
: > "$ROOTFS/etc/resolv.conf"

tar --numeric-owner --xattrs -C "$ROOTFS" -cf - . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV PYTHON_VERSION=$PYTHON_VERSION" \
  --change 'ENV PIP_CACHE_DIR=/pip_cache' \
  --change 'ENV POETRY_VIRTUALENVS_CREATE=false' \
  --change 'ENV POETRY_VIRTUALENVS_IN_PROJECT=false' \
  --change 'ENV POETRY_NO_INTERACTION=1' \
  --change 'CMD ["python3"]' \
  --change "LABEL $LABEL=$RECIPE" \
  --message "stand-in for $IMAGE: Debian $SUITE minbase, Python $PYTHON_VERSION" \
  - "$IMAGE" > /dev/null
echo "base: $IMAGE imported (Python $PYTHON_VERSION, recipe $RECIPE)"
