#!/usr/bin/env python3
"""End-to-end checks of the real `apus` binary, on loopback only.

Starts the server with a plain and a TLS listener (self-signed certificate made here), talks
HTTP and HTTPS to it, verifies the published server key with Python `signedjson` (an
independent implementation), checks config errors, systemd notifications and the graceful
stop. Ends with the line `N passed, N failed`.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import signedjson.key
import signedjson.sign
from unpaddedbase64 import decode_base64

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, free_port, passed, summary_line  # noqa: E402



def get(url, context=None, method="GET", data=None, headers=None):
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=context, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Server:
    def __init__(self, apus, config, workdir, notify_path):
        self.log_path = os.path.join(workdir, "serve.log")
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([apus, "serve", "--config", config], cwd=workdir, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        finally:
            self.log.close()

    def output(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def wait_notify(sock, wanted, timeout=20):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        sock.settimeout(max(0.1, deadline - time.time()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if wanted in msg.split("\n"):
            return True, seen
    return False, seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--apus", required=True)
    ap.add_argument("--vectors", required=True, help="the shared test vectors folder")
    args = ap.parse_args()
    apus = os.path.abspath(args.apus)
    work = tempfile.mkdtemp(prefix="apus-e2e-")
    try:
        state_resolve_cli(apus, args.vectors, work)
        run(apus, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(summary_line())
    return 0 if passed()[1] else 1


def state_resolve_cli(apus, vectors, work):
    """`apus state resolve` against every resolve-mode case of the shared vectors."""
    with open(os.path.join(vectors, "state_res_cases.json")) as f:
        cases = [c for c in json.load(f)["cases"] if c["mode"] == "resolve"]
    check("state_res_cases has resolve-mode cases", len(cases) >= 3)
    for n, case in enumerate(cases):
        events = os.path.join(work, f"events{n}.json")
        with open(events, "w") as f:
            json.dump(case["events"], f)
        cmd = [apus, "state", "resolve", "--room-version", case["room_version"], "--events", events]
        for i, state_set in enumerate(case["state_sets"]):
            path = os.path.join(work, f"set{n}_{i}.json")
            with open(path, "w") as f:
                json.dump(list(state_set.values()), f)
            cmd += ["--state-set", path]
        out = subprocess.run(cmd + ["--explain"], capture_output=True, text=True)
        expected = sorted(case["expected_state"].values())
        got = json.loads(out.stdout) if out.returncode == 0 else None
        check(f"apus state resolve: {case['name']}", got == expected and "candidates" in out.stderr,
              f"rc={out.returncode} got={got} want={expected} stderr={out.stderr[-500:]}")
    # Bad input: clear errors naming the problem, non-zero exit.
    events = os.path.join(work, "events0.json")
    bad_set = os.path.join(work, "bad_set.json")
    with open(bad_set, "w") as f:
        json.dump(["$not-there"], f)
    out = subprocess.run([apus, "state", "resolve", "--room-version", "10", "--events", events, "--state-set", bad_set],
                         capture_output=True, text=True)
    check("state resolve names an unknown event", out.returncode != 0 and "$not-there" in out.stderr, out.stderr)
    broken = os.path.join(work, "broken.json")
    with open(broken, "w") as f:
        f.write('[{"type": "m.room.create", "sender": 5}]')
    out = subprocess.run([apus, "state", "resolve", "--room-version", "10", "--events", broken], capture_output=True, text=True)
    check("state resolve refuses a malformed event with its index", out.returncode != 0 and "entry 0" in out.stderr, out.stderr)
    out = subprocess.run([apus, "state", "resolve", "--room-version", "10", "--events", os.path.join(work, "missing.json")],
                         capture_output=True, text=True)
    check("state resolve reports a missing file", out.returncode != 0 and "missing.json" in out.stderr, out.stderr)


def run(apus, work):
    # CLI basics
    out = subprocess.run([apus, "--version"], capture_output=True, text=True)
    check("--version prints the version", out.returncode == 0 and out.stdout.startswith("apus "), out.stdout + out.stderr)
    out = subprocess.run([apus, "--help"], capture_output=True, text=True)
    check("--help lists the subcommands", out.returncode == 0 and all(
        c in out.stdout for c in ["serve", "generate-config", "check-config", "generate-key"]), out.stdout)

    # generate-config writes a file that check-config accepts
    generated = os.path.join(work, "generated.toml")
    out = subprocess.run([apus, "generate-config", "--output", generated], capture_output=True, text=True)
    check("generate-config writes a file", out.returncode == 0 and os.path.exists(generated), out.stderr)
    out = subprocess.run([apus, "check-config", "--config", generated], capture_output=True, text=True)
    check("check-config accepts the generated default", out.returncode == 0, out.stdout + out.stderr)
    out = subprocess.run([apus, "generate-config", "--output", generated], capture_output=True, text=True)
    check("generate-config refuses to overwrite", out.returncode != 0 and "exists" in out.stderr, out.stderr)

    # generate-key: Synapse format, 0600, readable by signedjson
    keyfile = os.path.join(work, "extra.key")
    out = subprocess.run([apus, "generate-key", "--output", keyfile], capture_output=True, text=True)
    check("generate-key writes a key", out.returncode == 0, out.stderr)
    if out.returncode == 0:
        check("generated key file is mode 0600", stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600)
        with open(keyfile) as f:
            keys = signedjson.key.read_signing_keys(f)
        check("signedjson reads the generated key file", len(keys) == 1 and keys[0].alg == "ed25519")

    # Bad config is refused with the key and line named
    bad = os.path.join(work, "bad.toml")
    with open(bad, "w") as f:
        f.write('server_name = "localhost"\n\n[registration]\nenabeld = true\n')
    out = subprocess.run([apus, "check-config", "--config", bad], capture_output=True, text=True)
    check("check-config rejects an unknown key, naming key and line",
          out.returncode != 0 and "registration.enabeld" in out.stderr and ":4" in out.stderr, out.stderr)
    out = subprocess.run([apus, "serve", "--config", bad], capture_output=True, text=True, timeout=30, cwd=work)
    check("serve refuses to start with a bad config", out.returncode != 0 and "registration.enabeld" in out.stderr,
          out.stderr)
    with open(bad, "w") as f:
        f.write('[[listeners]]\nport = 70000\n')
    out = subprocess.run([apus, "check-config", "--config", bad], capture_output=True, text=True)
    check("check-config rejects a bad port value", out.returncode != 0 and "listeners[0].port" in out.stderr, out.stderr)

    # Certificate for the TLS listener
    cert, key = os.path.join(work, "tls.crt"), os.path.join(work, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)

    plain, tls = free_port(), free_port()
    server_name = f"localhost:{tls}"
    secret = "sh4red-s3cret-never-logged"
    config = os.path.join(work, "apus.toml")
    with open(config, "w") as f:
        f.write(f'''
server_name = "{server_name}"
data_dir = "{work}/data"
public_baseurl = "http://127.0.0.1:{plain}/"

[registration]
shared_secret = "{secret}"

[[listeners]]
bind = "127.0.0.1"
port = {plain}
resources = ["client"]

[[listeners]]
bind = "127.0.0.1"
port = {tls}
resources = ["client", "federation"]
tls = true
tls_certificate = "{cert}"
tls_private_key = "{key}"
''')
    out = subprocess.run([apus, "check-config", "--config", config], capture_output=True, text=True)
    check("check-config accepts the test config", out.returncode == 0, out.stderr)

    notify_path = os.path.join(work, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    server = Server(apus, config, work, notify_path)
    try:
        ready, seen = wait_notify(notify, "READY=1")
        check("systemd READY=1 once listeners are bound", ready, f"{seen}\n{server.output()}")

        status, headers, body = get(f"http://127.0.0.1:{plain}/_matrix/client/versions")
        versions = json.loads(body).get("versions", []) if status == 200 else []
        check("GET /_matrix/client/versions over HTTP", status == 200 and "v1.19" in versions, body)

        ctx = ssl.create_default_context(cafile=cert)
        status, headers, body = get(f"https://localhost:{tls}/_matrix/client/versions", context=ctx)
        check("GET /_matrix/client/versions over HTTPS (certificate verified)", status == 200, body)

        status, headers, body = get(f"https://127.0.0.1:{tls}/_matrix/federation/v1/version", context=ctx)
        check("GET /_matrix/federation/v1/version", status == 200 and json.loads(body)["server"]["name"] == "Apus", body)

        status, headers, body = get(f"https://localhost:{tls}/_matrix/key/v2/server", context=ctx)
        key_response = json.loads(body) if status == 200 else {}
        check("GET /_matrix/key/v2/server", status == 200 and key_response.get("server_name") == server_name, body)
        verified = False
        try:
            (key_id, entry), = key_response["verify_keys"].items()
            verify_key = signedjson.key.decode_verify_key_bytes(key_id, decode_base64(entry["key"]))
            signedjson.sign.verify_signed_json(key_response, server_name, verify_key)
            verified = key_response["valid_until_ts"] > time.time() * 1000
        except Exception as e:  # noqa: BLE001 -- any failure is the finding
            print(f"  verification error: {e!r}")
        check("key response verifies with signedjson and is valid in the future", verified)

        # The key on disk is the published one, in Synapse's format, mode 0600.
        with open(os.path.join(work, "data", "signing.key")) as f:
            disk_key = signedjson.key.read_signing_keys(f)[0]
        published = key_response.get("verify_keys", {})
        check("signing key file is mode 0600",
              stat.S_IMODE(os.stat(os.path.join(work, "data", "signing.key")).st_mode) == 0o600)
        check("published key matches the key file",
              f"ed25519:{disk_key.version}" in published and
              published[f"ed25519:{disk_key.version}"]["key"] ==
              signedjson.key.encode_verify_key_base64(disk_key.verify_key))

        status, _, body = get(f"http://127.0.0.1:{plain}/.well-known/matrix/client")
        check("well-known client gives public_baseurl",
              status == 200 and json.loads(body)["m.homeserver"]["base_url"] == f"http://127.0.0.1:{plain}/", body)
        status, _, body = get(f"http://127.0.0.1:{plain}/_matrix/client/v3/nonexistent")
        check("unknown endpoint is 404 M_UNRECOGNIZED",
              status == 404 and json.loads(body)["errcode"] == "M_UNRECOGNIZED", body)
        status, _, body = get(f"http://127.0.0.1:{plain}/_matrix/client/versions", method="DELETE")
        check("wrong method is 405 M_UNRECOGNIZED", status == 405 and json.loads(body)["errcode"] == "M_UNRECOGNIZED", body)
        get(f"http://127.0.0.1:{plain}/_matrix/client/versions?access_token=tok-never-logged")
        status, _, body = get(f"http://127.0.0.1:{plain}/_matrix/federation/v1/version")
        check("federation routes are absent from a client-only listener", status == 404, body)

        rc = server.stop(signal.SIGTERM)
        stopping, seen = wait_notify(notify, "STOPPING=1", timeout=5)
        check("systemd STOPPING=1 on SIGTERM", stopping, str(seen))
        log = server.output()
        check("SIGTERM stops gracefully with exit code 0", rc == 0 and "Stopped" in log, f"rc={rc}\n{log[-2000:]}")
        check("the shared secret never appears in the logs", secret not in log)
        check("requests are access-logged without query strings (no access tokens)",
              "GET /_matrix/client/versions 200" in log and "tok-never-logged" not in log)

        # Restart: same key, database reopened.
        server = Server(apus, config, work, notify_path)
        ready, _ = wait_notify(notify, "READY=1")
        status, _, body = get(f"https://localhost:{tls}/_matrix/key/v2/server", context=ctx)
        check("restart keeps the same signing key",
              ready and status == 200 and json.loads(body)["verify_keys"] == key_response.get("verify_keys"), body)
        rc = server.stop(signal.SIGINT)
        check("SIGINT stops gracefully too", rc == 0, server.output()[-2000:])
    finally:
        server.stop(signal.SIGKILL, timeout=5)
        notify.close()


if __name__ == "__main__":
    sys.exit(main())
