#!/usr/bin/env python3
"""Operations of the real `apus` binary: the admin CLI, synadm (the Synapse admin tool from PyPI)
against Apus's admin API, `apus doctor` on a healthy deployment and on faults the script creates
(unreachable key endpoint, a server name that resolves to another server, an expired and a
mismatched certificate, a client .well-known that disagrees with public_baseurl), /metrics, and `apus backup` taken while ../shared/peers/load.py runs,
restored and checked (integrity, every event acknowledged before the backup began, the restored
server starts), and config reload on SIGHUP. Ends with the line `N passed, N failed`.
"""
import argparse
import datetime
import ipaddress
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RESULTS, check, free_port, passed, summary_line  # noqa: E402


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else (b"{}" if method in ("POST", "PUT") else None)
    req = urllib.request.Request(base + path, method=method, data=data,
                                 headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def q(s):
    return urllib.parse.quote(s, safe="")


def make_certs(d):
    """A test CA, and leaves signed by it: valid for 127.0.0.1, expired, and for another name."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apus-admin-test-CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    with open(f"{d}/ca.crt", "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(name, sans, before, after):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(before).not_valid_after(after)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False).sign(ca_key, hashes.SHA256()))
        with open(f"{d}/{name}.crt", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(f"{d}/{name}.key", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    day = datetime.timedelta(days=1)
    leaf("good", [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")], now - day, now + 365 * day)
    leaf("expired", [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))], now - 30 * day, now - 2 * day)
    leaf("other", [x509.DNSName("other.example")], now - day, now + 365 * day)


CONFIG = """server_name = "127.0.0.1:{name_port}"
data_dir = "{data}"
public_baseurl = "http://127.0.0.1:{client}/{public_path}"
[[listeners]]
bind = "127.0.0.1"
port = {client}
resources = ["client", "metrics"]
[[listeners]]
bind = "127.0.0.1"
port = {fed}
resources = ["federation"]
tls = true
tls_certificate = "{certs}/{cert}.crt"
tls_private_key = "{certs}/{cert}.key"
[registration]
enabled = true
shared_secret = "admin-test-secret"
[federation]
extra_ca_files = ["{certs}/ca.crt"]
allow_private_destinations = true
[rate_limits]
enabled = false
[log]
access_log = false
"""


class Apus:
    def __init__(self, args, tmp, name, cert="good", name_port=None, fed=None):
        self.args, self.dir = args, os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.client = free_port()
        self.fed = fed or free_port()
        self.config = os.path.join(self.dir, "apus.toml")
        self.write(cert=cert, name_port=name_port or self.fed)
        self.proc = None

    def write(self, cert="good", name_port=None, path=None, data=None, public_path=""):
        with open(path or self.config, "w") as f:
            f.write(CONFIG.format(name_port=name_port or self.fed, data=data or os.path.join(self.dir, "data"), client=self.client,
                                  fed=self.fed, certs=self.args.certs, cert=cert, public_path=public_path))

    @property
    def base(self):
        return f"http://127.0.0.1:{self.client}"

    def start(self, config=None):
        self.log = open(os.path.join(self.dir, "apus.log"), "a")
        self.proc = subprocess.Popen([self.args.apus, "serve", "--config", config or self.config], stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + 30
        while time.time() < end:
            try:
                if call(self.base, "GET", "/_matrix/client/versions")[0] == 200:
                    return
            except Exception:  # noqa: BLE001 -- not up yet
                pass
            time.sleep(0.2)
        raise RuntimeError("apus did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def cli(self, *argv, config=None, stdin=None):
        return subprocess.run([self.args.apus, *argv, "--config", config or self.config], capture_output=True, text=True,
                              timeout=120, input=stdin)


def cli_checks(a, tmp):
    """The server is running: the CLI goes through its admin API (with a token minted for the run)."""
    pw = os.path.join(tmp, "pw")
    with open(pw, "w") as f:
        f.write("admin-password\n")
    out = a.cli("user", "add", "root", "--password-file", pw, "--admin")
    check("cli: user add --admin", out.returncode == 0 and "@root:" in out.stdout, out.stdout + out.stderr)
    out = a.cli("user", "add", "root", "--password-file", pw)
    check("cli: adding an existing user fails clearly", out.returncode != 0 and "already exists" in out.stderr, out.stderr)
    out = a.cli("user", "add", "eve", "--password-file", pw)
    st, login = call(a.base, "POST", "/_matrix/client/v3/login", body={"type": "m.login.password", "user": "eve", "password": "admin-password"})
    check("cli: a user made by the CLI logs in over HTTP", st == 200, login)
    out = a.cli("user", "list", "--json")
    users = [u["name"] for u in json.loads(out.stdout).get("users", [])] if out.returncode == 0 else []
    check("cli: user list --json", any(u.startswith("@root:") for u in users) and any(u.startswith("@eve:") for u in users), out.stdout + out.stderr)
    out = a.cli("user", "list")
    check("cli: user list prints a table", out.returncode == 0 and out.stdout.splitlines()[0].startswith("user"), out.stdout)
    out = a.cli("user", "make-admin", "eve")
    st, body = call(a.base, "GET", f"/_synapse/admin/v2/users/{q(login.get('user_id', ''))}", token=login.get("access_token"))
    check("cli: make-admin grants the admin API", out.returncode == 0 and st == 200 and body.get("admin") is True, body)
    with open(pw, "w") as f:
        f.write("new-password\n")
    out = a.cli("user", "reset-password", "eve", "--password-file", pw)
    st, _ = call(a.base, "POST", "/_matrix/client/v3/login", body={"type": "m.login.password", "user": "eve", "password": "new-password"})
    check("cli: reset-password", out.returncode == 0 and st == 200, out.stderr)
    out = a.cli("registration-token", "add", "tok-1", "--uses", "2")
    out2 = a.cli("registration-token", "list", "--json")
    tokens = [t["token"] for t in json.loads(out2.stdout).get("registration_tokens", [])] if out2.returncode == 0 else []
    out3 = a.cli("registration-token", "revoke", "tok-1")
    out4 = a.cli("registration-token", "list", "--json")
    check("cli: registration-token add, list, revoke", out.returncode == 0 and "tok-1" in tokens and out3.returncode == 0
          and "tok-1" not in out4.stdout, out.stderr + out2.stdout + out3.stderr)
    st, root = call(a.base, "POST", "/_matrix/client/v3/login", body={"type": "m.login.password", "user": "root", "password": "admin-password"})
    st, room = call(a.base, "POST", "/_matrix/client/v3/createRoom", token=root["access_token"], body={"name": "ops-room", "preset": "public_chat"})
    out = a.cli("room", "list", "--json")
    rooms = [r["room_id"] for r in json.loads(out.stdout).get("rooms", [])] if out.returncode == 0 else []
    check("cli: room list", room.get("room_id") in rooms, out.stdout + out.stderr)
    out = a.cli("room", "info", room.get("room_id", ""))
    check("cli: room info", out.returncode == 0 and "ops-room" in out.stdout, out.stdout + out.stderr)
    out = a.cli("room", "info", "!missing:nowhere")
    check("cli: room info of an unknown room fails clearly", out.returncode != 0 and "not found" in out.stderr.lower(), out.stderr)
    out = a.cli("user", "deactivate", "eve")
    st, _ = call(a.base, "POST", "/_matrix/client/v3/login", body={"type": "m.login.password", "user": "eve", "password": "new-password"})
    check("cli: deactivate stops logins", out.returncode == 0 and st == 403, out.stderr)
    return root, room.get("room_id")


def synadm_checks(a, tmp, root, room_id):
    cfg = os.path.join(tmp, "synadm.yaml")
    with open(cfg, "w") as f:
        json.dump({"user": root["user_id"], "token": root["access_token"], "base_url": a.base, "admin_path": "/_synapse/admin",
                   "matrix_path": "/_matrix", "timeout": 30, "homeserver": f"127.0.0.1:{a.fed}", "ssl_verify": False,
                   "format": "json"}, f)
    synadm = os.path.join(os.path.dirname(sys.executable), "synadm")
    env = dict(os.environ, HOME=tmp)
    out = subprocess.run([synadm, "-c", cfg, "-o", "json", "user", "list"], capture_output=True, text=True, timeout=60, env=env)
    try:
        names = [u["name"] for u in json.loads(out.stdout)["users"]]
    except Exception:  # noqa: BLE001
        names = []
    check("synadm user list shows Apus's users", root["user_id"] in names, out.stdout + out.stderr)
    out = subprocess.run([synadm, "-c", cfg, "-o", "json", "room", "list"], capture_output=True, text=True, timeout=60, env=env)
    try:
        rooms = [r["room_id"] for r in json.loads(out.stdout)["rooms"]]
    except Exception:  # noqa: BLE001
        rooms = []
    check("synadm room list shows Apus's rooms", room_id in rooms, out.stdout + out.stderr)


def doctor(a, config):
    out = a.cli("doctor", "--json", config=config)
    try:
        return out.returncode, json.loads(out.stdout)
    except Exception:  # noqa: BLE001
        return out.returncode, {"raw": out.stdout + out.stderr}


def finding(report, check_name, level):
    return [f for f in report.get("findings", []) if f["check"].startswith(check_name) and f["level"] == level]


def doctor_checks(a, b, tmp):
    code, report = doctor(a, a.config)
    check("doctor: a healthy deployment passes", code == 0 and report.get("ok") is True, report)
    unreachable = os.path.join(a.dir, "unreachable.toml")
    a.write(name_port=free_port(), path=unreachable)
    code, report = doctor(a, unreachable)
    check("doctor: reports an unreachable key endpoint", code == 1 and finding(report, "key endpoint", "error"), report)
    elsewhere = os.path.join(a.dir, "elsewhere.toml")
    a.write(name_port=b.fed, path=elsewhere)   # our name resolves to server B
    code, report = doctor(a, elsewhere)
    bad = finding(report, "key endpoint", "error")
    check("doctor: reports a server name that leads to another server", code == 1 and bad and "other keys" in bad[0]["message"], report)
    expired = os.path.join(a.dir, "expired.toml")
    a.write(cert="expired", path=expired)
    code, report = doctor(a, expired)
    bad = finding(report, "tls", "error")
    check("doctor: reports an expired certificate", code == 1 and any("expired" in f["message"] for f in bad), report)
    other = os.path.join(a.dir, "other.toml")
    a.write(cert="other", path=other)
    code, report = doctor(a, other)
    bad = finding(report, "tls", "error")
    check("doctor: reports a certificate for another name", code == 1 and any("other.example" in f["message"] for f in bad), report)
    moved = os.path.join(a.dir, "moved.toml")
    a.write(path=moved, public_path="elsewhere/")   # clients are told another URL than the one configured
    code, report = doctor(a, moved)
    check("doctor: reports a client .well-known that disagrees with public_baseurl",
          code == 1 and finding(report, "client well-known", "error"), report)


def metrics_check(a):
    with urllib.request.urlopen(a.base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    check("/metrics serves Prometheus text with request counts and RSS",
          'apus_http_requests_total{route="/_matrix/client/versions"' in text and "process_resident_memory_bytes" in text, text[:500])


def backup_checks(a, tmp, root, room_id):
    load = subprocess.Popen([sys.executable, os.path.join(a.args.peers, "load.py"), "--base", a.base, "--users", "20", "--messages", "400",
                             "--concurrency", "4", "--sync-reps", "3", "--max-seconds", "120"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    acknowledged = []
    for n in range(30):
        st, body = call(a.base, "PUT", f"/_matrix/client/v3/rooms/{q(room_id)}/send/m.room.message/bk{n}", token=root["access_token"],
                        body={"msgtype": "m.text", "body": f"before backup {n}"})
        if st == 200:
            acknowledged.append(body["event_id"])
    time.sleep(1)  # load.py is writing now
    dest = os.path.join(tmp, "backup")
    out = a.cli("backup", dest)
    running = load.poll() is None
    load.wait(180)
    check("backup taken while load.py writes", out.returncode == 0 and running, out.stdout + out.stderr)
    con = sqlite3.connect(os.path.join(dest, "apus.db"))
    integrity = con.execute("PRAGMA integrity_check").fetchall()
    present = {row[0] for row in con.execute("SELECT event_id FROM events")}
    con.close()
    check("the backup passes PRAGMA integrity_check", integrity == [("ok",)], integrity)
    check("the backup holds every event acknowledged before it began", acknowledged and all(e in present for e in acknowledged),
          f"{len([e for e in acknowledged if e not in present])} missing")
    restored = os.path.join(tmp, "restored")
    config = os.path.join(restored, "apus.toml")
    os.makedirs(restored)
    a.write(path=config, data=os.path.join(restored, "data"))
    out = a.cli("restore", dest, config=config)
    a.stop()
    stopped = a.cli("user", "list", "--json")
    check("cli works on the database while the server is stopped", stopped.returncode == 0 and root["user_id"] in stopped.stdout,
          stopped.stdout + stopped.stderr)
    r = Apus(a.args, tmp, "restored-run", fed=a.fed)  # same server name: the data belongs to it
    r.client = a.client
    r.write(data=os.path.join(restored, "data"))
    try:
        r.start()
        st, _ = call(r.base, "POST", "/_matrix/client/v3/login", body={"type": "m.login.password", "user": "root", "password": "admin-password"})
        st2, hist = call(r.base, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/messages?dir=b&limit=100", token=_login(r, "root"))
        bodies = [e.get("content", {}).get("body") for e in hist.get("chunk", [])]
        check("the restored server starts and serves the data", out.returncode == 0 and st == 200 and "before backup 29" in bodies,
              f"{out.stdout}{out.stderr} login={st} messages={st2} {str(hist)[:300]}")
    finally:
        r.stop()


def reload_check(args, tmp):
    """SIGHUP: live settings change (registration switched on, log level), a bad file is refused."""
    d = os.path.join(tmp, "reload")
    os.makedirs(d)
    port = free_port()
    config = os.path.join(d, "apus.toml")
    base = f'data_dir = "{d}/data"\n[[listeners]]\nbind = "127.0.0.1"\nport = {port}\nresources = ["client"]\n'
    with open(config, "w") as f:
        f.write(base)
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([args.apus, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.time() + 30
        while time.time() < end:
            try:
                call(url, "GET", "/_matrix/client/versions")
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.2)
        body = {"username": "r1", "password": "p", "auth": {"type": "m.login.dummy"}}
        before = call(url, "POST", "/_matrix/client/v3/register", body=body)[0]
        with open(config, "w") as f:
            f.write(base + '[registration]\nenabled = true\n[log]\nlevel = "debug"\n')
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        after = call(url, "POST", "/_matrix/client/v3/register", body=body)[0]
        with open(config, "a") as f:
            f.write("bogus = 1\n")
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        still = call(url, "POST", "/_matrix/client/v3/register", body=dict(body, username="r2"))[0]
        text = open(os.path.join(d, "log")).read()
        check("SIGHUP reloads live settings (registration on, log level) and logs them", before == 403 and after == 200
              and "registration.enabled: false → true" in text, f"{before} {after}\n{text[-800:]}")
        check("SIGHUP with a bad file keeps the running settings and says why", still == 200 and "config reload refused" in text
              and "bogus" in text, text[-800:])
    finally:
        proc.terminate()
        proc.wait(20)


def federation_off_check(args, tmp):
    """`[federation] enabled = false` is a supported setting: the server starts, serves and keeps running."""
    d = os.path.join(tmp, "nofed")
    os.makedirs(d)
    port = free_port()
    config = os.path.join(d, "apus.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{d}/data"\n[[listeners]]\nbind = "127.0.0.1"\nport = {port}\nresources = ["client"]\n'
                '[registration]\nenabled = true\n[federation]\nenabled = false\n')
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([args.apus, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        status = None
        end = time.time() + 30
        while time.time() < end and proc.poll() is None:
            try:
                status = call(url, "GET", "/_matrix/client/versions")[0]
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.2)
        time.sleep(1)
        body = {"username": "nf", "password": "p", "auth": {"type": "m.login.dummy"}}
        registered = call(url, "POST", "/_matrix/client/v3/register", body=body)[0] if proc.poll() is None else None
        check("federation off: the server starts, serves and stays up", status == 200 and registered == 200 and proc.poll() is None,
              open(os.path.join(d, "log")).read()[-800:])
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(20)


def _login(server, user):
    st, body = call(server.base, "POST", "/_matrix/client/v3/login", body={"type": "m.login.password", "user": user, "password": "admin-password"})
    return body.get("access_token")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apus", required=True)
    ap.add_argument("--peers", required=True)
    args = ap.parse_args()
    args.apus, args.peers = os.path.abspath(args.apus), os.path.abspath(args.peers)
    tmp = tempfile.mkdtemp(prefix="apus-admin-")
    args.certs = os.path.join(tmp, "certs")
    os.makedirs(args.certs)
    make_certs(args.certs)
    a, b = Apus(args, tmp, "a"), Apus(args, tmp, "b")
    try:
        a.start()
        b.start()
        root, room_id = cli_checks(a, tmp)
        synadm_checks(a, tmp, root, room_id)
        metrics_check(a)
        doctor_checks(a, b, tmp)
        backup_checks(a, tmp, root, room_id)
        reload_check(args, tmp)
        federation_off_check(args, tmp)
    except Exception:  # noqa: BLE001
        check("admin interop ran", False, traceback.format_exc())
    finally:
        a.stop()
        b.stop()
    _, all_passed = passed()
    if all_passed:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"(logs in {tmp})")
    print(summary_line())
    sys.exit(0 if all_passed else 1)


if __name__ == "__main__":
    main()
