#!/usr/bin/python3
"""scapy_interop.py -- wildside's ESP against an independent one: scapy.layers.ipsec over Python
`cryptography` (AES-GCM, ChaCha20-Poly1305, AES-CBC) and `hmac` (HMAC-SHA-256-128, HMAC-SHA1-96).

For every algorithm (GCM-128 with ICV 16 and 8, GCM-256 with ICV 12, ChaCha20-Poly1305 on both
wildside engines, AES-128-CBC + HMAC-SHA-256-128, AES-256-CBC + HMAC-SHA1-96), tunnel and
transport mode, ESN off and on, IPv4 and IPv6 inner packets and payloads of 0..1400 bytes:
  1. scapy encrypts; wildside (tests/crypto/esp_tool) decrypts: same next header, same payload,
     the sequence number inferred right;
  2. wildside encrypts with scapy's IV and sequence number: the same ESP bytes, byte for byte;
  3. wildside encrypts with its own IV; scapy decrypts: the packet it was given.
Where scapy 2.5 falls short the script does the missing part itself, with `cryptography` and
`hmac` directly (still independent of wildside): the ESN high half in the AES-CBC + HMAC ICV
(scapy only adds it for AH), and GCM ICVs shorter than 16 bytes (its AESGCM call always
makes and wants 16).

  /usr/bin/python3 tests/crypto/scapy_interop.py --tool BUILD/tests/crypto/esp_tool
Exit 0: all agree; 1: a mismatch (each printed); 77: scapy or cryptography missing (a skip).
"""
import argparse
import hashlib
import hmac
import random
import struct
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
try:
    import cryptography  # noqa: F401
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.ipsec import ESP, SecurityAssociation
    from scapy.packet import Raw, raw
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

# name, wildside algorithm, engine, scapy crypt, scapy auth, key bytes, salt bytes, icv, auth key bytes
ALGS = [
    ("gcm128", "gcm128", "ipsec-mb", "AES-GCM", None, 16, 4, 16, 0),
    ("gcm128-icv8", "gcm128", "ipsec-mb", "AES-GCM", None, 16, 4, 8, 0),
    ("gcm256-icv12", "gcm256", "ipsec-mb", "AES-GCM", None, 32, 4, 12, 0),
    ("chacha-ipsecmb", "chacha", "ipsec-mb", "CHACHA20-POLY1305", None, 32, 4, 16, 0),
    ("chacha-sodium", "chacha", "sodium", "CHACHA20-POLY1305", None, 32, 4, 16, 0),
    ("cbc128-sha256", "cbc-sha256", "ipsec-mb", "AES-CBC", "SHA2-256-128", 16, 0, 16, 32),
    ("cbc256-sha1", "cbc-sha1", "ipsec-mb", "AES-CBC", "HMAC-SHA1-96", 32, 0, 12, 20),
]
SIZES = [0, 1, 17, 100, 1400]
OUTER = IP(src="192.0.2.1", dst="198.51.100.2")


