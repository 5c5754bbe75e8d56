#!/usr/bin/env python3
"""Pushes N distinct images to a local registry, fast, for the benchmark.

Every image is the rig's busybox root filesystem (one layer, taken from
`docker save` of the rig's test image) with its own configuration: the
labels bench.image=I and bench.version=V make each (I, V) a distinct image
ID.  The layer is uploaded once and mounted into every repository; each
image then costs one config upload and one manifest, a few milliseconds,
where `docker import` + `docker push` would take a second.

    regimages.py --registry 127.0.0.1:PORT --save DIR --count N \
        --version V [--prefix bench]

DIR is an extracted `docker save` archive of a one-layer image.  Repository
I is PREFIX-III (three digits), tag 1.  Only 127.0.0.1 is ever contacted.
"""
import argparse
import gzip
import hashlib
import http.client
import json
import os
import sys

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, hostport):
        host, port = hostport.rsplit(":", 1)
        if host != "127.0.0.1":
            sys.exit("regimages.py: only 127.0.0.1 registries are used")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def call(self, method, path, body=None, headers=None, ok=(200,)):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        if r.status not in ok:
            sys.exit("regimages.py: %s %s: HTTP %d, expected %s: %s" %
                     (method, path, r.status, ok, data[:300]))
        return r, data

    def has_blob(self, repo, digest):
        self.conn.request("HEAD", "/v2/%s/blobs/%s" % (repo, digest))
        r = self.conn.getresponse()
        r.read()
        return r.status == 200

    def upload(self, repo, data, digest):
        if self.has_blob(repo, digest):
            return
        r, _ = self.call("POST", "/v2/%s/blobs/uploads/" % repo, b"",
                         ok=(202,))
        loc = r.getheader("Location")
        if "://" in loc:
            loc = "/" + loc.split("://", 1)[1].split("/", 1)[1]
        sep = "&" if "?" in loc else "?"
        self.call("PUT", "%s%sdigest=%s" % (loc, sep, digest), data,
                  {"Content-Type": "application/octet-stream"}, ok=(201,))

    def mount(self, repo, digest, source):
        if self.has_blob(repo, digest):
            return
        self.call("POST", "/v2/%s/blobs/uploads/?mount=%s&from=%s" %
                  (repo, digest, source), b"", ok=(201, 202))
        if not self.has_blob(repo, digest):
            sys.exit("regimages.py: mounting %s into %s failed" %
                     (digest, repo))


def load_save(d):
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)[0]
    if len(m["Layers"]) != 1:
        sys.exit("regimages.py: %s: expected a one-layer image" % d)
    with open(os.path.join(d, m["Config"])) as f:
        config = json.load(f)
    with open(os.path.join(d, m["Layers"][0]), "rb") as f:
        layer = f.read()
    return config, layer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--save", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--prefix", default="bench")
    a = ap.parse_args()

    base, layer = load_save(a.save)
    cache = os.path.join(a.save, "layer.tar.gz")
    if not os.path.exists(cache):
        with open(cache + ".tmp", "wb") as f:
            f.write(gzip.compress(layer, mtime=0))
        os.rename(cache + ".tmp", cache)
    with open(cache, "rb") as f:
        gz = f.read()
    layer_digest = sha(gz)
    reg = Registry(a.registry)
    first = "%s-%03d" % (a.prefix, 1)
    reg.upload(first, gz, layer_digest)
    for i in range(1, a.count + 1):
        repo = "%s-%03d" % (a.prefix, i)
        reg.mount(repo, layer_digest, first)
        cfg = dict(base)
        cfg["config"] = dict(base.get("config") or {})
        cfg["config"]["Labels"] = {"bench.image": str(i),
                                   "bench.version": a.version}
        cfg.pop("container_config", None)
        cfg_bytes = json.dumps(cfg, sort_keys=True).encode()
        cfg_digest = sha(cfg_bytes)
        reg.upload(repo, cfg_bytes, cfg_digest)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_V2,
            "config": {"mediaType": CONFIG_V1, "size": len(cfg_bytes),
                       "digest": cfg_digest},
            "layers": [{"mediaType": LAYER_GZIP, "size": len(gz),
                        "digest": layer_digest}],
        }
        reg.call("PUT", "/v2/%s/manifests/1" % repo,
                 json.dumps(manifest).encode(),
                 {"Content-Type": MANIFEST_V2}, ok=(201,))


if __name__ == "__main__":
    main()
