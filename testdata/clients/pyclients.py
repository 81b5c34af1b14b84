"""Drive mcroute with real client libraries (pymemcache, pylibmc) and check
what they see. Usage: pyclients.py PORT. Exits non-zero on the first
mismatch. Used by cmd/mcroute's TestClientLibraries."""
import sys

port = int(sys.argv[1])
failed = False


def check(what, got, want):
    global failed
    if got != want:
        print("FAIL %s: got %r, want %r" % (what, got, want))
        failed = True


from pymemcache.client.base import Client  # noqa: E402

c = Client(("127.0.0.1", port), timeout=5, connect_timeout=5)
check("set", c.set("a", "1"), True)
check("set expire", c.set("b", "2", expire=100), True)
check("add new", c.add("c", "3", noreply=False), True)
check("add existing", c.add("c", "x", noreply=False), False)
check("get_many", c.get_many(["a", "b", "c", "zz"]), {"a": b"1", "b": b"2", "c": b"3"})
check("incr", c.incr("a", 5), 6)
check("decr", c.decr("a", 2), 4)
check("incr missing", c.incr("nope", 1), None)
v, cas = c.gets("b")
check("gets", v, b"2")
check("cas ok", c.cas("b", "22", cas), True)
check("cas stale", c.cas("b", "23", cas), False)
check("get after cas", c.get("b"), b"22")
check("touch", c.touch("b", 10, noreply=False), True)
check("touch missing", c.touch("nope", 10, noreply=False), False)
check("append", c.append("b", "x", noreply=False), True)
check("prepend", c.prepend("b", "y", noreply=False), True)
check("appended", c.get("b"), b"y22x")
check("delete", c.delete("c", noreply=False), True)
check("delete missing", c.delete("c", noreply=False), False)
check("deleted", c.get("c"), None)
check("noreply set", c.set("n", "v", noreply=True), True)
check("after noreply", c.get("n"), b"v")
big = b"x" * 500000
check("big set", c.set("big", big), True)
check("big get", c.get("big"), big)
check("version", c.version().endswith(b"mcroute"), True)
check("stats", "num_servers" in {k.decode() if isinstance(k, bytes) else k for k in c.stats()}, True)
check("many keys", len(c.get_many(["k%d" % i for i in range(300)])), 0)
c.set_many({"m%d" % i: str(i) for i in range(100)})
check("set_many/get_many", c.get_many(["m%d" % i for i in range(100)]), {"m%d" % i: str(i).encode() for i in range(100)})

import pylibmc  # noqa: E402

m = pylibmc.Client(["127.0.0.1:%d" % port], binary=False)
m.set("p1", "v1")
m.set("p2", b"\x00\x01binary\r\n")
check("pylibmc get_multi", m.get_multi(["p1", "p2", "nope"]), {"p1": "v1", "p2": b"\x00\x01binary\r\n"})
m.set_multi({"q1": 1, "q2": "two", "q3": [1, 2]})
check("pylibmc pickled", m.get_multi(["q1", "q2", "q3"]), {"q1": 1, "q2": "two", "q3": [1, 2]})
check("pylibmc delete", m.delete("p1"), True)
check("pylibmc deleted", m.get("p1"), None)
check("pylibmc incr", m.incr("q1", 4), 5)

sys.exit(1 if failed else 0)
