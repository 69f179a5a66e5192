#!/usr/bin/python3
"""gen_esp_rig.py — the inputs of perf/ipsec/esp_bench.sh: ESP through the whole pipeline on the
standard one-core rig (shared/DESIGN.md "Performance"). Seeded: the same arguments give
byte-identical files (keys, flows, payloads, ESP IVs).

Writes into --out-dir:

  plain-SIZE.pcap      1,024 UDP/IPv4 flows (--flows), one packet each: 10.0.1.2-254 ->
                       10.9.x.y (1,024 distinct destinations in 10.9.0.0/16), distinct
                       (src, dst, sport, dport), TTL 64, DF, valid checksums, dst MAC
                       02:00:00:00:00:01 (wildside's eth0). The input of the encrypt rig, of the
                       SP-bypass rig and of testpmd's encrypt-side ceiling.
  esp-ALG-SIZE.pcap    the decrypt rig's input: each flow's packet as the peer 192.0.2.2 sends it
                       through SA 0x2001 to 10.0.1.1 (eth0's address), ESP tunnel mode, sequence
                       numbers 1..1,024, IVs drawn from the seed; the inner packet 10.9.x.y ->
                       10.200.x.y (routed via 192.0.2.2 on eth1 once decrypted).
  enc-ALG.conf         route-based encrypt rig: xfrm interface ipsec0 (if_id 7) on eth1, route
                       10.9.0.0/16 dev ipsec0, one SA 0x1001 192.0.2.1 -> 192.0.2.2, one `dir out`
                       policy; the outer packet leaves eth1 to 192.0.2.2 (static neighbour).
  dec-ALG.conf         decrypt rig: SA 0x2001 192.0.2.2 -> 10.0.1.1 with `replay-window 0` (the
                       pcap PMD's infinite_rx replays the same sequence numbers: anti-replay off),
                       one `dir fwd` policy with its template, route 10.200.0.0/16 via 192.0.2.2.
  bypass.conf          SP bypass: plain-SIZE.pcap forwarded (10.9.0.0/16 via 192.0.2.2 dev eth1),
                       an SPD of one `dir out` policy without template (bypass), no SA, no crypto.
  plain.conf           the same forwarding with no xfrm configuration at all (no SPD).
  secgw-gcm128.cfg, secgw-bypass.cfg   (with gcm128) the same rigs for DPDK's ipsec-secgw example:
                       SA 4097 (0x1001) out, SA 8193 (0x2001) in, same keys; SP bypass.
  rig.json             keys, flows, and the frame sizes incl. FCS: frames[ALG][SIZE] = plaintext,
                       ESP frame in (decrypt: wire_frame_*), ESP frame out (encrypt: enc_wire_frame_*).
  (the .conf files hold the placeholder @ETH0_DEVARGS@ that esp_bench.sh fills per run)

SIZE is the Ethernet frame on the wire INCLUDING the 4-byte FCS (RFC 2544; as gen_rig.py), or
`imix`: crypto_bench's IMIX, the 12-packet pattern 64, 576, 64, 64, 1420, 64, 576, 64, 576, 64,
576, 64 (7:4:1 of 64/576/1420 B) over the flows in order. For encrypt the size is the PLAINTEXT
frame (the ESP frame that leaves is larger); for decrypt it is the DECRYPTED frame that leaves
eth1, and the ESP frame that arrives is larger (both are in rig.json and the report). A 64 B
frame holds a 46-byte IPv4 packet (20 IPv4 + 8 UDP + 18 payload), a 1420 B frame 1402 bytes.

  /usr/bin/python3 perf/ipsec/gen_esp_rig.py --sizes 64,512,1420,imix --seed 1 --out-dir perf/out/esp
Prints one JSON object: {"conf": {NAME: path}, "pcap": {"plain": {SIZE: path}, ALG: {SIZE: path}},
"frames": {...}}.
"""
import argparse
import json
import os
import random
import sys

ETH0_MAC = "02:00:00:00:00:01"
ETH1_MAC = "02:00:00:00:00:02"
PEER0_MAC = "02:00:00:00:01:02"   # the sender on eth0's side
PEER1_MAC = "02:00:00:00:02:02"   # 192.0.2.2 on eth1
FCS = 4
VERSION = 3  # of the files' contents: bump on any change, so that stale files are regenerated
IMIX = [64, 576, 64, 64, 1420, 64, 576, 64, 576, 64, 576, 64]  # perf/crypto_bench.cc ring_sizes()

