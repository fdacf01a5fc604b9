#!/usr/bin/env python3
"""Real Matrix clients against the real `apus` binary, on loopback only.

Starts Apus with open registration on a free port, then runs the shared matrix-nio scenario
(`../shared/peers/nio_smoke.py`: register, login, key upload, create a room with an invite,
join through sync, send, receive; then an encrypted room where the two clients share Megolm keys
over Olm to-device messages and decrypt each other's messages) and the matrix-commander CLI scenario
(`../shared/peers/mc_smoke.sh`: password login, join, send, tail) against it. Ends with the line
`N passed, N failed`.
"""
import argparse
import json
import os
import threading
import urllib.parse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RESULTS, check, free_port, passed, summary_line  # noqa: E402



def wait_up(url, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except Exception:  # noqa: BLE001 -- not up yet
            time.sleep(0.2)
    return False


def call(base, method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body or {}).encode() if method != "GET" else None,
                                 headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def durability(apus, config, base, log):
    """kill -9 in the middle of concurrent sends: every send answered 200 is there after a restart."""
    status, reg = call(base, "POST", "/_matrix/client/v3/register",
                       body={"username": "durable", "password": "pw", "auth": {"type": "m.login.dummy"}})
    token = reg.get("access_token")
    status, room = call(base, "POST", "/_matrix/client/v3/createRoom", token, {})
    room_id = room.get("room_id", "")
    acknowledged, stop = [], threading.Event()

    def sender(n):
        i = 0
        while not stop.is_set():
            i += 1
            try:
                code, body = call(base, "PUT", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}"
                                  f"/send/m.room.message/w{n}-{i}", token, {"msgtype": "m.text", "body": f"{n}/{i}"})
            except Exception:  # noqa: BLE001 -- the server died under us: unacknowledged
                return
            if code == 200:
                acknowledged.append(body["event_id"])

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    return threads, stop, acknowledged, token, room_id


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--apus", required=True)
    ap.add_argument("--peers", required=True, help="the shared peers folder (../shared/peers)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="apus-clients-")
    port = free_port()
    config = os.path.join(work, "apus.toml")
    with open(config, "w") as f:
        f.write(f'''server_name = "localhost"
data_dir = "{work}/data"
public_baseurl = "http://127.0.0.1:{port}/"

[registration]
enabled = true

[rate_limits]
enabled = false

[[listeners]]
bind = "127.0.0.1"
port = {port}
resources = ["client"]
''')
    log = open(os.path.join(work, "serve.log"), "wb")
    server = subprocess.Popen([os.path.abspath(args.apus), "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        check("apus starts with open registration", wait_up(f"{base}/_matrix/client/versions"))
        out = subprocess.run([sys.executable, os.path.join(args.peers, "nio_smoke.py"), "--hs", base,
                              "--timeout", "20"], capture_output=True, text=True, timeout=180)
        print(out.stdout, end="")
        check("matrix-nio scenario with E2EE (keys, to-device, Megolm messages decrypted both ways)",
              out.returncode == 0 and "NIO SMOKE PASSED (incl. E2EE)" in out.stdout, out.stderr[-3000:])
        # mc_smoke.sh runs the CLI from $PEERS_DIR/venv-clients: point that at this venv.
        peers_dir = os.path.join(work, "peers")
        os.makedirs(peers_dir)
        os.symlink(os.path.dirname(os.path.dirname(sys.executable)), os.path.join(peers_dir, "venv-clients"))
        out = subprocess.run(["bash", os.path.join(args.peers, "mc_smoke.sh"), base], capture_output=True, text=True,
                             timeout=300, env=dict(os.environ, PEERS_DIR=peers_dir))
        print(out.stdout[-1500:], end="")
        check("matrix-commander scenario (login, join, send, tail)",
              out.returncode == 0 and "MC SMOKE PASSED" in out.stdout, (out.stdout + out.stderr)[-3000:])
        # Durability: kill -9 during concurrent sends, restart, look for every acknowledged event.
        threads, stop, acknowledged, token, room_id = durability(args.apus, config, base, log)
        server.kill()
        server.wait()
        stop.set()
        for t in threads:
            t.join()
        server = subprocess.Popen([os.path.abspath(args.apus), "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
        wait_up(f"{base}/_matrix/client/versions")
        missing = [e for e in acknowledged
                   if call(base, "GET", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}"
                                        f"/event/{urllib.parse.quote(e, safe='')}", token)[0] != 200]
        check(f"kill -9 during {len(acknowledged)} acknowledged sends loses none", len(acknowledged) > 20 and not missing,
              f"{len(missing)} of {len(acknowledged)} missing")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            rc = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            rc = None
        log.close()
        check("apus stops cleanly after the client run", rc == 0)
        if not all(ok for _, ok in RESULTS):
            with open(os.path.join(work, "serve.log"), errors="replace") as f:
                print(f.read()[-4000:])
        shutil.rmtree(work, ignore_errors=True)
    print(summary_line())
    return 0 if passed()[1] else 1


if __name__ == "__main__":
    sys.exit(main())
