#!/usr/bin/env python3
"""Writes the hand-made seeds under fuzz/seeds/<target>/ (committed; rerun after changing
this file). Seeds from the SDK vectors and the scenario catalogue are not here: fuzz/seed.py
adds those to the corpus. Needs only the standard library, except the registry seeds, which
use `cryptography` when it is installed (the committed files stay otherwise)."""

import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# The command ids the coap_session fixture's service gives its five commands (service seed 7,
# see fuzz_targets/coap_session.rs); a seed answering them reaches the recording path. If
# the domain's id scheme changes, these seeds still run, only less deep.
COAP_IDS = [
    "19454a27-b752-4905-9095-07d6160ddc88.1",     # config
    "8e2df8b7-7309-4ef3-b7bc-d321a7caa748.2",     # AT+CFUN=4
    "3a9afa8c-9841-4d2f-9e7a-e061aed1ef68.3",     # server certificate
    "21fb9ab3-e89e-4c7d-87e3-2aa9c034fcd2.4.s",   # CSR: delete the old key
    "21fb9ab3-e89e-4c7d-87e3-2aa9c034fcd2.4",     # CSR: %KEYGEN
    "7a0786b1-27a9-47b2-8ad8-ed51528891fd.5",     # finished
]


def write(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- CBOR (for p/rsp bodies)

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor(v):
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(v)


# ---------------------------------------------------------------- CoAP

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT = 1, 2, 3


def coap(kind, code, mid, token=b"\x01", options=(), payload=b""):
    out = bytes([0x40 | kind << 4 | len(token), code]) + struct.pack(">H", mid) + token
    last = 0
    for number, value in sorted(options, key=lambda o: o[0]):
        delta = number - last
        last = number

        def nibble(n):
            if n < 13:
                return n, b""
            if n < 269:
                return 13, bytes([n - 13])
            return 14, struct.pack(">H", n - 269)

        d, dx = nibble(delta)
        l, lx = nibble(len(value))
        out += bytes([d << 4 | l]) + dx + lx + value
    if payload:
        out += b"\xff" + payload
    return out


def uint(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""


def block(num, more, szx):
    return uint(num << 4 | (8 if more else 0) | szx)


def path(*segments):
    return [(11, s.encode()) for s in segments]


def query(*items):
    return [(15, i.encode()) for i in items]


FETCH_QUERY = query("after=", "rxMaxSize=4096", "txMaxSize=4096", "limit=10")


def frames(flags, datagrams):
    out = bytes([flags])
    for dt, d in datagrams:
        out += bytes([dt]) + struct.pack(">H", len(d)) + d
    return out


def coap_seeds():
    get = lambda mid, num, szx=6: coap(
        CON, GET, mid, options=path("p", "cmd") + FETCH_QUERY + [(23, block(num, False, szx))])
    write("coap_session", "fetch_blocks", frames(1, [(0, get(10 + n, n)) for n in range(4)]))
    write("coap_session", "fetch_small_blocks",
          frames(1, [(1, get(20 + n, n, 2)) for n in range(6)]))
    write("coap_session", "fetch_plain",
          frames(1, [(0, coap(CON, GET, 30, options=path("p", "cmd") + FETCH_QUERY))]))
    write("coap_session", "fetch_non",
          frames(1, [(0, coap(NON, GET, 31, options=path("p", "cmd") + FETCH_QUERY))]))
    answers = [[i, 101] if n == 0 else [i, 102] if n == 5 else [i, 100, ""]
               for n, i in enumerate(COAP_IDS)]
    body = cbor(answers)
    write("coap_session", "report_whole", frames(1, [
        (0, get(40, 0)),
        (1, coap(CON, POST, 41, options=path("p", "rsp") + [(12, uint(60))], payload=body)),
    ]))
    chunks = [body[i:i + 16] for i in range(0, len(body), 16)]
    write("coap_session", "report_block1", frames(1, [(0, get(50, 0))] + [
        (0, coap(CON, POST, 51 + n, options=path("p", "rsp") + [(12, uint(60)),
             (27, block(n, n + 1 < len(chunks), 0))], payload=c))
        for n, c in enumerate(chunks)
    ]))
    write("coap_session", "report_error", frames(1, [
        (0, coap(CON, POST, 60, options=path("p", "rsp") + [(12, uint(60))],
                 payload=cbor([[COAP_IDS[1], 99, 514, "+CME ERROR: 514"]]))),
    ]))
    write("coap_session", "odd_requests", frames(1, [
        (0, coap(CON, 0, 70, token=b"")),                          # ping
        (0, coap(CON, POST, 71, options=path("", ".dtls", "suspend"))),
        (0, coap(CON, GET, 72, options=path("p", "nothing"))),
        (0, coap(CON, PUT, 73, options=path("p", "cmd"))),
        (0, coap(CON, GET, 74, options=path("p", "cmd") + [(9, b"x")])),
        (0, coap(CON, GET, 75, options=path("p", "cmd") + FETCH_QUERY + [(23, b"\x00\x00\x00\x07")])),
        (0, coap(CON, GET, 76, options=path("p", "cmd") + FETCH_QUERY + [(23, b"\x0f")])),
        (0, coap(ACK, 0, 77)),
        (0, coap(RST, 0, 78)),
        (0, b"\x40\x01"),
        (0, coap(CON, POST, 79, options=path("p", "rsp") + [(12, uint(50))], payload=b"{}")),
    ]))
    write("coap_session", "unauthenticated", frames(0, [
        (0, coap(CON, GET, 80, options=path("p", "cmd") + FETCH_QUERY)),
        (0, coap(CON, POST, 81, options=path("p", "auth-jwt") + query("mver=1.3.5", "cver=2.9.0"),
                 payload=b"eyJ0eXAiOiJKV1QifQ.e30.AAAA")),
        (0, coap(CON, POST, 82, options=path("p", "rsp"), payload=cbor([]))),
    ]))
    # A whole provisioning run: each command fetched after the one answered before (the
    # certificate in 256-byte Block2 blocks) and answered (the certificate's answer in 16-byte
    # Block1 blocks).
    def fetch(mid, after, num, szx=4):
        return coap(CON, GET, mid, options=path("p", "cmd") + query(
            f"after={after}", "rxMaxSize=4096", "txMaxSize=4096", "limit=10")
            + [(23, block(num, False, szx))])

    def report(mid, answers, szx=None):
        body = cbor(answers)
        if szx is None:
            return [(0, coap(CON, POST, mid, options=path("p", "rsp") + [(12, uint(60))],
                             payload=body))]
        size = 16 << szx
        chunks = [body[i:i + size] for i in range(0, len(body), size)]
        return [(0, coap(CON, POST, mid + n, options=path("p", "rsp") + [
            (12, uint(60)), (27, block(n, n + 1 < len(chunks), szx))], payload=c))
            for n, c in enumerate(chunks)]

    ids = COAP_IDS
    run = [(0, fetch(100, "", 0))] + report(101, [[ids[0], 101]])
    run += [(1, fetch(102, ids[0], 0))] + report(103, [[ids[1], 100, ""]])
    run += [(1, fetch(110 + n, ids[1], n)) for n in range(11)]
    run += report(130, [[ids[2], 100, ""]], szx=0)
    run += [(1, fetch(150, ids[2], 0))] + report(151, [[ids[3], 100, ""], [ids[4], 100, ""]])
    run += [(1, fetch(160, ids[4], 0))] + report(161, [[ids[5], 102]])
    write("coap_session", "whole_run", frames(1, run))
    write("coap_session", "retransmission", frames(1, [
        (0, get(90, 0)), (3, get(90, 0)), (250, get(90, 0)), (0, get(91, 1)),
    ]))


# ---------------------------------------------------------------- the small text parsers

def text_seeds():
    write("fetch_query", "current",
          "after=9685ef84-8cac-4257-b5cc-94bc416a1c1d.d&rxMaxSize=4096&txMaxSize=2048"
          "&mver=mfw_nrf9160_1.3.5&cver=2.6.0&limit=20")
    write("fetch_query", "v2_9", "after=&rxMaxSize=4096&txMaxSize=4096&mver=1.3.2&cver=1")
    write("fetch_query", "encoded", "after=a%2Eb&rxMaxSize=1&txMaxSize=2&mver=x+y%20z")
    write("fetch_query", "coap", b"after=\xffrxMaxSize=2048\xfftxMaxSize=1024\xfflimit=10")
    write("fetch_query", "bad", "after=&after=&rxMaxSize=-1&x=%zz")

    write("claim_csv", "quote_all", '"2dn3hQFQ.0oRDoQEm","lab,ci"\n"tok2",""\n')
    write("claim_csv", "mixed", 'tok1\r\n\r\n"tok""2" ,"a, b"\n"open\n"x"y\n,tag\n')
    vectors = os.path.join(HERE, "..", "..", "..", "shared", "vectors",
                           "nrf_provisioning_cbor.json")
    if os.path.exists(vectors):
        with open(vectors) as f:
            token = json.load(f)["modem_tokens"][0]["value"]
        write("claim_csv", "real_token", f'"{token}","fuzz"\n"{token}",""\n')

    lines = [
        "AT", "AT+CMEE=1", "AT+CMEE?", "AT+CFUN=4", "AT+CFUN?", "AT+CFUN=0", "AT+CGSN",
        "AT+CGSN=1", "AT+CGMM", "AT+CGMR", "AT%XMODEMUUID", "AT+CCLK?", "AT%CCLK?",
        'AT+CCLK="24/05/01,12:00:00+00"',
        'AT%CMNG=0,16842753,0,"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"',
        "AT%CMNG=1", "AT%CMNG=1,16842753", "AT%CMNG=2,16842753,0", "AT%CMNG=3,16842753,0",
        "AT%KEYGEN=16842753,2,0", 'AT%KEYGEN=16842753,2,0,"O=Nordic,L=Trondheim,C=no","101010000"',
        "AT%KEYGEN=16842754,2,1", "AT%ATTESTTOKEN", "AT%JWT", 'AT%JWT=0,600,"sub","aud"',
        "AT%JWT=16842753,0", "AT%CMNG=3,16842753,2",
    ]
    write("modem_at", "every_command", "\r\n".join(lines) + "\r\n")
    write("modem_at", "reboot_keeps", "AT%KEYGEN=7,2,0\n\x00\nAT%CMNG=1\n\x01\nAT%CCLK?\n")
    write("shell_editor", "session",
          b"\x00\x00" + "".join(f"at {l}\r\n" for l in lines[:12]).encode()
          + b"at 'AT%CMNG=0,42,0,\"a\\nb\"'\r\nat AT%CMNG=1\r\nnrf_provisioning\r\n"
          b"nrf_provisioning now\r\nat\r\nat events_enable\r\nhelp\r\nfoo bar\r\n"
          b"abc\x08\x08\x7fx\x1b[A\x1b[1;5C\x03\r\n\"open\r\n" + b" a" * 21 + b"\r\n")
    write("shell_editor", "chunked_reboot",
          b"\x03\x01\x05\x00\x09" + b"at AT+CGMR\nkernel reboot warm\nat AT\n")
    write("shell_editor", "narrow", b"\x00\x19" + b"at AT+CGSN=1\r\n" + b"x" * 70 + b"\x08" * 5 + b"\n")


# ---------------------------------------------------------------- registry and NVM files

def registry_seeds():
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:
        return
    devices = []
    for n in range(2):
        key = ec.derive_private_key(1000 + n, ec.SECP256R1())
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        devices.append({
            "device_uuid": f"50363154-3931-44f0-8022-121b6401627{n}",
            "imei": "352656100367872",
            "model": "nRF9160-SICA",
            "device_type": 3,
            "firmware": "mfw_nrf9160_1.3.5",
            "firmware_uuid": "1aff3acb-f1a6-4764-a263-4c2646c1c654",
            "identity_public_key": pem,
        })
    doc = {"format": "provlab-device-registry", "version": 1, "devices": devices}
    write("registry_file", "two_devices", json.dumps(doc, indent=2) + "\n")
    service_only = {"format": "provlab-device-registry", "version": 1, "devices": [
        {"device_uuid": d["device_uuid"], "identity_public_key": d["identity_public_key"]}
        for d in devices]}
    write("registry_file", "service_fields", json.dumps(service_only))
    write("registry_file", "empty", '{"format":"provlab-device-registry","version":1,"devices":[]}')


def nvm_seeds():
    creds = [
        {"sec_tag": 16842753, "type": 0,
         "content_hex": b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".hex()},
        {"sec_tag": 16842753, "type": 2, "content_hex": "00ff22"},
        {"sec_tag": 42, "type": 1, "content_hex": ""},
    ]
    compact = json.dumps(creds, separators=(",", ":"))
    doc = {"format": "provlab-modem-nvm", "version": 1,
           "sha256": hashlib.sha256(compact.encode()).hexdigest(), "credentials": creds}
    write("nvm_image", "three_credentials", json.dumps(doc, indent=2) + "\n")
    empty = {"format": "provlab-modem-nvm", "version": 1,
             "sha256": hashlib.sha256(b"[]").hexdigest(), "credentials": []}
    write("nvm_image", "empty", json.dumps(empty))


if __name__ == "__main__":
    coap_seeds()
    text_seeds()
    registry_seeds()
    nvm_seeds()