# name: (xfrm algorithm line, scapy crypt, scapy auth, key bytes (with salt), auth key bytes,
#        ICV bytes, IV bytes, extra state words)
ALGS = {
    "gcm128": ("aead 'rfc4106(gcm(aes))' 0x{key} 128", "AES-GCM", None, 20, 0, 16, 8, ""),
    "gcm256": ("aead 'rfc4106(gcm(aes))' 0x{key} 128", "AES-GCM", None, 36, 0, 16, 8, ""),
    "chacha": ("aead 'rfc7539esp(chacha20,poly1305)' 0x{key} 128", "CHACHA20-POLY1305", None, 36, 0, 16, 8, ""),
    "chacha-sodium": ("aead 'rfc7539esp(chacha20,poly1305)' 0x{key} 128", "CHACHA20-POLY1305", None, 36, 0, 16,
                      8, " engine sodium"),
    "cbc-sha256": ("enc 'cbc(aes)' 0x{key} auth-trunc 'hmac(sha256)' 0x{akey} 128", "AES-CBC", "SHA2-256-128",
                   16, 32, 16, 16, ""),
    "cbc-sha1": ("enc 'cbc(aes)' 0x{key} auth-trunc 'hmac(sha1)' 0x{akey} 96", "AES-CBC", "HMAC-SHA1-96",
                 16, 20, 12, 16, ""),
}

COMMON = """\
ip link add eth0 type dpdk devargs @ETH0_DEVARGS@
ip link add eth1 type dpdk devargs net_null0,no-rx=1
ip link set eth0 address {eth0}
ip link set eth1 address {eth1}
ip link set eth0 up
ip link set eth1 up
ip addr add 10.0.1.1/24 dev eth0
ip addr add 192.0.2.1/24 dev eth1
ip neigh add 192.0.2.2 lladdr {peer1} dev eth1
""".format(eth0=ETH0_MAC, eth1=ETH1_MAC, peer1=PEER1_MAC)


def sizes_of(size, n):
    """The frame size (incl. FCS) of each of n flows for SIZE (an int or 'imix')."""
    return [IMIX[i % len(IMIX)] if size == "imix" else int(size) for i in range(n)]


def make_flows(seed, n):
    rng = random.Random(seed * 7919 + n)
    flows, dsts, keys = [], set(), set()
    while len(flows) < n:
        i = len(flows)
        d = rng.randrange(1, 65535)            # 10.9.0.1 .. 10.9.255.254, distinct
        if d in dsts or d & 255 in (0, 255):
            continue
        sport, dport = rng.randrange(1024, 65536), rng.randrange(1024, 65536)
        src = "10.0.1.%d" % (2 + i % 253)
        key = (src, d, sport, dport)
        if key in keys:
            continue
        dsts.add(d)
        keys.add(key)
        flows.append({"src": src, "dst": "10.9.%d.%d" % (d >> 8, d & 255), "sport": sport, "dport": dport,
                      # decrypt rig: inner 10.9.x.y -> 10.200.x.y
                      "dec_src": "10.9.%d.%d" % (d >> 8, d & 255),
                      "dec_dst": "10.200.%d.%d" % (i >> 8, 1 + (i & 255) % 254)})
    return flows


def udp_packet(src, dst, sport, dport, ip_len, i):
    from scapy.all import IP, UDP, Raw
    p = IP(src=src, dst=dst, ttl=64, flags="DF", id=i & 0xFFFF, tos=0) / UDP(sport=sport, dport=dport)
    pad = ip_len - len(p)
    if pad < 0:
        raise SystemExit("gen_esp_rig: an IPv4 packet of %d bytes cannot hold IPv4+UDP" % ip_len)
    p = p / Raw(bytes((i + j) & 0xFF for j in range(pad)))
    return IP(bytes(p))


