#!/usr/bin/env python3
"""Federation between the real `apus` binary and the real Synapse 1.163 (../shared/peers), over
TLS on loopback.

Starts Apus (client port plain, federation port TLS with the peers' test-CA certificate) and a
fresh Synapse peer, then checks, in both directions: the shared fed_smoke.py scenario; joins and
messages in rooms of versions 10, 11 and 12 created by either side; 200 messages each way;
name/topic/power-level changes; redactions; kick, ban and leave; /messages back past the join
(backfill); knocking; space hierarchies (a user of each server lists a space of the other's,
children fetched with federation /hierarchy) and a join of its restricted child; OpenID tokens checked at the issuer's federation
listener (openid/userinfo); media uploaded on one server downloaded through the other; matrix-nio E2EE between a user on each server (keys queried and claimed and
to-device messages sent over federation); a real fork (both servers change the topic while a relay cuts them apart) resolved
to the same state on both; a leave while the other server is down, reconciled when it returns.
Ends with the line `N passed, N failed`. `--only spaces-openid` runs just those checks (quicker
while working on them).
"""
import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RESULTS, check, free_port, passed, summary_line  # noqa: E402


class Proxy:
    """A TCP relay in front of a federation port (TLS passes through untouched), which can cut
    the link: the servers' names point at the relays, so a test can partition them."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.up = True
        self.conns = []
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def set_up(self, up):
        self.up = up
        if not up:
            with self.lock:
                for c in self.conns:
                    try:
                        c.shutdown(socket.SHUT_RDWR)
                        c.close()
                    except OSError:
                        pass
                self.conns = []


APUS_CONFIG = """server_name = "127.0.0.1:{name_port}"
data_dir = "{data}"
public_baseurl = "http://127.0.0.1:{client}/"
[[listeners]]
bind = "127.0.0.1"
port = {client}
resources = ["client"]
[[listeners]]
bind = "127.0.0.1"
port = {fed}
resources = ["federation"]
tls = true
tls_certificate = "{certs}/server.crt"
tls_private_key = "{certs}/server.key"
[registration]
enabled = true
[federation]
extra_ca_files = ["{certs}/ca.crt"]
allow_private_destinations = true
[rate_limits]
enabled = false
[log]
access_log = false
"""


class Peers:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="apus-fed-")
        self.apus_client, self.apus_fed = free_port(), free_port()
        self.syn_client, self.syn_fed = free_port(), free_port()
        # Each server is named after its relay's port, so all federation traffic goes through them.
        self.apus_proxy, self.syn_proxy = Proxy(self.apus_fed), Proxy(self.syn_fed)
        self.apus_proc = None
        self.env = dict(os.environ, PEERS_DIR=args.peers_dir, SERVER_NAME=f"127.0.0.1:{self.syn_proxy.port}", FRESH="1")

    def partition(self, cut):
        self.apus_proxy.set_up(not cut)
        self.syn_proxy.set_up(not cut)

    @property
    def apus_url(self):
        return f"http://127.0.0.1:{self.apus_client}"

    @property
    def syn_url(self):
        return f"http://127.0.0.1:{self.syn_client}"

    def start_apus(self):
        config = os.path.join(self.tmp, "apus.toml")
        with open(config, "w") as f:
            f.write(APUS_CONFIG.format(name_port=self.apus_proxy.port, fed=self.apus_fed, client=self.apus_client, data=os.path.join(self.tmp, "data"),
                                       certs=os.path.join(self.args.peers_dir, "certs")))
        self.apus_log = open(os.path.join(self.tmp, "apus.log"), "a")
        self.apus_proc = subprocess.Popen([self.args.apus, "serve", "--config", config], stdout=self.apus_log, stderr=subprocess.STDOUT)

    def start_synapse(self, fresh=True):
        env = dict(self.env, FRESH="1" if fresh else "0")
        out = subprocess.run(["bash", os.path.join(self.args.peers, "synapse-start.sh"), "apus-fed-peer", str(self.syn_fed),
                              str(self.syn_client)], env=env, capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError(f"synapse-start failed: {out.stdout}\n{out.stderr}")

    def stop_synapse(self):
        subprocess.run(["bash", os.path.join(self.args.peers, "synapse-stop.sh"), "apus-fed-peer"], env=self.env,
                       capture_output=True, timeout=60)

    def stop(self):
        self.stop_synapse()
        if self.apus_proc:
            self.apus_proc.terminate()
            try:
                self.apus_proc.wait(20)
            except subprocess.TimeoutExpired:
                self.apus_proc.kill()

    def nio_smoke(self, a, b):
        out = subprocess.run([sys.executable, os.path.join(self.args.peers, "nio_smoke.py"), "--hs", a, "--hs-b", b],
                             capture_output=True, text=True, timeout=300)
        return out.returncode == 0 and "NIO SMOKE PASSED (incl. E2EE)" in out.stdout, out.stdout[-1500:] + out.stderr[-1500:]

    def fed_smoke(self, a, b):
        out = subprocess.run([sys.executable, os.path.join(self.args.peers, "fed_smoke.py"), "--a", a, "--b", b, "--timeout", "30"],
                             capture_output=True, text=True, timeout=300)
        return out.returncode == 0 and "FEDERATION SMOKE PASSED" in out.stdout, out.stdout[-1500:] + out.stderr[-1500:]


async def scenarios(peers):
    import aiohttp
    from mx import Client, wait_ready, MatrixError, q

    async def state(client, room, typ, key=""):
        return (await client.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/state/{typ}/{q(key)}", ok=(200, 404)))

    async def eventually(fn, deadline=30.0):
        end = time.monotonic() + deadline
        last = None
        while time.monotonic() < end:
            try:
                last = await fn()
                if last:
                    return last
            except MatrixError as e:
                last = e
            await asyncio.sleep(0.3)
        return None

    async def bodies(client, room, limit=500):
        hist = await client.messages(room, limit=limit)
        return [e.get("content", {}).get("body") for e in hist.get("chunk", []) if e.get("type") == "m.room.message"]

    async with aiohttp.ClientSession() as s:
        await wait_ready(s, peers.apus_url)
        await wait_ready(s, peers.syn_url)
        tag = os.urandom(3).hex()
        apus, syn = Client(s, peers.apus_url), Client(s, peers.syn_url)
        await apus.register(f"ap_{tag}", "pw-" + tag)
        await syn.register(f"sy_{tag}", "pw-" + tag)
        servers = {apus: f"127.0.0.1:{peers.apus_proxy.port}", syn: f"127.0.0.1:{peers.syn_proxy.port}"}
        names = {apus: "Apus", syn: "Synapse"}

        await spaces_and_openid(peers, s, apus, syn, servers, names, tag)
        if peers.args.only == "spaces-openid":
            return

        # Media across servers: uploaded on one, downloaded through the other's authenticated API.
        for owner, reader in ((apus, syn), (syn, apus)):
            label = f"media uploaded on {names[owner]} is downloaded through {names[reader]}"
            try:
                payload = os.urandom(40_000)
                async with s.post(owner.base + "/_matrix/media/v3/upload", params={"filename": "avatar.png"}, data=payload,
                                  headers={"Authorization": f"Bearer {owner.token}", "Content-Type": "image/png"}) as r:
                    uri = (await r.json())["content_uri"]
                server, media_id = uri[len("mxc://"):].split("/", 1)
                async with s.get(f"{reader.base}/_matrix/client/v1/media/download/{server}/{media_id}",
                                 headers={"Authorization": f"Bearer {reader.token}"}) as r:
                    body = await r.read()
                    check(label, r.status == 200 and body == payload, f"HTTP {r.status}, {len(body)} bytes")
            except Exception as e:  # noqa: BLE001
                check(label, False, repr(e))

        # Knocking, both ways: the knock reaches the room's server, an invite answers it.
        for owner, knocker in ((syn, apus), (apus, syn)):
            label = f"{names[knocker]} user knocks on a {names[owner]} room, is invited and joins"
            try:
                room = await owner.create_room(preset="private_chat", name=f"knock-{tag}",
                                               initial_state=[{"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "knock"}}])
                await knocker.req("POST", f"/_matrix/client/v3/knock/{q(room)}", {"reason": "hi"},
                                  params=[("server_name", servers[owner])])

                async def knocked():
                    st, m = await state(owner, room, "m.room.member", knocker.user_id)
                    return m.get("membership") == "knock"
                ok = await eventually(knocked)
                await owner.invite(room, knocker.user_id)
                await eventually(lambda: _invited(knocker, room))
                await knocker.join(room, via=[servers[owner]])
                check(label, ok and room in (await knocker.req("GET", "/_matrix/client/v3/joined_rooms"))[1]["joined_rooms"])
            except Exception as e:  # noqa: BLE001
                check(label, False, repr(e))

        # Room versions 10, 11, 12 created by either side, joined by the other.
        for creator, joiner in ((apus, syn), (syn, apus)):
            for version in ("10", "11", "12"):
                label = f"v{version} room created by {names[creator]}, joined by {names[joiner]}"
                try:
                    room = await creator.create_room(preset="public_chat", room_version=version, name=f"v{version}-{tag}")
                    await joiner.join(room, via=[servers[creator]])
                    await creator.send_text(room, f"{label} ping")
                    await joiner.wait_for_message(room, f"{label} ping", None, 30)
                    await joiner.send_text(room, f"{label} pong")
                    await creator.wait_for_message(room, f"{label} pong", None, 30)
                    check(label + ": messages both ways", True)
                except Exception as e:  # noqa: BLE001
                    check(label + ": messages both ways", False, repr(e))

        # One room per direction for the rest.
        for owner, guest in ((apus, syn), (syn, apus)):
            who = f"{names[owner]} room, {names[guest]} guest"
            try:
                room = await owner.create_room(preset="public_chat", name=f"main-{tag}")
                # History before the guest joins: the guest pages back past its join (backfill).
                for n in range(30):
                    await owner.send_text(room, f"early {n}")
                await guest.join(room, via=[servers[owner]])
                early = await eventually(lambda: _has_all(guest, room, [f"early {n}" for n in range(30)], bodies), 30)
                check(f"{who}: /messages back past the join (backfill)", early)

                for n in range(200):
                    await owner.send_text(room, f"o{n}")
                for n in range(200):
                    await guest.send_text(room, f"g{n}")
                want = [f"o{n}" for n in range(200)] + [f"g{n}" for n in range(200)]
                got_g = await eventually(lambda: _has_all(guest, room, want, bodies), 60)
                got_o = await eventually(lambda: _has_all(owner, room, want, bodies), 60)
                check(f"{who}: 200 messages each way, all seen on both sides", got_g and got_o)

                await owner.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.name/", {"name": f"renamed-{tag}"})
                await owner.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.topic/", {"topic": f"topic-{tag}"})
                _, pl = await owner.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.power_levels/")
                pl.setdefault("users", {})[guest.user_id] = 50
                await owner.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.power_levels/", pl)

                async def state_seen():
                    n = await state(guest, room, "m.room.name")
                    t = await state(guest, room, "m.room.topic")
                    p = await state(guest, room, "m.room.power_levels")
                    return (n[1].get("name") == f"renamed-{tag}" and t[1].get("topic") == f"topic-{tag}"
                            and p[1].get("users", {}).get(guest.user_id) == 50)
                check(f"{who}: name, topic and power levels reach the guest", await eventually(state_seen))

                secret = await guest.send_text(room, f"to be redacted {tag}")
                await owner.wait_for_message(room, f"to be redacted {tag}", None, 30)
                await guest.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/redact/{q(secret)}/r{tag}", {"reason": "oops"})

                async def redacted():
                    _, ev = await owner.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/event/{q(secret)}")
                    return "body" not in ev.get("content", {}) and "redacted_because" in ev.get("unsigned", {})
                check(f"{who}: the guest's redaction is applied by the owner's server", await eventually(redacted))

                await owner.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/kick", {"user_id": guest.user_id, "reason": "test"})

                async def kicked():
                    st, m = await state(owner, room, "m.room.member", guest.user_id)
                    members = await guest.req("GET", f"/_matrix/client/v3/joined_rooms")
                    return m.get("membership") == "leave" and room not in members[1].get("joined_rooms", [])
                check(f"{who}: kick reaches the guest's server", await eventually(kicked))

                await guest.join(room, via=[servers[owner]])
                await owner.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/ban", {"user_id": guest.user_id, "reason": "test"})

                async def banned_and_refused():
                    st, m = await state(owner, room, "m.room.member", guest.user_id)
                    if m.get("membership") != "ban":
                        return False
                    try:
                        await guest.join(room, via=[servers[owner]])
                        return False
                    except MatrixError as e:
                        return e.status == 403
                check(f"{who}: ban reaches the guest's server and a rejoin is refused", await eventually(banned_and_refused))
            except Exception as e:  # noqa: BLE001
                check(f"{who}: scenario ran", False, traceback.format_exc()[-1500:])

        # A real fork: both servers change the topic while cut off from each other; once the link
        # is back, state resolution must pick the same topic on both.
        try:
            room = await syn.create_room(preset="public_chat", name=f"fork-{tag}")
            await apus.join(room, via=[servers[syn]])
            _, pl = await syn.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.power_levels/")
            pl.setdefault("users", {})[apus.user_id] = 100
            await syn.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.power_levels/", pl)

            async def apus_has_power():
                st, p = await state(apus, room, "m.room.power_levels")
                return p.get("users", {}).get(apus.user_id) == 100
            assert await eventually(apus_has_power), "power level never reached Apus"
            peers.partition(True)
            await apus.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.topic/", {"topic": f"apus side {tag}"})
            await syn.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.topic/", {"topic": f"synapse side {tag}"})
            await apus.send_text(room, f"apus during the split {tag}")
            await syn.send_text(room, f"synapse during the split {tag}")
            await asyncio.sleep(1)
            peers.partition(False)
            # Something new from each side after the split, so each learns the other's fork.
            await apus.send_text(room, f"apus after the split {tag}")
            await syn.send_text(room, f"synapse after the split {tag}")

            async def converged():
                ta = (await state(apus, room, "m.room.topic"))[1].get("topic")
                ts = (await state(syn, room, "m.room.topic"))[1].get("topic")
                wanted = [f"{w} the split {tag}" for w in ("apus during", "synapse during", "apus after", "synapse after")]
                both = await _has_all(apus, room, wanted, bodies) and await _has_all(syn, room, wanted, bodies)
                return ta == ts and ta in (f"apus side {tag}", f"synapse side {tag}") and both
            check("a fork (both sides change the topic while cut off) resolves to the same state on both", await eventually(converged, 90))
        except Exception:  # noqa: BLE001
            peers.partition(False)
            check("fork scenario ran", False, traceback.format_exc()[-1500:])

        # A leave while Synapse is down reconciles once it returns.
        try:
            room = await syn.create_room(preset="public_chat", name=f"offline-{tag}")
            await apus.join(room, via=[servers[syn]])
            await apus.send_text(room, f"before the outage {tag}")
            await syn.wait_for_message(room, f"before the outage {tag}", None, 30)
            peers.stop_synapse()
            await apus.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/leave", {})
            peers.start_synapse(fresh=False)
            await wait_ready(s, peers.syn_url)

            async def reconciled():
                st, m = await state(syn, room, "m.room.member", apus.user_id)
                return m.get("membership") == "leave"
            check("leave while Synapse was down is reconciled when it returns", await eventually(reconciled, 60))
        except Exception as e:  # noqa: BLE001
            check("offline leave scenario ran", False, traceback.format_exc()[-1500:])


async def spaces_and_openid(peers, s, apus, syn, servers, names, tag):
    import ssl
    from mx import q

    # Space hierarchy, both ways: the viewer's server is in the space (Synapse asks only the servers
    # of rooms it is in), not in its children, which it asks the owner's server about.
    for owner, viewer in ((apus, syn), (syn, apus)):
        label = f"{names[viewer]} lists the hierarchy of a space on {names[owner]} (children over federation /hierarchy)"
        try:
            space = await owner.create_room(preset="public_chat", name=f"space-{tag}", creation_content={"type": "m.space"})
            public = await owner.create_room(preset="public_chat", name=f"public-{tag}")
            private = await owner.create_room(preset="private_chat", name=f"private-{tag}")
            members = await owner.create_room(preset="private_chat", name=f"members-{tag}", room_version="10", initial_state=[
                {"type": "m.room.join_rules", "state_key": "",
                 "content": {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": space}]}}])
            sub = await owner.create_room(preset="public_chat", name=f"sub-{tag}", creation_content={"type": "m.space"})
            deep = await owner.create_room(preset="public_chat", name=f"deep-{tag}")
            for parent, child in ((space, public), (space, private), (space, members), (space, sub), (sub, deep)):
                await owner.req("PUT", f"/_matrix/client/v3/rooms/{q(parent)}/state/m.space.child/{q(child)}", {"via": [servers[owner]]})
            await viewer.join(space, via=[servers[owner]])
            # The private room is hidden; the restricted one shows, as the viewer is in the space.
            want = {space: f"space-{tag}", public: f"public-{tag}", members: f"members-{tag}", sub: f"sub-{tag}", deep: f"deep-{tag}"}
            got = {}

            async def listed():
                nonlocal got
                _, h = await viewer.req("GET", f"/_matrix/client/v1/rooms/{q(space)}/hierarchy")
                got = {r["room_id"]: r.get("name") for r in h.get("rooms", [])}
                return got == want and h["rooms"][0]["room_id"] == space
            check(label, await eventually_true(listed), f"got {got}, want {want}")
        except Exception:  # noqa: BLE001
            check(label, False, traceback.format_exc()[-1500:])
            continue
        # The restricted child admits the space's member: the owner's server vouches and signs.
        label = f"{names[viewer]} user in the space joins its restricted room on {names[owner]}"
        try:
            await viewer.join(members, via=[servers[owner]])
            _, m = await viewer.req("GET", f"/_matrix/client/v3/rooms/{q(members)}/state/m.room.member/{q(viewer.user_id)}")
            check(label, m.get("membership") == "join" and m.get("join_authorised_via_users_server") == owner.user_id, f"member {m}")
        except Exception:  # noqa: BLE001
            check(label, False, traceback.format_exc()[-1500:])

    # OpenID: a token from either server is exchanged at the federation listener its
    # `matrix_server_name` leads to, as an integration manager would; unknown tokens are refused.
    context = ssl.create_default_context(cafile=os.path.join(peers.args.peers_dir, "certs", "ca.crt"))
    for issuer in (apus, syn):
        label = f"OpenID token issued by {names[issuer]} is exchanged at its openid/userinfo"
        try:
            _, token = await issuer.req("POST", f"/_matrix/client/v3/user/{q(issuer.user_id)}/openid/request_token", {})
            url = f"https://{token['matrix_server_name']}/_matrix/federation/v1/openid/userinfo"
            async with s.get(url, params={"access_token": token["access_token"]}, ssl=context) as r:
                body = await r.json(content_type=None)
                ok = (r.status == 200 and body.get("sub") == issuer.user_id and token.get("token_type") == "Bearer"
                      and token.get("expires_in", 0) > 0 and token["matrix_server_name"] == servers[issuer])
            async with s.get(url, params={"access_token": "not-a-token"}, ssl=context) as r:
                refused = await r.json(content_type=None)
                ok = ok and r.status == 401 and refused.get("errcode") == "M_UNKNOWN_TOKEN"
            check(label, ok, f"token {token}, userinfo {body}, unknown {refused}")
        except Exception:  # noqa: BLE001
            check(label, False, traceback.format_exc()[-1500:])


async def eventually_true(fn, deadline=30.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if await fn():
                return True
        except Exception:  # noqa: BLE001
            pass
        await asyncio.sleep(0.5)
    return False


async def _invited(client, room):
    sync = await client.sync()
    return room in sync.get("rooms", {}).get("invite", {})


async def _has_all(client, room, wanted, bodies):
    got = set(await bodies(client, room, limit=1000))
    return all(w in got for w in wanted)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apus", required=True)
    ap.add_argument("--peers", required=True, help="../shared/peers")
    ap.add_argument("--peers-dir", default=os.environ.get("PEERS_DIR", "/tmp/peers"))
    ap.add_argument("--only", choices=["spaces-openid"], help="run only these checks")
    args = ap.parse_args()
    args.apus = os.path.abspath(args.apus)
    args.peers = os.path.abspath(args.peers)
    sys.path.insert(0, args.peers)
    peers = Peers(args)
    try:
        peers.start_apus()
        peers.start_synapse()
        if not args.only:
            ok, detail = peers.fed_smoke(peers.apus_url, peers.syn_url)
            check("fed_smoke.py with Apus as A and Synapse as B", ok, detail)
            ok, detail = peers.fed_smoke(peers.syn_url, peers.apus_url)
            check("fed_smoke.py with Synapse as A and Apus as B", ok, detail)
            ok, detail = peers.nio_smoke(peers.apus_url, peers.syn_url)
            check("nio_smoke.py E2EE across federation: Apus user and Synapse user exchange Megolm messages", ok, detail)
            ok, detail = peers.nio_smoke(peers.syn_url, peers.apus_url)
            check("nio_smoke.py E2EE across federation: Synapse user and Apus user exchange Megolm messages", ok, detail)
        asyncio.run(scenarios(peers))
    except Exception:  # noqa: BLE001
        check("federation interop ran", False, traceback.format_exc()[-2000:])
    finally:
        peers.stop()
        if not passed()[1]:
            with open(os.path.join(peers.tmp, "apus.log")) as f:
                print("--- apus log (tail) ---\n" + "".join(f.readlines()[-60:]))
        else:
            shutil.rmtree(peers.tmp, ignore_errors=True)
    print(summary_line())
    sys.exit(0 if passed()[1] else 1)


if __name__ == "__main__":
    main()