class Case:
    def __init__(self, alg, mode, esn, size, v6, rng):
        (self.name, self.walg, self.engine, self.crypt, self.auth, klen, slen, self.icv, alen) = alg
        self.mode, self.esn, self.size, self.v6 = mode, esn, size, v6
        self.key = bytes(rng.getrandbits(8) for _ in range(klen + slen))
        self.akey = bytes(rng.getrandbits(8) for _ in range(alen))
        self.spi = rng.randrange(256, 1 << 32)
        self.hi = rng.randrange(1, 1 << 32) if esn else 0
        self.lo = rng.randrange(1, 1 << 32) if esn else rng.randrange(1, 1 << 31)
        self.seq = (self.hi << 32) | self.lo
        self.iv = bytes(rng.getrandbits(8) for _ in range(16 if self.auth else 8))
        ip = IPv6(src="2001:db8::1", dst="2001:db8::2") if v6 else IP(src="10.1.0.1", dst="10.2.0.1")
        self.pkt = ip / UDP(sport=1234, dport=5678) / Raw(bytes(rng.getrandbits(8) for _ in range(size)))
        self.pkt = self.pkt.__class__(raw(self.pkt))
        tunnel = mode == "tunnel"
        self.payload = raw(self.pkt) if tunnel else raw(self.pkt.payload)
        self.nh = (41 if v6 else 4) if tunnel else 17

    def label(self):
        return f"{self.name} {self.mode} esn={int(self.esn)} v{6 if self.v6 else 4} size={self.size}"

    def sa(self):
        tunnel = OUTER if self.mode == "tunnel" else None
        if self.v6 and tunnel:
            tunnel = IPv6(src="2001:db8:ff::1", dst="2001:db8:ff::2")
        return SecurityAssociation(ESP, spi=self.spi, seq_num=self.lo, crypt_algo=self.crypt, crypt_key=self.key,
                                   crypt_icv_size=self.icv if not self.auth else None, auth_algo=self.auth,
                                   auth_key=self.akey or None, tunnel_header=tunnel, esn_en=self.esn, esn=self.hi)

    def tool_prefix(self, cmd, seq):
        return (f"{cmd} {self.walg} {self.engine} {self.icv} {self.mode} {int(self.esn)} {self.spi} "
                f"{self.key.hex()} {self.akey.hex() or '-'} {seq}")

    def cbc_icv(self, esp_wo_icv):
        h = hashlib.sha256 if self.walg == "cbc-sha256" else hashlib.sha1
        tail = struct.pack("!I", self.hi) if self.esn else b""
        return hmac.new(self.akey, esp_wo_icv + tail, h).digest()[: self.icv]

    # scapy's ESP bytes, completed where scapy stops short (see the module comment).
    def scapy_encrypt(self):
        out = self.sa().encrypt(self.pkt, seq_num=self.lo, iv=self.iv)
        esp = raw(out[ESP])
        if self.auth and self.esn:
            esp = esp[: -self.icv] + self.cbc_icv(esp[: -self.icv])
        if not self.auth and self.icv < 16:
            esp = esp[:-16] + esp[-16:][: self.icv]
        return esp

    # scapy decrypts wildside's ESP bytes; returns the recovered payload (tunnel: inner packet).
    def scapy_decrypt(self, esp):
        if not self.auth and self.icv < 16:
            return self.gcm_truncated_decrypt(esp)
        if self.auth and self.esn and esp[-self.icv:] != self.cbc_icv(esp[: -self.icv]):
            raise ValueError("ICV (with the ESN high half) does not verify")
        outer = IPv6(src="2001:db8:ff::1", dst="2001:db8:ff::2", nh=50) if self.v6 else IP(
            src=OUTER.src, dst=OUTER.dst, proto=50)
        wire = outer.__class__(raw(outer / Raw(esp)))
        dec = self.sa().decrypt(wire, verify=not (self.auth and self.esn))
        return raw(dec) if self.mode == "tunnel" else raw(dec.payload)

    def gcm_truncated_decrypt(self, esp):
        nonce = self.key[-4:] + esp[8:16]
        aad = esp[:4] + struct.pack("!II", self.hi, self.lo) if self.esn else esp[:8]
        d = Cipher(algorithms.AES(self.key[:-4]), modes.GCM(nonce, esp[-self.icv:], min_tag_length=self.icv)).decryptor()
        d.authenticate_additional_data(aad)
        pt = d.update(esp[16: -self.icv]) + d.finalize()
        return pt[: len(pt) - pt[-2] - 2]


def run_tool(tool, lines):
    res = subprocess.run([tool], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    out = res.stdout.splitlines()
    if len(out) != len(lines):
        sys.exit(f"esp_tool answered {len(out)} lines to {len(lines)}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = [Case(a, m, e, s, v6, rng) for a in ALGS for m in ("tunnel", "transport") for e in (False, True)
             for s in SIZES for v6 in (False, True)]
    wires = [c.scapy_encrypt() for c in cases]
    lines = []
    for c, w in zip(cases, wires):
        lines.append(c.tool_prefix("decap", c.seq) + " " + w.hex())
        lines.append(c.tool_prefix("encap", c.seq) + f" {c.iv.hex()} {c.nh} {c.payload.hex() or '-'}")
        lines.append(c.tool_prefix("encap", c.seq) + f" - {c.nh} {c.payload.hex() or '-'}")
    out = run_tool(args.tool, lines)
    bad = 0
    counts = [0, 0, 0]
    for i, (c, w) in enumerate(zip(cases, wires)):
        dec, same_iv, own_iv = out[3 * i: 3 * i + 3]
        want = f"ok {c.nh} {c.seq} {c.payload.hex() or '-'}"
        checks = [(dec == want, f"decap of scapy's packet: {dec[:80]}"),
                  (same_iv == "ok " + w.hex(), f"encap with scapy's IV differs: {same_iv[:80]}")]
        try:
            ok3 = own_iv.startswith("ok ") and c.scapy_decrypt(bytes.fromhex(own_iv[3:])) == c.payload
        except Exception as e:  # scapy raises on a bad ICV
            ok3 = False
            own_iv += f" ({e})"
        checks.append((ok3, f"scapy cannot decrypt wildside's packet: {own_iv[:80]}"))
        for k, (ok, msg) in enumerate(checks):
            counts[k] += ok
            if not ok:
                bad += 1
                print(f"FAIL {c.label()}: {msg}")
    n = len(cases)
    print(f"scapy -> wildside decap: {counts[0]}/{n}; wildside encap byte-identical to scapy: {counts[1]}/{n}; "
          f"wildside -> scapy decrypt: {counts[2]}/{n}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
