#!/bin/sh
# scripts/deps.sh GROUP...: make sure the Debian packages a make target needs are present.
# As root, missing packages are installed with apt-get; otherwise the exact apt-get line
# is printed and the script fails. Groups: build, check, fuzz, deb, bench, demo.
set -eu

pkgs_build="nodejs gcc make pkg-config libyaml-dev libjansson-dev libsqlite3-dev libnftables-dev zlib1g-dev libcurl4-openssl-dev libssl-dev curl libsystemd-dev openssl libnghttp2-dev"
pkgs_check="libcmocka-dev python3 python3-pytest python3-websockets python3-selenium curl wrk iproute2 nftables chromium chromium-driver nginx-light apache2 dpkg-dev pandoc lintian logrotate systemd rsyslog mariadb-server mariadb-client mariadb-backup restic openssh-server openssh-client testssl.sh nghttp2-client python3-h2 crowdsec"
# The acme e2e runs a real ACME CA (Pebble) and checks chains with openssl.
pkgs_check="$pkgs_check pebble openssl"
# The FastCGI e2e and bench run a real PHP-FPM.
pkgs_check="$pkgs_check php8.2-fpm"
# The shield's country database (shield.geo's default) and its tests against the real file.
pkgs_check="$pkgs_check tor-geoipdb"
pkgs_fuzz="clang libclang-rt-dev"
pkgs_demo="mariadb-server mariadb-client mariadb-backup restic"
pkgs_deb="dpkg-dev pandoc lintian"
pkgs_bench="nginx-light haproxy caddy wrk python3 python3-pymysql mariadb-server mariadb-client mariadb-backup restic nghttp2-client openssl crowdsec"
pkgs_bench="$pkgs_bench php8.2-fpm tor-geoipdb"

want=""
for g in "$@"; do
    eval "want=\"\$want \$pkgs_$g\""
done

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done

# The console's front-end packages (package-lock.json), installed with the build group:
# `npm ci` when node_modules is missing or older than the lock file. The check group adds
# the devDependencies: the test-only validators of `tierd export` (scripts/validate-export.js),
# which a build alone never downloads and the console never embeds (scripts/embed.js).
front_end() {
    dev=""
    case " $* " in *" check "*) dev=yes ;; *" build "*) ;; *) return 0 ;; esac
    stamp=node_modules/.package-lock.json
    if ! command -v npm >/dev/null; then
        # Debian's nodejs comes without npm (NodeSource's has it built in).
        if [ "$(id -u)" != 0 ]; then
            echo "deps: npm is missing; install it with: sudo apt-get install -y npm" >&2
            exit 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q npm
    fi
    if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] ||
       { [ -n "$dev" ] && [ ! -d node_modules/@cdktf/provider-aws ]; }; then
        if [ -n "$dev" ]; then
            echo "deps: npm ci (package-lock.json, with the test-only devDependencies)"
            npm ci --no-audit --no-fund --loglevel=error >/dev/null
        else
            echo "deps: npm ci --omit=dev (package-lock.json)"
            npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
        fi
    fi
}

[ -z "$missing" ] && { front_end "$@"; exit 0; }

if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    # Packages must not start their system service (mariadb on :3306): tests start their own.
    rc_d=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        rc_d=/usr/sbin/policy-rc.d
        trap 'rm -f "$rc_d"' EXIT
    fi
    # crowdsec's post-install registers with CrowdSec's online API and fails offline,
    # leaving dpkg half-configured; a non-empty credentials file makes it skip that.
    case " $missing " in *" crowdsec "*)
        if [ ! -s /etc/crowdsec/online_api_credentials.yaml ]; then
            mkdir -p /etc/crowdsec
            echo "# offline: no Central API (scripts/deps.sh)" > /etc/crowdsec/online_api_credentials.yaml
        fi ;;
    esac
    if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q $missing >/dev/null 2>&1; then
        apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q $missing
    fi
    front_end "$@"
    exit 0
fi
echo "deps: missing Debian packages; install them with:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