def write_pcap(path, frames):
    from scapy.all import wrpcap
    for f in frames:
        f.time = 0
    wrpcap(path, frames)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="64,512,1420,imix", help="frame sizes on the wire incl. FCS, or imix")
    ap.add_argument("--algs", default=",".join(ALGS))
    ap.add_argument("--flows", type=int, default=1024, help="the rig's standard is 1,024")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out-dir", default="perf/out/esp")
    a = ap.parse_args()
    sizes = [s for s in a.sizes.split(",") if s]
    algs = [x for x in a.algs.split(",") if x]
    for x in algs:
        if x not in ALGS:
            raise SystemExit("gen_esp_rig: unknown algorithm %s (known: %s)" % (x, ", ".join(ALGS)))
    for s in sizes:
        if s != "imix" and (not s.isdigit() or int(s) < 64 or int(s) > 1500):
            raise SystemExit("gen_esp_rig: size %s: 64..1500 or imix" % s)
    if not 1 <= a.flows <= 65000:
        raise SystemExit("gen_esp_rig: --flows 1..65000")
    os.makedirs(a.out_dir, exist_ok=True)
    o = lambda name: os.path.join(a.out_dir, name)
    tag = "" if a.flows == 1024 else "-f%d" % a.flows
    args = {"version": VERSION, "sizes": sizes, "algs": algs, "flows": a.flows, "seed": a.seed}

    # Reused when rig.json says the same arguments and every file is there (scapy takes ~15 s
    # a size).
    try:
        with open(o("rig%s.json" % tag)) as f:
            old = json.load(f)
        files = list(old["outputs"]["conf"].values()) + [p for d in old["outputs"]["pcap"].values()
                                                         for p in d.values()]
        if old.get("args") == args and all(os.path.exists(p) for p in files):
            print(json.dumps(old["outputs"]))
            return
    except (OSError, ValueError, KeyError):
        pass

    import warnings
    warnings.filterwarnings("ignore")
    from scapy.all import Ether, IP
    from scapy.layers.ipsec import ESP, SecurityAssociation

    rng = random.Random(a.seed * 104723 + 17)
    flows = make_flows(a.seed, a.flows)
    keys = {}
    for x in ALGS:  # drawn for every algorithm, in a fixed order, so a subset keeps its keys
        _, _, _, klen, alen, _, _, _ = ALGS[x]
        keys[x] = {"enc": bytes(rng.getrandbits(8) for _ in range(klen)),
                   "enc_auth": bytes(rng.getrandbits(8) for _ in range(alen)),
                   "dec": bytes(rng.getrandbits(8) for _ in range(klen)),
                   "dec_auth": bytes(rng.getrandbits(8) for _ in range(alen))}

    out = {"conf": {}, "pcap": {"plain": {}}, "frames": {"plain": {}}}

    # --- configurations ---
    def state_line(x, d, spi, src, dst, reqid, extra, tail=""):
        line, _, _, _, _, _, _, words = ALGS[x]
        alg = line.format(key=keys[x][d].hex(), akey=keys[x][d + "_auth"].hex())
        return ("ip xfrm state add src %s dst %s proto esp spi 0x%x reqid %d mode tunnel%s %s%s%s\n"
                % (src, dst, spi, reqid, extra, alg, words, tail))

    for x in algs:
        p = o("enc-%s.conf" % x)
        with open(p, "w") as f:
            f.write("# perf/ipsec/gen_esp_rig.py --seed %d: encrypt rig, %s, route-based (xfrm interface)\n"
                    % (a.seed, x))
            f.write(COMMON)
            f.write("ip link add ipsec0 type xfrm dev eth1 if_id 7\nip link set ipsec0 up\n")
            f.write("ip route add 10.9.0.0/16 dev ipsec0\n")
            f.write(state_line(x, "enc", 0x1001, "192.0.2.1", "192.0.2.2", 1, " if_id 7"))
            f.write("ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out if_id 7 "
                    "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n")
        out["conf"]["enc-" + x] = p
        p = o("dec-%s.conf" % x)
        with open(p, "w") as f:
            f.write("# perf/ipsec/gen_esp_rig.py --seed %d: decrypt rig, %s; replay-window 0 = anti-replay "
                    "OFF (infinite_rx replays the same sequence numbers)\n" % (a.seed, x))
            f.write(COMMON)
            f.write(state_line(x, "dec", 0x2001, "192.0.2.2", "10.0.1.1", 2, "", " replay-window 0"))
            f.write("ip xfrm policy add src 10.9.0.0/16 dst 0.0.0.0/0 dir fwd "
                    "tmpl src 192.0.2.2 dst 10.0.1.1 proto esp reqid 2 mode tunnel\n")
            f.write("ip route add 10.200.0.0/16 via 192.0.2.2 dev eth1\n")
        out["conf"]["dec-" + x] = p
    p = o("bypass.conf")
    with open(p, "w") as f:
        f.write("# perf/ipsec/gen_esp_rig.py: SP bypass, an SPD of one bypass policy, no SA\n")
        f.write(COMMON)
        f.write("ip route add 10.9.0.0/16 via 192.0.2.2 dev eth1\n")
        f.write("ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out action allow\n")
    out["conf"]["bypass"] = p
    p = o("plain.conf")
    with open(p, "w") as f:
        f.write("# perf/ipsec/gen_esp_rig.py: plain forwarding, no xfrm configuration\n")
        f.write(COMMON)
        f.write("ip route add 10.9.0.0/16 via 192.0.2.2 dev eth1\n")
    out["conf"]["plain"] = p
    if "gcm128" in algs:
        # DPDK's ipsec-secgw (examples/ipsec-secgw), the same SAs, keys and routes: port 0 is
        # eth0's net_pcap0, port 1 eth1's net_null0. Its SA index is the SPI.
        col = lambda b: ":".join("%02x" % x for x in b)
        tail = ("rt ipv4 dst 192.0.2.0/24 port 1\nrt ipv4 dst 10.200.0.0/16 port 1\n"
                "neigh port 1 %s\n"
                "sp ipv4 in esp protect 8193 pri 1 dst 10.200.0.0/16 sport 0:65535 dport 0:65535\n"
                "sa in 8193 aead_algo aes-128-gcm aead_key %s mode ipv4-tunnel src 192.0.2.2 dst 10.0.1.1\n"
                % (PEER1_MAC, col(keys["gcm128"]["dec"])))
        p = o("secgw-gcm128.cfg")
        with open(p, "w") as f:
            f.write("# perf/ipsec/gen_esp_rig.py: ipsec-secgw, AES-128-GCM tunnel out (SA 0x1001) and in (0x2001)\n")
            f.write("sp ipv4 out esp protect 4097 pri 1 dst 10.9.0.0/16 sport 0:65535 dport 0:65535\n")
            f.write("sa out 4097 aead_algo aes-128-gcm aead_key %s mode ipv4-tunnel src 192.0.2.1 dst 192.0.2.2\n"
                    % col(keys["gcm128"]["enc"]))
            f.write(tail)
        out["conf"]["secgw-gcm128"] = p
        p = o("secgw-bypass.cfg")
        with open(p, "w") as f:
            f.write("# perf/ipsec/gen_esp_rig.py: ipsec-secgw SP bypass (ACL + LPM, no crypto); the inbound SA "
                    "is there because -u needs one\n")
            f.write("sp ipv4 out esp bypass pri 1 dst 10.9.0.0/16 sport 0:65535 dport 0:65535\n")
            f.write("rt ipv4 dst 10.9.0.0/16 port 1\n")
            f.write(tail)
        out["conf"]["secgw-bypass"] = p

    # --- pcaps ---
    def mean(v):
        return round(sum(v) / len(v), 2)

    for s in sizes:
        fs = sizes_of(s, len(flows))
        frames = []
        for i, (fl, size) in enumerate(zip(flows, fs)):
            ip = udp_packet(fl["src"], fl["dst"], fl["sport"], fl["dport"], size - FCS - 14, i)
            frames.append(Ether(dst=ETH0_MAC, src=PEER0_MAC) / ip)
            assert len(frames[-1]) == size - FCS
        p = o("plain%s-%s.pcap" % (tag, s))
        write_pcap(p, frames)
        out["pcap"]["plain"][s] = p
        out["frames"]["plain"][s] = {"plain_frame_mean": mean(fs), "wire_frame_mean": mean(fs)}

    for x in algs:
        _, crypt, auth, _, _, icv, ivlen, _ = ALGS[x]
        k = keys[x]
        out["pcap"][x], out["frames"][x] = {}, {}
        ivr = random.Random(a.seed * 31 + list(ALGS).index(x))
        for s in sizes:
            sa = SecurityAssociation(ESP, spi=0x2001, crypt_algo=crypt, crypt_key=k["dec"],
                                     crypt_icv_size=icv if auth is None else None, auth_algo=auth,
                                     auth_key=k["dec_auth"] or None,
                                     tunnel_header=IP(src="192.0.2.2", dst="10.0.1.1", ttl=64))
            fs = sizes_of(s, len(flows))
            frames, esp_sizes = [], []
            for i, (fl, size) in enumerate(zip(flows, fs)):
                inner = udp_packet(fl["dec_src"], fl["dec_dst"], fl["sport"], fl["dport"], size - FCS - 14, i)
                iv = bytes(ivr.getrandbits(8) for _ in range(ivlen))
                enc = sa.encrypt(inner, seq_num=i + 1, iv=iv)
                f = Ether(dst=ETH0_MAC, src=PEER0_MAC) / enc
                f = Ether(bytes(f))
                frames.append(f)
                esp_sizes.append(len(f) + FCS)
            p = o("esp-%s%s-%s.pcap" % (x, tag, s))
            write_pcap(p, frames)
            out["pcap"][x][s] = p
            # encrypt: the ESP frame wildside sends for a plaintext frame of this size
            block = 16 if auth else 4
            enc = [14 + 20 + 8 + ivlen + -(-(size - FCS - 14 + 2) // block) * block + icv + FCS for size in fs]
            out["frames"][x][s] = {"plain_frame_mean": mean(fs), "wire_frame_mean": mean(esp_sizes),
                                   "wire_frame_sizes": sorted(set(esp_sizes)),
                                   "enc_wire_frame_mean": mean(enc), "enc_wire_frame_sizes": sorted(set(enc))}

    with open(o("rig%s.json" % tag), "w") as f:
        json.dump({"args": args, "outputs": out, "seed": a.seed, "flows": flows, "sizes": sizes, "algs": algs, "fcs_bytes": FCS,
                   "imix_pattern": IMIX,
                   "keys": {x: {n: v.hex() for n, v in keys[x].items()} for x in algs},
                   "frames": out["frames"]}, f, indent=1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
